package io.guestmem.rpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.memory.sys.DatagramSockets;
import io.guestmem.memory.sys.SocketOptions;
import io.guestmem.memory.sys.UnixSockets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plays the service manager's side of the notification protocol: a bound datagram socket. */
class ServiceManagerNotifierTest {
  @TempDir Path dir;

  private static String receive(int fd) throws Exception {
    return new String(UnixSockets.recvFds(fd, 4096, 0).payload(), StandardCharsets.UTF_8);
  }

  @Test
  void sendsReadyWatchdogAndStoppingToAPathSocket() throws Exception {
    String path = dir.resolve("notify").toString();
    int manager = DatagramSockets.bind(path);
    BlockingQueue<String> received = new LinkedBlockingQueue<>();
    // the service manager reads on its own thread, as systemd does: the notifier's pings never
    // wait for the test thread
    Thread reader = new Thread(() -> {
      try {
        while (true) {
          received.add(receive(manager));
        }
      } catch (Exception closedOrTimedOut) {
        received.add("<reader stopped: " + closedOrTimedOut.getMessage() + ">");
      }
    }, "service-manager");
    try {
      SocketOptions.setTimeouts(manager, 30_000);
      reader.setDaemon(true);
      reader.start();
      ServiceManagerNotifier n = new ServiceManagerNotifier(path, 100_000);
      n.ready("serving");
      String ready = received.poll(30, TimeUnit.SECONDS);
      assertThat(ready).isNotNull().startsWith("READY=1\n").contains("STATUS=serving", "MAINPID=" + ProcessHandle.current().pid());
      assertThat(received.poll(30, TimeUnit.SECONDS)).isEqualTo("WATCHDOG=1");
      n.stopping();
      String next = received.poll(30, TimeUnit.SECONDS);
      while ("WATCHDOG=1".equals(next)) {
        next = received.poll(30, TimeUnit.SECONDS);
      }
      assertThat(next).isNotNull().startsWith("STOPPING=1");
    } finally {
      UnixSockets.close(manager);
    }
  }

  @Test
  void aServiceManagerThatStopsReadingCostsDroppedNotificationsNotAHungService() throws Exception {
    String path = dir.resolve("deaf").toString();
    int manager = DatagramSockets.bind(path);
    try {
      ServiceManagerNotifier n = new ServiceManagerNotifier(path, 0, 20);
      // fill the receiver's queue (net.unix.max_dgram_qlen datagrams); a send then waits at most
      // the send timeout and reports false instead of blocking
      int sent = 0;
      boolean refused = false;
      while (!refused && sent < 100_000) {
        refused = !n.notify("STATUS=" + sent);
        sent++;
      }
      assertThat(refused).as("a send to a full queue fails after %d datagrams", sent).isTrue();
      assertThat(n.notify("STOPPING=1")).isFalse();
      // once the service manager reads again, notifications flow again
      assertThat(receive(manager)).isEqualTo("STATUS=0");
      assertThat(n.notify("STOPPING=1")).isTrue();
    } finally {
      UnixSockets.close(manager);
    }
  }

  @Test
  void abstractNamesWorkAndNoSocketMeansNoOp() throws Exception {
    String name = "@guestmem-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
    int manager = DatagramSockets.bind(name);
    try {
      SocketOptions.setTimeouts(manager, 5000);
      assertThat(new ServiceManagerNotifier(name, 0).notify("READY=1")).isTrue();
      assertThat(receive(manager)).isEqualTo("READY=1");
    } finally {
      UnixSockets.close(manager);
    }
    assertThat(new ServiceManagerNotifier(null, 0).notify("READY=1")).isFalse();
    assertThat(new ServiceManagerNotifier(dir.resolve("nobody-listens").toString(), 0).notify("READY=1")).isFalse();
  }
}
