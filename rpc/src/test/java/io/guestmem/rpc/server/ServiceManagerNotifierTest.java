package io.guestmem.rpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.memory.sys.DatagramSockets;
import io.guestmem.memory.sys.SocketOptions;
import io.guestmem.memory.sys.UnixSockets;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
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
    try {
      SocketOptions.setTimeouts(manager, 5000);
      ServiceManagerNotifier n = new ServiceManagerNotifier(path, 100_000);
      n.ready("serving");
      String ready = receive(manager);
      assertThat(ready).startsWith("READY=1\n").contains("STATUS=serving", "MAINPID=" + ProcessHandle.current().pid());
      assertThat(receive(manager)).isEqualTo("WATCHDOG=1");
      n.stopping();
      String next = receive(manager);
      while (next.equals("WATCHDOG=1")) {
        next = receive(manager);
      }
      assertThat(next).startsWith("STOPPING=1");
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
