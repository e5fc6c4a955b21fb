package io.guestmem.memory.sys;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * Socket options and shutdown for the fd side channel: {@code SO_PEERCRED} (who is on the other
 * end, as the kernel recorded it at connect time), {@code SO_RCVTIMEO}/{@code SO_SNDTIMEO} (so a
 * stalled client cannot hold a handler), and {@code shutdown(2)} (wakes a thread blocked in
 * {@code accept}, which {@code close} does not).
 */
public final class SocketOptions {
  static {
    Native.register(SocketOptions.class, NativeLibrary.getInstance("c"));
  }

  private SocketOptions() {}

  private static final int SOL_SOCKET = 1;
  private static final int SO_PEERCRED = 17;
  private static final int SO_RCVTIMEO = 20;
  private static final int SO_SNDTIMEO = 21;
  public static final int SHUT_RDWR = 2;

  private static native int getsockopt(int fd, int level, int name, Pointer value, Pointer len);

  private static native int setsockopt(int fd, int level, int name, Pointer value, int len);

  private static native int shutdown(int fd, int how);

  /** The peer of a connected unix socket: {@code struct ucred}. */
  public record PeerCredentials(int pid, int uid, int gid) {}

  public static PeerCredentials peerCredentials(int fd) throws ErrnoException {
    try (Memory cred = new Memory(12); Memory len = new Memory(4)) {
      cred.clear();
      len.setInt(0, 12);
      if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, len) < 0) {
        throw new ErrnoException("getsockopt(SO_PEERCRED)", Native.getLastError());
      }
      return new PeerCredentials(cred.getInt(0), cred.getInt(4), cred.getInt(8));
    }
  }

  /** Sets both receive and send timeouts; a blocked call then fails with EAGAIN. */
  public static void setTimeouts(int fd, long millis) throws ErrnoException {
    try (Memory tv = new Memory(16)) {
      tv.setLong(0, millis / 1000);
      tv.setLong(8, (millis % 1000) * 1000);
      if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16) < 0) {
        throw new ErrnoException("setsockopt(SO_RCVTIMEO)", Native.getLastError());
      }
      if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv, 16) < 0) {
        throw new ErrnoException("setsockopt(SO_SNDTIMEO)", Native.getLastError());
      }
    }
  }

  public static void shutdown(int fd) throws ErrnoException {
    if (shutdown(fd, SHUT_RDWR) < 0) {
      throw new ErrnoException("shutdown", Native.getLastError());
    }
  }
}
