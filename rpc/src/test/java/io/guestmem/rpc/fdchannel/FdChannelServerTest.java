package io.guestmem.rpc.fdchannel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.guestmem.memory.EngineConfig;
import io.guestmem.memory.Lease;
import io.guestmem.memory.LeaseRequest;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.Owner;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.SocketOptions;
import io.guestmem.memory.sys.Syscalls;
import io.guestmem.memory.sys.UnixSockets;
import io.guestmem.rpc.restart.ReattachCredentials;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fd channel server over its real socket (docs/FD-CHANNEL.md): limits that keep one local
 * user from locking the VMMs out, replies to oversize messages, and replies that always fit.
 */
class FdChannelServerTest {
  private static final long SIZE = 4L << 20;
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;
  private MemoryEngine engine;
  private HandoffTokens tokens;
  private final List<FdChannelServer> servers = new ArrayList<>();
  private final List<Integer> sockets = new ArrayList<>();

  @BeforeEach
  void open() throws Exception {
    // other uids must reach the socket: the JUnit temp dir is 0700
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    engine = MemoryEngine.open(EngineConfig.auto(tmp.resolve("state")));
    tokens = new HandoffTokens(Clock.systemUTC(), HandoffTokens.DEFAULT_LIFETIME);
  }

  @AfterEach
  void close() throws Exception {
    for (int s : sockets) {
      if (UnixSockets.isOpen(s)) {
        UnixSockets.close(s);
      }
    }
    servers.forEach(FdChannelServer::close);
    engine.close();
  }

  private FdChannelServer server(int maxConnections) throws Exception {
    FdChannelServer s = new FdChannelServer(tmp.resolve("fd-" + servers.size() + ".sock"), engine, tokens, new AttachWaiters(),
        ReattachCredentials.open(tmp.resolve("state")), maxConnections);
    s.start();
    servers.add(s);
    return s;
  }

  private int connect(FdChannelServer s) throws ErrnoException {
    int fd = UnixSockets.connectSeqpacket(s.path());
    sockets.add(fd);
    SocketOptions.setTimeouts(fd, 5_000);
    return fd;
  }

  private static int myUid() {
    return Owner.self().uid();
  }

  /** An owned lease and a token for {@code get} by this process. */
  private String[] leaseAndToken() throws Exception {
    Lease l = engine.openLease(LeaseRequest.owned(SIZE, "tdx"));
    assumeTrue(l.sharedFd().isPresent(), "the emulated backend has no kernel objects to hand over: skipped");
    return new String[] {l.id(), tokens.issue(l.id(), myUid(), Set.of(HandoffTokens.Op.GET))};
  }

  private static String get(String lease, String token) {
    return "{\"op\":\"get\",\"lease\":\"" + lease + "\",\"token\":\"" + token + "\"}";
  }

  /** Receives one reply into a buffer larger than the limit, so an oversize reply would show. */
  private static UnixSockets.Received recv(int s) throws ErrnoException {
    return UnixSockets.recvFds(s, 65536, 4);
  }

  private static JsonNode exchange(int s, String req, int... fds) throws Exception {
    UnixSockets.sendFds(s, req.getBytes(StandardCharsets.UTF_8), fds);
    UnixSockets.Received r = recv(s);
    assertThat(r.endOfStream()).as("a reply, not a closed connection").isFalse();
    for (int fd : r.fds()) {
      UnixSockets.close(fd);
    }
    return JSON.readTree(new String(r.payload(), StandardCharsets.UTF_8));
  }

  private static String reason(JsonNode reply) {
    return reply.path("error").path("reason").asText();
  }

  // --- one uid cannot starve the others -----------------------------------------------------

