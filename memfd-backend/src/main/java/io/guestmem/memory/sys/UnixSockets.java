package io.guestmem.memory.sys;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * AF_UNIX {@code SOCK_SEQPACKET} sockets and file-descriptor passing with SCM_RIGHTS, for the fd
 * side channel (gRPC cannot carry fds; the JDK's unix-domain channels have no ancillary data).
 *
 * <p>Every socket made here, and every fd received, has FD_CLOEXEC (SOCK_CLOEXEC,
 * MSG_CMSG_CLOEXEC). Calls interrupted by a signal (EINTR) are retried. Layouts are x86-64 /
 * aarch64 LP64 ({@code struct msghdr} 56 bytes, {@code struct cmsghdr} 16-byte header).
 */
public final class UnixSockets {
  private UnixSockets() {}

  public static final int AF_UNIX = 1;
  public static final int SOCK_SEQPACKET = 5;
  public static final int SOCK_CLOEXEC = 0x80000;
  public static final int SOL_SOCKET = 1;
  public static final int SCM_RIGHTS = 1;
  public static final int MSG_TRUNC = 0x20;
  public static final int MSG_CTRUNC = 0x08;
  public static final int MSG_NOSIGNAL = 0x4000;
  public static final int MSG_CMSG_CLOEXEC = 0x40000000;
  /** The kernel's limit on fds per SCM_RIGHTS message (SCM_MAX_FD). */
  public static final int MAX_FDS = 253;
  /** errno for a message that did not fit (used for truncated payload or control data). */
  public static final int EMSGSIZE = 90;

  private static final int MSGHDR_SIZE = 56;
  private static final int CMSG_HEADER = 16;
  private static final int SUN_PATH_MAX = 108;

  /** One received message: its payload and the fds that came with it (now owned by the caller). */
  public record Received(byte[] payload, int[] fds) {
    public Received {
      payload = payload.clone();
      fds = fds.clone();
    }

    @Override
    public byte[] payload() {
      return payload.clone();
    }

    @Override
    public int[] fds() {
      return fds.clone();
    }

    /** The peer closed its end: a zero-length message without fds. */
    public boolean endOfStream() {
      return payload.length == 0 && fds.length == 0;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Received r && Arrays.equals(payload, r.payload) && Arrays.equals(fds, r.fds);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(payload) + Arrays.hashCode(fds);
    }

    @Override
    public String toString() {
      return "Received{" + payload.length + " bytes, fds=" + Arrays.toString(fds) + "}";
    }
  }

  private static int check(String call, int rc) throws ErrnoException {
    if (rc < 0) {
      throw new ErrnoException(call, Native.getLastError());
    }
    return rc;
  }

  /** A connected pair of SOCK_SEQPACKET sockets. */
  public static int[] seqpacketPair() throws ErrnoException {
    int[] sv = new int[2];
    check("socketpair(AF_UNIX, SOCK_SEQPACKET)", LibC.socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
    return sv;
  }

  private static Memory sockaddr(Path path) {
    byte[] p = path.toString().getBytes(StandardCharsets.UTF_8);
    if (p.length + 1 > SUN_PATH_MAX) {
      throw new IllegalArgumentException("unix socket path longer than 107 bytes: " + path);
    }
    Memory m = new Memory(2 + SUN_PATH_MAX);
    m.clear();
    m.setShort(0, (short) AF_UNIX);
    m.write(2, p, 0, p.length);
    return m;
  }

  private static int sockaddrLength(Path path) {
    return 2 + path.toString().getBytes(StandardCharsets.UTF_8).length + 1;
  }

  /** A SOCK_SEQPACKET socket bound to {@code path} and listening. */
  public static int listenSeqpacket(Path path, int backlog) throws ErrnoException {
    int fd = check("socket(AF_UNIX, SOCK_SEQPACKET)", LibC.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    try (Memory addr = sockaddr(path)) {
      check("bind(" + path + ")", LibC.bind(fd, addr, sockaddrLength(path)));
      check("listen", LibC.listen(fd, backlog));
      return fd;
    } catch (ErrnoException e) {
      LibC.close(fd);
      throw e;
    }
  }

  /** Accepts one connection (blocking), with SOCK_CLOEXEC. */
  public static int accept(int listenFd) throws ErrnoException {
    while (true) {
      int fd = LibC.accept4(listenFd, null, null, SOCK_CLOEXEC);
      if (fd >= 0) {
        return fd;
      }
      int errno = Native.getLastError();
      if (errno != Errno.EINTR) {
        throw new ErrnoException("accept4", errno);
      }
    }
  }

  /** Connects a new SOCK_SEQPACKET socket to {@code path}. */
  public static int connectSeqpacket(Path path) throws ErrnoException {
    int fd = check("socket(AF_UNIX, SOCK_SEQPACKET)", LibC.socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    try (Memory addr = sockaddr(path)) {
      while (LibC.connect(fd, addr, sockaddrLength(path)) < 0) {
        int errno = Native.getLastError();
        if (errno != Errno.EINTR) {
          throw new ErrnoException("connect(" + path + ")", errno);
        }
      }
      return fd;
    } catch (ErrnoException e) {
      LibC.close(fd);
      throw e;
    }
  }

  private static long cmsgSpace(int dataLen) {
    return CMSG_HEADER + ((dataLen + 7) & ~7L);
  }

  /**
   * Sends one message: {@code payload} (at least one byte) plus {@code fds} as SCM_RIGHTS. The
   * caller keeps its fds (the receiver gets duplicates). MSG_NOSIGNAL: a closed peer gives EPIPE,
   * not SIGPIPE.
   */
  public static void sendFds(int sockFd, byte[] payload, int[] fds) throws ErrnoException {
    if (payload.length == 0) {
      throw new IllegalArgumentException("payload must be at least one byte");
    }
    if (fds.length > MAX_FDS) {
      throw new IllegalArgumentException("at most " + MAX_FDS + " fds per message");
    }
    try (Memory data = new Memory(payload.length);
         Memory iov = new Memory(16);
         Memory msg = new Memory(MSGHDR_SIZE);
         Memory control = fds.length == 0 ? null : new Memory(cmsgSpace(4 * fds.length))) {
      data.write(0, payload, 0, payload.length);
      iov.setPointer(0, data);
      iov.setLong(8, payload.length);
      msg.clear();
      msg.setPointer(16, iov);
      msg.setLong(24, 1);
      if (control != null) {
        control.clear();
        control.setLong(0, CMSG_HEADER + 4L * fds.length);
        control.setInt(8, SOL_SOCKET);
        control.setInt(12, SCM_RIGHTS);
        for (int i = 0; i < fds.length; i++) {
          control.setInt(CMSG_HEADER + 4L * i, fds[i]);
        }
        msg.setPointer(32, control);
        msg.setLong(40, control.size());
      }
      while (true) {
        long n = LibC.sendmsg(sockFd, msg, MSG_NOSIGNAL);
        if (n >= 0) {
          if (n != payload.length) {
            throw new ErrnoException("sendmsg (short write of " + n + " bytes)", EMSGSIZE);
          }
          return;
        }
        int errno = Native.getLastError();
        if (errno != Errno.EINTR) {
          throw new ErrnoException("sendmsg(SCM_RIGHTS)", errno);
        }
      }
    }
  }

  /**
   * Receives one message of at most {@code maxPayload} bytes with at most {@code maxFds} fds,
   * with MSG_CMSG_CLOEXEC. If the payload or the control data was truncated, every fd that did
   * arrive is closed and the call fails with EMSGSIZE, so no fd leaks. A zero-length message
   * without fds means the peer closed the connection ({@link Received#endOfStream()}).
   */
  public static Received recvFds(int sockFd, int maxPayload, int maxFds) throws ErrnoException {
    if (maxPayload <= 0 || maxFds < 0 || maxFds > MAX_FDS) {
      throw new IllegalArgumentException("maxPayload > 0 and 0 <= maxFds <= " + MAX_FDS);
    }
    try (Memory data = new Memory(maxPayload);
         Memory iov = new Memory(16);
         Memory msg = new Memory(MSGHDR_SIZE);
         Memory control = new Memory(cmsgSpace(4 * Math.max(1, maxFds)))) {
      iov.setPointer(0, data);
      iov.setLong(8, maxPayload);
      long n;
      while (true) {
        msg.clear();
        control.clear();
        msg.setPointer(16, iov);
        msg.setLong(24, 1);
        msg.setPointer(32, control);
        msg.setLong(40, maxFds == 0 ? 0 : control.size());
        n = LibC.recvmsg(sockFd, msg, MSG_CMSG_CLOEXEC);
        if (n >= 0) {
          break;
        }
        int errno = Native.getLastError();
        if (errno != Errno.EINTR) {
          throw new ErrnoException("recvmsg(SCM_RIGHTS)", errno);
        }
      }
      int flags = msg.getInt(48);
      int[] fds = parseRights(msg, control);
      if ((flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
        for (int fd : fds) {
          LibC.close(fd);
        }
        String what = (flags & MSG_TRUNC) != 0 && (flags & MSG_CTRUNC) != 0 ? "payload and control data"
            : (flags & MSG_CTRUNC) != 0 ? "control data" : "payload";
        throw new ErrnoException("recvmsg (" + what + " truncated)", EMSGSIZE);
      }
      return new Received(data.getByteArray(0, (int) n), fds);
    }
  }

  /** Walks the control buffer and collects every SCM_RIGHTS fd. */
  private static int[] parseRights(Memory msg, Memory control) {
    long controlLen = msg.getLong(40);
    int[] out = new int[0];
    long off = 0;
    while (off + CMSG_HEADER <= controlLen) {
      long len = control.getLong(off);
      if (len < CMSG_HEADER || off + len > controlLen) {
        break;
      }
      int level = control.getInt(off + 8);
      int type = control.getInt(off + 12);
      if (level == SOL_SOCKET && type == SCM_RIGHTS) {
        int k = (int) ((len - CMSG_HEADER) / 4);
        int base = out.length;
        out = Arrays.copyOf(out, base + k);
        for (int i = 0; i < k; i++) {
          out[base + i] = control.getInt(off + CMSG_HEADER + 4L * i);
        }
      }
      off += (len + 7) & ~7L;
    }
    return out;
  }

  /** Closes a socket (or any fd) — for callers that hold raw fds from this class. */
  public static void close(int fd) throws ErrnoException {
    check("close", LibC.close(fd));
  }

  /** Pointer-free check used by tests: is {@code fd} open in this process? */
  public static boolean isOpen(int fd) {
    return LibC.fcntl(fd, Syscalls.F_GETFD, 0) >= 0;
  }

}
