package io.guestmem.rpc.restart;

import io.guestmem.memory.sys.DatagramSockets;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.SocketOptions;
import io.guestmem.memory.sys.UnixSockets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Plays the service manager's part of the notification protocol for tests: a datagram socket
 * (the {@code $NOTIFY_SOCKET}) that records every state line and keeps a file-descriptor store
 * like systemd's: {@code FDSTORE=1} + {@code FDNAME=} adds the datagram's fds under that name (an
 * fd already stored under the name is replaced), {@code FDSTOREREMOVE=1} drops the name.
 */
final class ServiceManagerHarness implements AutoCloseable {
  private final Path address;
  private final int sock;
  private final Thread reader;
  private final List<String> messages = new CopyOnWriteArrayList<>();
  private final Map<String, Integer> store = new LinkedHashMap<>();
  private volatile boolean closing;

  ServiceManagerHarness(Path address) throws ErrnoException {
    this.address = address;
    this.sock = DatagramSockets.bind(address.toString());
    SocketOptions.setTimeouts(sock, 200);
    reader = new Thread(this::read, "service-manager-harness");
    reader.setDaemon(true);
    reader.start();
  }

  String address() {
    return address.toString();
  }

  private void read() {
    while (!closing) {
      UnixSockets.Received r;
      try {
        r = UnixSockets.recvFds(sock, 4096, 16);
      } catch (ErrnoException e) {
        continue; // receive timeout: look at `closing` again
      }
      String text = new String(r.payload(), StandardCharsets.UTF_8);
      messages.add(text);
      Map<String, String> kv = new LinkedHashMap<>();
      for (String line : text.split("\n")) {
        int eq = line.indexOf('=');
        if (eq > 0) {
          kv.put(line.substring(0, eq), line.substring(eq + 1));
        }
      }
      synchronized (this) {
        String name = kv.getOrDefault("FDNAME", "stored");
        if ("1".equals(kv.get("FDSTORE")) && r.fds().length == 1) {
          Integer old = store.put(name, r.fds()[0]);
          if (old != null) {
            closeQuietly(old);
          }
        } else if ("1".equals(kv.get("FDSTOREREMOVE"))) {
          Integer old = store.remove(name);
          if (old != null) {
            closeQuietly(old);
          }
          closeAll(r.fds());
        } else {
          closeAll(r.fds());
        }
        notifyAll();
      }
    }
  }

  /** Waits (bounded) until a message containing {@code line} arrived. */
  synchronized boolean awaitMessage(String line, long millis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    while (messages.stream().noneMatch(m -> m.lines().anyMatch(line::equals))) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return false;
      }
      wait(left);
    }
    return true;
  }

  /** Waits (bounded) until the store holds exactly {@code names}. */
  synchronized boolean awaitStore(java.util.Set<String> names, long millis) throws InterruptedException {
    long deadline = System.currentTimeMillis() + millis;
    while (!store.keySet().equals(names)) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return false;
      }
      wait(left);
    }
    return true;
  }

  List<String> messages() {
    return List.copyOf(messages);
  }

  /** The stored fds, in the order they were stored (the order systemd passes them back in). */
  synchronized Map<String, Integer> store() {
    return new LinkedHashMap<>(store);
  }

  synchronized List<String> storedNames() {
    return new ArrayList<>(store.keySet());
  }

  private static void closeAll(int[] fds) {
    for (int fd : fds) {
      closeQuietly(fd);
    }
  }

  private static void closeQuietly(int fd) {
    try {
      UnixSockets.close(fd);
    } catch (ErrnoException e) {
      // already gone
    }
  }

  @Override
  public void close() {
    closing = true;
    try {
      reader.join(2000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeQuietly(sock);
    synchronized (this) {
      store.values().forEach(ServiceManagerHarness::closeQuietly);
      store.clear();
    }
  }
}