  @Test
  void aUidBeyondItsConnectionLimitIsRefusedAtOnce_andServedAgainOnceItClosesOne() throws Exception {
    FdChannelServer s = server(32);
    List<Integer> mine = new ArrayList<>();
    for (int i = 0; i < FdChannelServer.MAX_CONNECTIONS_PER_UID; i++) {
      mine.add(connect(s));
    }
    int extra = connect(s);
    UnixSockets.Received r = recv(extra);
    JsonNode reply = JSON.readTree(new String(r.payload(), StandardCharsets.UTF_8));
    assertThat(reason(reply)).isEqualTo("TOO_MANY_CONNECTIONS");
    assertThat(reply.path("error").path("message").asText()).contains("uid " + myUid()).contains("8 connections");
    assertThat(recv(extra).endOfStream()).as("closed after the refusal").isTrue();
    // the connections held are served as usual
    String[] lt = leaseAndToken();
    assertThat(exchange(mine.get(0), get(lt[0], "forged")).path("error").path("reason").asText()).isEqualTo("TOKEN_UNKNOWN");
    // one closed: the uid may connect again (its slot comes back when the server sees the close)
    UnixSockets.close(mine.get(1));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    JsonNode got;
    do {
      int again = connect(s);
      UnixSockets.sendFds(again, get(lt[0], lt[1]).getBytes(StandardCharsets.UTF_8), new int[0]);
      UnixSockets.Received rr = recv(again);
      got = JSON.readTree(new String(rr.payload(), StandardCharsets.UTF_8));
      for (int fd : rr.fds()) {
        UnixSockets.close(fd);
      }
      UnixSockets.close(again);
    } while (reason(got).equals("TOO_MANY_CONNECTIONS") && System.nanoTime() < deadline);
    assertThat(got.path("fds").get(0).path("size").asLong()).isEqualTo(SIZE);
  }

  @Test
  void aConnectionIsClosedAfterItsEighthRefusal() throws Exception {
    FdChannelServer s = server(32);
    int c = connect(s);
    for (int i = 1; i < FdChannelServer.MAX_REFUSALS_PER_CONNECTION; i++) {
      JsonNode reply = exchange(c, get("x", "y"));
      assertThat(reason(reply)).as("refusal %d", i).isEqualTo("TOKEN_UNKNOWN");
      assertThat(reply.path("error").path("message").asText()).doesNotContain("closed");
    }
    JsonNode last = exchange(c, get("x", "y"));
    assertThat(reason(last)).isEqualTo("TOKEN_UNKNOWN");
    assertThat(last.path("error").path("message").asText()).contains("8 refusals on this connection: it is closed");
    assertThat(recv(c).endOfStream()).isTrue();
  }

  @Test
  void anotherUidHoldingManyConnectionsDoesNotStopAGetFromThisUid() throws Exception {
    assumeTrue(myUid() == 0, "needs root to run a client as uid 65534: skipped");
    FdChannelServer s = server(32); // the pool GuestmemServer uses: 32 workers, 32 waiting
    String[] lt = leaseAndToken();
    // uid 65534 opens 80 connections (more than the workers and the queue together) and keeps every
    // one it holds busy with bad requests, reconnecting whenever one is closed, as the audit's starve.py
    String script = String.join("\n",
        "import os, socket, sys, time",
        "path, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])",
        "os.setgroups([]); os.setgid(65534); os.setuid(65534)",
        "def c():",
        "    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.connect(path); s.settimeout(0.3); return s",
        "conns = [c() for i in range(n)]",
        "held, refused = [], 0",
        "for s in conns:",
        "    try:",
        "        m = s.recv(4096)",
        "        refused += b'TOO_MANY_CONNECTIONS' in m",
        "    except socket.timeout:",
        "        held.append(s)",
        "print('uid=%d held=%d refused=%d' % (os.getuid(), len(held), refused), flush=True)",
        "end = time.time() + secs",
        "while time.time() < end:",
        "    for i, s in enumerate(held):",
        "        try:",
        "            s.send(b'{\"op\":\"get\",\"lease\":\"x\",\"token\":\"y\"}')",
        "            if not s.recv(4096): raise OSError('closed')",
        "        except OSError:",
        "            s.close()",
        "            try: held[i] = c()",
        "            except OSError: pass",
        "    time.sleep(0.05)",
        "print('done', flush=True)");
    Process p = new ProcessBuilder("python3", "-c", script, s.path().toString(), "80", "8").redirectErrorStream(true).start();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String first = in.readLine();
      assertThat(first).as("child output").isEqualTo("uid=65534 held=" + FdChannelServer.MAX_CONNECTIONS_PER_UID + " refused="
          + (80 - FdChannelServer.MAX_CONNECTIONS_PER_UID));
      Thread.sleep(500); // the child is now hammering the connections it holds
      for (int attempt = 0; attempt < 3; attempt++) {
        long t0 = System.nanoTime();
        int c = connect(s);
        JsonNode reply = exchange(c, attempt == 0 ? get(lt[0], lt[1]) : get(lt[0], "forged"));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        if (attempt == 0) {
          assertThat(reply.path("fds").get(0).path("size").asLong()).as("reply %s", reply).isEqualTo(SIZE);
        } else {
          assertThat(reason(reply)).isEqualTo("TOKEN_UNKNOWN");
        }
        assertThat(millis).as("reply time").isLessThan(1_000);
        UnixSockets.close(c);
        Thread.sleep(300);
      }
      assertThat(in.readLine()).isEqualTo("done");
    } finally {
      p.destroy();
    }
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aQueuedGetWhosePeerGaveUpDoesNotSpendTheToken() throws Exception {
    FdChannelServer s = server(1); // one worker, one waiting place
    String[] lt = leaseAndToken();
    int holder = connect(s); // takes the only worker
    int gaveUp = connect(s); // waits for it
    UnixSockets.sendFds(gaveUp, get(lt[0], lt[1]).getBytes(StandardCharsets.UTF_8), new int[0]);
    UnixSockets.close(gaveUp);
    UnixSockets.close(holder); // the worker now reads the get of a peer that is gone; the reply cannot be delivered
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    JsonNode got;
    do {
      int c = connect(s);
      try {
        got = exchange(c, get(lt[0], lt[1]));
      } catch (ErrnoException e) {
        // refused as BUSY while the worker was still on the first get: the get was sent before the
        // refusal was read, and the service closed the connection after dropping it
        assertThat(e.errno()).as("ECONNRESET").isEqualTo(104);
        got = JSON.readTree("{\"error\":{\"reason\":\"BUSY\"}}");
      }
      UnixSockets.close(c);
    } while (reason(got).equals("BUSY") && System.nanoTime() < deadline);
    assertThat(got.path("fds").get(0).path("size").asLong()).as("reply %s", got).isEqualTo(SIZE);
  }

