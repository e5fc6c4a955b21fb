package io.guestmem.rpc.server;

import io.guestmem.memory.sys.DatagramSockets;
import io.guestmem.memory.sys.ErrnoException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service-manager notification protocol ({@code sd_notify}): datagrams of newline-separated
 * {@code KEY=VALUE} lines to {@code $NOTIFY_SOCKET}. guestmem sends {@code READY=1} once it
 * listens, {@code STOPPING=1} when it starts draining, and {@code WATCHDOG=1} every half
 * {@code $WATCHDOG_USEC} while it runs, and keeps lease fds in the fd store ({@code FDSTORE=1},
 * {@code FDSTOREREMOVE=1}). Without {@code $NOTIFY_SOCKET} every call does nothing.
 */
public final class ServiceManagerNotifier implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ServiceManagerNotifier.class);

  /**
   * How long one notification may wait for room in the service manager's queue. A service manager
   * that stops reading costs a dropped notification (logged), never a hung service: in particular
   * shutdown ({@code STOPPING=1}) cannot block on it.
   */
  static final long SEND_TIMEOUT_MILLIS = 1000;

  private final String socket;
  private final long watchdogMicros;
  private final long sendTimeoutMillis;
  private ScheduledExecutorService watchdog;

  public ServiceManagerNotifier(String socket, long watchdogMicros) {
    this(socket, watchdogMicros, SEND_TIMEOUT_MILLIS);
  }

  ServiceManagerNotifier(String socket, long watchdogMicros, long sendTimeoutMillis) {
    this.socket = socket;
    this.watchdogMicros = watchdogMicros;
    this.sendTimeoutMillis = sendTimeoutMillis;
  }

  /** From the environment systemd gives a {@code Type=notify} service. */
  public static ServiceManagerNotifier fromEnvironment() {
    String s = System.getenv("NOTIFY_SOCKET");
    long usec = 0;
    String w = System.getenv("WATCHDOG_USEC");
    String pid = System.getenv("WATCHDOG_PID");
    if (w != null && (pid == null || pid.equals(Long.toString(ProcessHandle.current().pid())))) {
      try {
        usec = Long.parseLong(w);
      } catch (NumberFormatException e) {
        usec = 0;
      }
    }
    return new ServiceManagerNotifier(s == null || s.isEmpty() ? null : s, usec);
  }

  public Optional<String> socket() {
    return Optional.ofNullable(socket);
  }

  /** Sends {@code state} (e.g. {@code "READY=1\nSTATUS=serving"}); false when there is no service manager. */
  public boolean notify(String state) {
    return send(state, new int[0]);
  }

  /**
   * Stores {@code fd} in the service manager's fd store under {@code name}
   * ({@code FDSTORE=1}, {@code FDNAME=name}; the unit needs {@code FileDescriptorStoreMax=}).
   * The service manager keeps its own copy; ours stays open. False when there is no service manager
   * or it refused the datagram.
   */
  public boolean storeFd(String name, int fd) {
    return send("FDSTORE=1\nFDNAME=" + name, new int[] {fd});
  }

  /** Drops every fd stored under {@code name} ({@code FDSTOREREMOVE=1}). */
  public boolean removeFromFdStore(String name) {
    return send("FDSTOREREMOVE=1\nFDNAME=" + name, new int[0]);
  }

  private boolean send(String state, int[] fds) {
    if (socket == null) {
      return false;
    }
    try {
      DatagramSockets.send(socket, state.getBytes(StandardCharsets.UTF_8), fds, sendTimeoutMillis);
      return true;
    } catch (ErrnoException | RuntimeException e) {
      log.warn("cannot notify the service manager at {}: {}", socket, e.getMessage());
      return false;
    }
  }

  /** READY=1 with a status line, and the watchdog pings if the service manager asked for them. */
  public void ready(String status) {
    if (!notify("READY=1\nSTATUS=" + status + "\nMAINPID=" + ProcessHandle.current().pid())) {
      return;
    }
    if (watchdogMicros > 0) {
      watchdog = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "guestmem-watchdog");
        t.setDaemon(true);
        return t;
      });
      long period = Math.max(1, watchdogMicros / 2);
      watchdog.scheduleAtFixedRate(() -> notify("WATCHDOG=1"), period, period, TimeUnit.MICROSECONDS);
    }
  }

  public void stopping() {
    close();
    notify("STOPPING=1\nSTATUS=draining");
  }

  @Override
  public void close() {
    if (watchdog != null) {
      watchdog.shutdownNow();
      watchdog = null;
    }
  }
}
