package io.guestmem.rpc.restart;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.SocketOptions;
import io.guestmem.memory.sys.UnixSockets;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code guestmem serve} in a child JVM (the test classpath), started directly or through a
 * python3 exec shim that plays systemd's part at start: it receives the fd store's fds from the
 * test over a unix socket, puts them at fds 3.., sets {@code LISTEN_PID} to its own pid (which the
 * exec keeps), {@code LISTEN_FDS} and {@code LISTEN_FDNAMES}, and execs java. Java's
 * ProcessBuilder closes every fd above 2 in a child, so it cannot do this itself.
 */
final class ServiceProcess implements AutoCloseable {
  static final long START_TIMEOUT_MILLIS = 40_000;

  /** The shim: argv[1] = socket to receive from, argv[2:] = the command to exec. */
  private static final String SHIM = String.join("\n",
      "import fcntl, json, os, socket, sys",
      "s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)",
      "s.settimeout(20)",
      "s.connect(sys.argv[1])",
      "msg, fds, _flags, _addr = socket.recv_fds(s, 65536, 253)",
      "s.close()",
      "names = json.loads(msg)",
      "assert len(names) == len(fds), (names, fds)",
      "base = 3 + len(fds) + 16",
      "high = [fcntl.fcntl(fd, fcntl.F_DUPFD, base) for fd in fds]",
      "for fd in fds: os.close(fd)",
      "for i, fd in enumerate(high):",
      "    os.dup2(fd, 3 + i, inheritable=True)",
      "    os.close(fd)",
      "env = dict(os.environ)",
      "if fds:",
      "    env['LISTEN_PID'] = str(os.getpid())",
      "    env['LISTEN_FDS'] = str(len(fds))",
      "    env['LISTEN_FDNAMES'] = ':'.join(names)",
      "os.execve(sys.argv[2], sys.argv[2:], env)");

  private final Process process;
  private final Path log;

  private ServiceProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  private static List<String> serveCommand(Path stateDir, List<String> serveArgs) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        "io.guestmem.cli.Main", "serve", "--state-dir", stateDir.toString(), "--listen", "127.0.0.1:0", "--backend", "kvm",
        "--metrics", "off", "--drain-seconds", "1"));
    cmd.addAll(serveArgs);
    return cmd;
  }

  /** Starts {@code guestmem serve}; {@code notifySocket} may be null. Waits (bounded) until it serves. */
  static ServiceProcess start(Path stateDir, String notifySocket, Path log) throws IOException, InterruptedException {
    return start(stateDir, notifySocket, Map.of(), log);
  }

  /** As {@link #start(Path, String, Path)}, with extra environment variables. */
  static ServiceProcess start(Path stateDir, String notifySocket, Map<String, String> env, Path log) throws IOException, InterruptedException {
    return start(stateDir, notifySocket, env, log, List.of());
  }

  /** As {@link #start(Path, String, Map, Path)}, with more {@code serve} options. */
  static ServiceProcess start(Path stateDir, String notifySocket, Map<String, String> env, Path log, List<String> serveArgs)
      throws IOException, InterruptedException {
    Files.deleteIfExists(stateDir.resolve("endpoints.json"));
    ProcessBuilder pb = new ProcessBuilder(serveCommand(stateDir, serveArgs)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().putAll(env);
    if (notifySocket != null) {
      pb.environment().put("NOTIFY_SOCKET", notifySocket);
    }
    ServiceProcess s = new ServiceProcess(pb.start(), log);
    s.awaitServing(stateDir);
    return s;
  }

  /**
   * Starts {@code guestmem serve} as systemd would after a restart: with {@code passed} (name to
   * fd, in order) at fds 3.. and {@code LISTEN_*} set for its pid.
   */
  static ServiceProcess startWithListenFds(Path stateDir, String notifySocket, Map<String, Integer> passed, Path shimSocket, Path log)
      throws IOException, InterruptedException, ErrnoException {
    Files.deleteIfExists(stateDir.resolve("endpoints.json"));
    Files.deleteIfExists(shimSocket);
    int listen = UnixSockets.listenSeqpacket(shimSocket, 1);
    try {
      SocketOptions.setTimeouts(listen, 20_000);
      List<String> cmd = new ArrayList<>(List.of("python3", "-c", SHIM, shimSocket.toString()));
      cmd.addAll(serveCommand(stateDir, List.of()));
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      if (notifySocket != null) {
        pb.environment().put("NOTIFY_SOCKET", notifySocket);
      }
      Process p = pb.start();
      int conn = UnixSockets.accept(listen);
      try {
        byte[] names = new ObjectMapper().writeValueAsString(new ArrayList<>(passed.keySet())).getBytes(StandardCharsets.UTF_8);
        UnixSockets.sendFds(conn, names, passed.values().stream().mapToInt(Integer::intValue).toArray());
      } finally {
        UnixSockets.close(conn);
      }
      ServiceProcess s = new ServiceProcess(p, log);
      s.awaitServing(stateDir);
      return s;
    } finally {
      UnixSockets.close(listen);
      Files.deleteIfExists(shimSocket);
    }
  }

  private void awaitServing(Path stateDir) throws IOException, InterruptedException {
    long deadline = System.currentTimeMillis() + START_TIMEOUT_MILLIS;
    Path sock = stateDir.resolve("guestmem.sock");
    while (System.currentTimeMillis() < deadline) {
      if (!process.isAlive()) {
        throw new IOException("guestmem serve exited with " + process.exitValue() + ":\n" + Files.readString(log));
      }
      if (Files.exists(stateDir.resolve("endpoints.json")) && Files.exists(sock)) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
          ch.connect(UnixDomainSocketAddress.of(sock));
          return;
        } catch (IOException e) {
          // not yet
        }
      }
      Thread.sleep(50);
    }
    close();
    throw new IOException("guestmem serve did not start within " + START_TIMEOUT_MILLIS + " ms:\n" + Files.readString(log));
  }

  long pid() {
    return process.pid();
  }

  /** SIGTERM; the exit status once it is gone, or empty if it is still running after {@code seconds}. */
  java.util.OptionalInt terminate(long seconds) throws InterruptedException {
    process.destroy();
    return process.waitFor(seconds, TimeUnit.SECONDS) ? java.util.OptionalInt.of(process.exitValue()) : java.util.OptionalInt.empty();
  }

  /** SIGKILL, and wait (bounded) until it is gone. */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      throw new IllegalStateException("guestmem serve " + process.pid() + " survived SIGKILL for 20 s");
    }
  }

  /** The service's mappings right now ("" once it is gone). */
  String maps() {
    try {
      return Files.readString(Path.of("/proc/" + process.pid() + "/maps"));
    } catch (IOException e) {
      return "";
    }
  }

  String log() throws IOException {
    return Files.readString(log);
  }

  @Override
  public void close() {
    try {
      if (process.isAlive()) {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