  @Test
  void whenEveryWorkerAndQueuePlaceIsTakenAConnectionIsRefusedAsBusy() throws Exception {
    FdChannelServer s = server(1);
    connect(s);
    connect(s);
    int third = connect(s);
    JsonNode reply = JSON.readTree(new String(recv(third).payload(), StandardCharsets.UTF_8));
    assertThat(reason(reply)).isEqualTo("BUSY");
    assertThat(recv(third).endOfStream()).isTrue();
  }

  // --- oversize messages are answered, and leak no fd -------------------------------------

  private static long openFdsNamed(String name) throws Exception {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(f -> {
        try {
          return Files.readSymbolicLink(f).toString().contains(name);
        } catch (Exception e) {
          return false;
        }
      }).count();
    }
  }

  private String refusedAsMalformed(FdChannelServer s, byte[] payload, int[] fds) throws Exception {
    int c = connect(s);
    UnixSockets.sendFds(c, payload, fds);
    UnixSockets.Received r = recv(c);
    assertThat(r.endOfStream()).as("a reply before the close").isFalse();
    JsonNode reply = JSON.readTree(new String(r.payload(), StandardCharsets.UTF_8));
    assertThat(reason(reply)).isEqualTo("MALFORMED_MESSAGE");
    assertThat(recv(c).endOfStream()).as("closed after the reply").isTrue();
    return reply.path("error").path("message").asText();
  }

  @Test
  void anOversizeMessageOrTooManyFdsGetsMalformedMessage_andEveryFdThatCameIsClosed() throws Exception {
    FdChannelServer s = server(32);
    String name = "fdleak-" + UUID.randomUUID();
    int[] five = new int[5];
    for (int i = 0; i < 5; i++) {
      five[i] = Syscalls.memfdCreate(name, 0);
    }
    byte[] big = new byte[FdChannelServer.MAX_MESSAGE + 1];
    java.util.Arrays.fill(big, (byte) ' ');
    byte[] small = get("x", "y").getBytes(StandardCharsets.UTF_8);
    try {
      assertThat(refusedAsMalformed(s, big, new int[0])).isEqualTo("too large: a message over 4096 bytes");
      assertThat(refusedAsMalformed(s, small, five)).isEqualTo("too large: more than 4 fds (those that came were closed)");
      assertThat(refusedAsMalformed(s, big, new int[] {five[0]})).isEqualTo("too large: a message over 4096 bytes");
      assertThat(refusedAsMalformed(s, big, five))
          .isEqualTo("too large: a message over 4096 bytes with more than 4 fds (those that came were closed)");
      // exactly the limit is a message like any other
      byte[] exact = java.util.Arrays.copyOf(small, FdChannelServer.MAX_MESSAGE);
      java.util.Arrays.fill(exact, small.length, exact.length, (byte) ' ');
      int c = connect(s);
      assertThat(reason(exchange(c, new String(exact, StandardCharsets.UTF_8)))).isEqualTo("TOKEN_UNKNOWN");
    } finally {
      for (int fd : five) {
        UnixSockets.close(fd);
      }
    }
    // the service closed every copy it received (the replies came after the close)
    assertThat(openFdsNamed(name)).isZero();
  }

  // --- every reply fits in a message ------------------------------------------------------

  @Test
  void refusalsQuotingALongLeaseIdOrOpStillFitInOneMessage() throws Exception {
    FdChannelServer s = server(32);
    String longId = "L".repeat(3900);
    int m1 = Syscalls.memfdCreate("reattach-probe", 0);
    int m2 = Syscalls.memfdCreate("reattach-probe", 0);
    try {
      String reattach = "{\"op\":\"reattach\",\"lease\":\"" + longId + "\",\"credential\":\"C\","
          + "\"fds\":[{\"role\":\"private\",\"size\":4096},{\"role\":\"shared\",\"size\":4096}]}";
      assertThat(reattach.length()).isLessThanOrEqualTo(FdChannelServer.MAX_MESSAGE);
      int c = connect(s);
      UnixSockets.sendFds(c, reattach.getBytes(StandardCharsets.UTF_8), new int[] {m1, m2});
      UnixSockets.Received r = recv(c);
      assertThat(r.payload().length).isLessThanOrEqualTo(FdChannelServer.MAX_MESSAGE);
      JsonNode reply = JSON.readTree(new String(r.payload(), StandardCharsets.UTF_8));
      assertThat(reason(reply)).isEqualTo("LEASE_NOT_FOUND");
      assertThat(reply.path("error").path("message").asText()).isEqualTo("no lease " + "L".repeat(127) + "\u2026");
    } finally {
      UnixSockets.close(m1);
      UnixSockets.close(m2);
    }
    int c = connect(s);
    String op = "O".repeat(4000);
    UnixSockets.sendFds(c, ("{\"op\":\"" + op + "\",\"lease\":\"L\",\"token\":\"T\"}").getBytes(StandardCharsets.UTF_8), new int[0]);
    UnixSockets.Received r = recv(c);
    assertThat(r.payload().length).isLessThanOrEqualTo(FdChannelServer.MAX_MESSAGE);
    JsonNode reply = JSON.readTree(new String(r.payload(), StandardCharsets.UTF_8));
    assertThat(reason(reply)).isEqualTo("MALFORMED_MESSAGE");
    assertThat(reply.path("error").path("message").asText()).isEqualTo("unknown op '" + "O".repeat(126) + "\u2026");
  }

  @Test
  void anyRefusalMessageIsClippedToFit() throws Exception {
    FdChannelServer s = new FdChannelServer(tmp.resolve("unused.sock"), null, null, null, null, 1);
    try {
      List<String> nasty = List.of(
          "x".repeat(100_000),
          "ab ".repeat(30_000),
          "\u0001 ".repeat(30_000), // JSON escapes each control character to 6 bytes
          "\u2028\u00e9 ".repeat(30_000),
          "\ud83d\ude00".repeat(30_000)); // surrogate pairs are never split
      for (String m : nasty) {
        byte[] b = s.errorReply("SOME_REASON", "no lease " + m);
        assertThat(b.length).isLessThanOrEqualTo(FdChannelServer.MAX_MESSAGE);
        JsonNode reply = JSON.readTree(new String(b, StandardCharsets.UTF_8));
        String msg = reply.path("error").path("message").asText();
        assertThat(reason(reply)).isEqualTo("SOME_REASON");
        assertThat(msg).startsWith("no lease ").endsWith("\u2026");
        assertThat(msg.length()).isLessThanOrEqualTo(FdChannelServer.MAX_ERROR_MESSAGE);
        assertThat(msg.chars().filter(ch -> Character.isSurrogate((char) ch)).count() % 2).isZero();
      }
      // ordinary messages are untouched
      assertThat(JSON.readTree(s.errorReply("TOKEN_USED", "handoff token was already used for get")).path("error").path("message")
          .asText()).isEqualTo("handoff token was already used for get");
    } finally {
      s.close();
    }
  }
}
