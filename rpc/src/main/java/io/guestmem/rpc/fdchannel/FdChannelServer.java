package io.guestmem.rpc.fdchannel;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.guestmem.memory.Lease;
import io.guestmem.memory.LeaseInfo;
import io.guestmem.memory.LeaseMode;
import io.guestmem.memory.LeaseStatus;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.SocketOptions;
import io.guestmem.memory.sys.UnixSockets;
import io.guestmem.rpc.restart.ReattachCredentials;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fd side channel server (contract: {@code docs/FD-CHANNEL.md}). One thread accepts; each
 * connection is served by a bounded pool, one request at a time, with a receive timeout so a
 * stalled peer cannot hold a worker. Malformed messages get an error reply and the connection is
 * closed; token and lease refusals get an error reply and the connection stays open. Every fd a
 * peer sends is closed after its request.
 */
public final class FdChannelServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FdChannelServer.class);
  public static final int MAX_MESSAGE = 4096;
  public static final int MAX_FDS = 4;
  public static final long IDLE_TIMEOUT_MILLIS = 10_000;
  public static final String MALFORMED = "MALFORMED_MESSAGE";
  /**
   * How many connections one uid may hold at once (being served or waiting for a worker). The
   * socket is 0666, so without this one local user could take every worker and lock the VMMs out.
   */
  public static final int MAX_CONNECTIONS_PER_UID = 8;
  /** After this many refusals on one connection, the last refusal's reply is followed by a close. */
  public static final int MAX_REFUSALS_PER_CONNECTION = 8;
  /** Longest value quoted from a request in a refusal's message (then clipped with an ellipsis). */
  public static final int MAX_QUOTED = 128;
  /** Longest refusal message, in characters. */
  public static final int MAX_ERROR_MESSAGE = 1024;
  /** A connection beyond {@link #MAX_CONNECTIONS_PER_UID}: refused at once and closed. */
  public static final String TOO_MANY_CONNECTIONS = "TOO_MANY_CONNECTIONS";
  /** Every worker busy and the wait queue full: refused at once and closed. */
  public static final String BUSY = "BUSY";
  /** Refusals of the {@code reattach} op (stable reasons, see docs/FD-CHANNEL.md). */
  public static final String CREDENTIAL_UNKNOWN = "CREDENTIAL_UNKNOWN";
  public static final String CREDENTIAL_MISMATCH = "CREDENTIAL_MISMATCH";
  public static final String CREDENTIAL_WRONG_UID = "CREDENTIAL_WRONG_UID";
  public static final String LEASE_NOT_ORPHANED = "LEASE_NOT_ORPHANED";
  public static final String ROLE_SHARED = "shared";
  public static final String ROLE_PRIVATE = "private";

  private final MemoryEngine engine;
  private final HandoffTokens tokens;
  private final AttachWaiters waiters;
  private final ReattachCredentials credentials;
  private final ObjectMapper json = new ObjectMapper();
  private final ExecutorService workers;
  private final int perUidLimit;
  /** Connections held per uid (served or queued). */
  private final ConcurrentHashMap<Integer, Integer> held = new ConcurrentHashMap<>();
  /** Refusals sent on the connection the current worker serves (a connection is served by one thread). */
  private final ThreadLocal<int[]> refusals = ThreadLocal.withInitial(() -> new int[1]);
  private final Path path;
  private int listenFd = -1;
  private Thread acceptor;
  private volatile boolean closing;

  public FdChannelServer(Path path, MemoryEngine engine, HandoffTokens tokens, AttachWaiters waiters, ReattachCredentials credentials,
                         int maxConnections) {
    this(path, engine, tokens, waiters, credentials, maxConnections, MAX_CONNECTIONS_PER_UID);
  }

  /** As above, with another limit of connections per uid (tests). */
  public FdChannelServer(Path path, MemoryEngine engine, HandoffTokens tokens, AttachWaiters waiters, ReattachCredentials credentials,
                         int maxConnections, int perUidLimit) {
    if (perUidLimit < 1) {
      throw new IllegalArgumentException("perUidLimit >= 1");
    }
    this.perUidLimit = perUidLimit;
    this.path = path;
    this.engine = engine;
    this.tokens = tokens;
    this.waiters = waiters;
    this.credentials = credentials;
    AtomicInteger n = new AtomicInteger();
    this.workers = new ThreadPoolExecutor(maxConnections, maxConnections, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(maxConnections),
        r -> {
          Thread t = new Thread(r, "guestmem-fd-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  public Path path() {
    return path;
  }

  /** Binds and starts accepting. */
  public void start() throws IOException {
    Files.deleteIfExists(path);
    try {
      listenFd = UnixSockets.listenSeqpacket(path, 64);
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-rw-rw-"));
    } catch (ErrnoException e) {
      throw new IOException("cannot listen on " + path + ": " + e.getMessage(), e);
    }
    acceptor = new Thread(this::acceptLoop, "guestmem-fd-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void acceptLoop() {
    while (!closing) {
      int conn;
      try {
        conn = UnixSockets.accept(listenFd);
      } catch (ErrnoException e) {
        if (closing) {
          return;
        }
        log.warn("fd channel accept failed: {}", e.getMessage());
        continue;
      }
      SocketOptions.PeerCredentials peer;
      try {
        peer = SocketOptions.peerCredentials(conn);
      } catch (ErrnoException e) {
        closeQuietly(conn);
        continue;
      }
      int uid = peer.uid();
      if (!admit(uid)) {
        log.warn("fd channel: uid {} pid {} refused, it already holds {} connections", uid, peer.pid(), perUidLimit);
        refuseAndClose(conn, TOO_MANY_CONNECTIONS, "uid " + uid + " already holds " + perUidLimit
            + " connections to the fd channel (the most one uid may hold)");
        continue;
      }
      try {
        workers.execute(() -> {
          try {
            serve(conn, peer);
          } finally {
            release(uid);
          }
        });
      } catch (RejectedExecutionException e) {
        release(uid);
        refuseAndClose(conn, BUSY, "every fd channel worker is busy; try again");
      }
    }
  }

  private boolean admit(int uid) {
    boolean[] ok = new boolean[1];
    held.compute(uid, (k, n) -> {
      int now = n == null ? 0 : n;
      ok[0] = now < perUidLimit;
      return ok[0] ? now + 1 : now;
    });
    return ok[0];
  }

  private void release(int uid) {
    held.computeIfPresent(uid, (k, n) -> n <= 1 ? null : n - 1);
  }

  /**
   * From the acceptor: one refusal on a fresh connection (its send buffer is empty), then close.
   * What the peer already sent is read and dropped first (its fds closed): closing a socket with
   * unread data makes the peer's next receive fail with ECONNRESET before it sees the refusal.
   */
  private void refuseAndClose(int conn, String reason, String message) {
    try {
      SocketOptions.setTimeouts(conn, 1);
      UnixSockets.sendFds(conn, errorReply(reason, message), new int[0]);
      for (int i = 0; i < 4; i++) {
        UnixSockets.Received dropped = UnixSockets.recvFds(conn, MAX_MESSAGE, MAX_FDS);
        for (int fd : dropped.fds()) {
          closeQuietly(fd);
        }
        if (dropped.endOfStream()) {
          break;
        }
      }
    } catch (ErrnoException e) {
      log.debug("fd channel refusal {} not delivered: {}", reason, e.getMessage());
    } finally {
      closeQuietly(conn);
    }
  }

  private void serve(int conn, SocketOptions.PeerCredentials peer) {
    refusals.get()[0] = 0;
    try {
      SocketOptions.setTimeouts(conn, IDLE_TIMEOUT_MILLIS);
      while (!closing) {
        UnixSockets.Received msg;
        try {
          msg = UnixSockets.recvFds(conn, MAX_MESSAGE, MAX_FDS);
        } catch (ErrnoException e) {
          if (e.errno() != UnixSockets.EMSGSIZE) {
            throw e;
          }
          // the fds that did arrive were closed by recvFds; the rest were discarded by the kernel
          refuse(conn, MALFORMED, tooLarge(e.call()), false);
          return;
        }
        if (msg.endOfStream()) {
          return;
        }
        boolean keepOpen;
        try {
          keepOpen = handle(conn, peer, msg);
        } finally {
          for (int fd : msg.fds()) {
            closeQuietly(fd);
          }
        }
        if (!keepOpen) {
          return;
        }
      }
    } catch (ErrnoException e) {
      // peer went away, timed out, or sent something that did not fit: drop the connection
      log.debug("fd channel connection ended: {}", e.getMessage());
    } finally {
      closeQuietly(conn);
    }
  }

  private static String tooLarge(String call) {
    boolean payload = call.contains("payload");
    boolean control = call.contains("control");
    String fds = "more than " + MAX_FDS + " fds (those that came were closed)";
    String bytes = "a message over " + MAX_MESSAGE + " bytes";
    return "too large: " + (payload && control ? bytes + " with " + fds : control ? fds : bytes);
  }

  /** Handles one request; returns whether the connection stays open. */
  private boolean handle(int conn, SocketOptions.PeerCredentials peer, UnixSockets.Received msg) throws ErrnoException {
    FdChannelRequest req;
    try {
      req = FdChannelRequest.parse(msg.payload(), msg.fds().length);
    } catch (FdChannelRequest.MalformedRequestException e) {
      return refuse(conn, e.reason(), e.getMessage(), false);
    }
    if (req instanceof FdChannelRequest.Get g) {
      return get(conn, peer, g.lease(), g.token(), g.roles());
    }
    if (req instanceof FdChannelRequest.Attach a) {
      return attach(conn, peer, a.lease(), a.token(), a.declaredSize(), msg.fds()[0]);
    }
    return reattach(conn, peer, (FdChannelRequest.Reattach) req, msg.fds());
  }

  private boolean get(int conn, SocketOptions.PeerCredentials peer, String leaseId, String token, List<String> roles)
      throws ErrnoException {
    try {
      tokens.check(token, HandoffTokens.Op.GET, leaseId, peer.uid());
    } catch (HandoffTokens.RefusedException e) {
      return refuse(conn, e.refusal().name(), e.getMessage(), true);
    }
    Lease lease;
    long size;
    int[] send = new int[roles.size()];
    try {
      lease = engine.lease(leaseId);
      size = lease.info().size();
      for (int i = 0; i < roles.size(); i++) {
        OptionalInt fd;
        if (roles.get(i).equals(ROLE_SHARED)) {
          fd = lease.sharedFd();
        } else {
          // Only a guest_memfd is safe to hand out: nobody, its holder included, can map it. A
          // memfd_secret (secretmem backend) can be mapped by whoever holds it, so it never leaves.
          if (!engine.kernelEnforced()) {
            return refuse(conn, HandoffTokens.Refusal.OP_NOT_ALLOWED.name(), "the " + lease.info().backend()
                + " backend's private memory is mappable by whoever holds its fd: it is never handed out", true);
          }
          fd = lease.privateFd();
          if (fd.isEmpty() && lease.info().status() == LeaseStatus.AWAITING_FD) {
            return refuse(conn, MemoryException.Reason.NOT_ATTACHED.name(), "lease " + leaseId + " has no private fd yet", true);
          }
        }
        if (fd.isEmpty()) {
          return refuse(conn, MemoryException.Reason.UNSUPPORTED.name(),
              "the " + lease.info().backend() + " backend has no kernel object to hand over", true);
        }
        send[i] = fd.getAsInt();
      }
    } catch (MemoryException e) {
      return refuse(conn, e.reason().name(), e.getMessage(), true);
    }
    if (!tokens.consume(token, HandoffTokens.Op.GET)) {
      return refuse(conn, HandoffTokens.Refusal.TOKEN_USED.name(), "handoff token was already used for get", true);
    }
    ObjectNode reply = json.createObjectNode().put("lease", leaseId);
    ArrayNode list = reply.putArray("fds");
    for (String role : roles) {
      list.addObject().put("role", role).put("size", size);
    }
    try {
      UnixSockets.sendFds(conn, bytes(reply), send);
    } catch (ErrnoException e) {
      // nothing was delivered (a datagram goes whole or not at all): the peer gave up while the
      // request waited, so the token is given back rather than spent for nobody
      tokens.restore(token, HandoffTokens.Op.GET);
      throw e;
    }
    return true;
  }

  /**
   * {@code reattach}: after a restart, the lease's owner sends its re-attach credential and both
   * fds it kept; the engine proves they are the very kernel objects the lease had and the lease is
   * OPEN again with its journaled page states. Any refusal changes nothing.
   */
  private boolean reattach(int conn, SocketOptions.PeerCredentials peer, FdChannelRequest.Reattach req, int[] received)
      throws ErrnoException {
    String leaseId = req.lease();
    String credential = req.credential();
    int privateFd = received[req.privateFdIndex()];
    int sharedFd = received[req.sharedFdIndex()];
    List<Long> sizes = req.declaredSizes();
    try {
      Lease lease = engine.lease(leaseId);
      LeaseInfo info = lease.info();
      ReattachCredentials.Verdict v;
      try {
        v = credentials.check(leaseId, credential);
      } catch (IOException e) {
        return refuse(conn, MemoryException.Reason.JOURNAL_FAILED.name(), e.getMessage(), true);
      }
      if (v == ReattachCredentials.Verdict.UNKNOWN) {
        return refuse(conn, CREDENTIAL_UNKNOWN, "no re-attach credential is recorded for lease " + leaseId, true);
      }
      if (v != ReattachCredentials.Verdict.MATCH) {
        return refuse(conn, CREDENTIAL_MISMATCH, "the re-attach credential is not the one issued for lease " + leaseId, true);
      }
      if (info.owner().uid() != peer.uid()) {
        return refuse(conn, CREDENTIAL_WRONG_UID, "lease " + leaseId + " belongs to another uid", true);
      }
      if (info.status() != LeaseStatus.ORPHANED) {
        return refuse(conn, LEASE_NOT_ORPHANED, "lease " + leaseId + " is " + info.status() + "; only an orphaned lease is re-attached", true);
      }
      for (long declared : sizes) {
        if (declared != info.size()) {
          return refuse(conn, MemoryException.Reason.BAD_FD.name(),
              "declared size " + declared + " is not the lease size " + info.size(), true);
        }
      }
      lease.readopt(privateFd, sharedFd);
    } catch (MemoryException e) {
      return refuse(conn, e.reason().name(), e.getMessage(), true);
    }
    log.info("lease {} re-attached by uid {} pid {}", leaseId, peer.uid(), peer.pid());
    UnixSockets.sendFds(conn, bytes(json.createObjectNode().put("lease", leaseId).put("reattached", true)
        .put("status", LeaseStatus.OPEN.name())), new int[0]);
    return true;
  }

  private boolean attach(int conn, SocketOptions.PeerCredentials peer, String leaseId, String token, long declaredSize, int fd)
      throws ErrnoException {
    try {
      tokens.check(token, HandoffTokens.Op.ATTACH, leaseId, peer.uid());
    } catch (HandoffTokens.RefusedException e) {
      return refuse(conn, e.refusal().name(), e.getMessage(), true);
    }
    try {
      Lease lease = engine.lease(leaseId);
      if (lease.info().mode() != LeaseMode.ATTACHED) {
        return refuse(conn, HandoffTokens.Refusal.OP_NOT_ALLOWED.name(), "lease " + leaseId + " is an owned-mode lease", true);
      }
      if (declaredSize != lease.info().size()) {
        return refuse(conn, MemoryException.Reason.BAD_FD.name(),
            "declared size " + declaredSize + " is not the lease size " + lease.info().size(), true);
      }
      lease.attachPrivateFd(fd);
    } catch (MemoryException e) {
      return refuse(conn, e.reason().name(), e.getMessage(), true);
    }
    tokens.consume(token, HandoffTokens.Op.ATTACH);
    waiters.signal(leaseId);
    UnixSockets.sendFds(conn, bytes(json.createObjectNode().put("lease", leaseId).put("attached", true)), new int[0]);
    return true;
  }

  private boolean refuse(int conn, String reason, String message, boolean keepOpen) throws ErrnoException {
    if (keepOpen && ++refusals.get()[0] >= MAX_REFUSALS_PER_CONNECTION) {
      message = (message == null ? "" : message) + " (" + MAX_REFUSALS_PER_CONNECTION + " refusals on this connection: it is closed)";
      keepOpen = false;
    }
    UnixSockets.sendFds(conn, errorReply(reason, message), new int[0]);
    return keepOpen;
  }

  /** An error reply that always fits {@link #MAX_MESSAGE}: quoted values and the message are clipped. */
  byte[] errorReply(String reason, String message) {
    String m = clipMessage(message == null ? "" : message);
    while (true) {
      ObjectNode reply = json.createObjectNode();
      reply.putObject("error").put("reason", reason).put("message", m);
      byte[] b = bytes(reply);
      if (b.length <= MAX_MESSAGE || m.isEmpty()) {
        return b;
      }
      // only a message of escaped or multi-byte characters gets here: shorten until it fits
      m = clip(m, Math.max(0, m.length() - 1 - (b.length - MAX_MESSAGE)));
    }
  }

  /**
   * Clips every run of non-blank characters longer than {@link #MAX_QUOTED} (a lease id, token or
   * op quoted from the request: the service's own words are never that long) and the whole message
   * to {@link #MAX_ERROR_MESSAGE} characters, each with an ellipsis.
   */
  static String clipMessage(String message) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < message.length()) {
      int j = i;
      boolean blank = Character.isWhitespace(message.charAt(i));
      while (j < message.length() && Character.isWhitespace(message.charAt(j)) == blank) {
        j++;
      }
      String run = message.substring(i, j);
      out.append(blank ? run : clip(run, MAX_QUOTED));
      i = j;
    }
    return clip(out.toString(), MAX_ERROR_MESSAGE);
  }

  /** {@code s} if at most {@code max} characters, else its first characters and "…" ({@code max} in all). */
  static String clip(String s, int max) {
    if (s.length() <= max) {
      return s;
    }
    int cut = Math.max(0, max - 1);
    if (cut > 0 && Character.isHighSurrogate(s.charAt(cut - 1))) {
      cut--;
    }
    return s.substring(0, cut) + "\u2026";
  }

  private byte[] bytes(ObjectNode n) {
    return n.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void closeQuietly(int fd) {
    try {
      UnixSockets.close(fd);
    } catch (ErrnoException e) {
      // nothing to recover
    }
  }

  @Override
  public void close() {
    closing = true;
    if (listenFd >= 0) {
      try {
        SocketOptions.shutdown(listenFd);
      } catch (ErrnoException e) {
        log.debug("shutdown of fd channel listener: {}", e.getMessage());
      }
      closeQuietly(listenFd);
      listenFd = -1;
    }
    if (acceptor != null) {
      try {
        acceptor.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    workers.shutdownNow();
    try {
      Files.deleteIfExists(path);
    } catch (IOException e) {
      log.warn("cannot remove {}: {}", path, e.toString());
    }
  }
}
