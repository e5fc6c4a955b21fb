package io.guestmem.memory.sys;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.nio.charset.StandardCharsets;

/**
 * AF_UNIX {@code SOCK_DGRAM} sockets addressed by path or by abstract name ({@code @name}, as
 * systemd's {@code $NOTIFY_SOCKET} may be): what the service-manager notification protocol needs.
 * Every socket has SOCK_CLOEXEC.
 */
public final class DatagramSockets {
  private static final int SOCK_DGRAM = 2;
  private static final int SUN_PATH_MAX = 108;

  private DatagramSockets() {}

  /** {@code struct sockaddr_un} for a path, or for an abstract name when it starts with {@code @}. */
  private static Memory sockaddr(String address) {
    byte[] p = address.getBytes(StandardCharsets.UTF_8);
    boolean abstractName = address.startsWith("@");
    if (p.length + 1 > SUN_PATH_MAX || p.length == 0) {
      throw new IllegalArgumentException("not a unix socket address (1 to 107 bytes): " + address);
    }
    Memory m = new Memory(2 + SUN_PATH_MAX);
    m.clear();
    m.setShort(0, (short) UnixSockets.AF_UNIX);
    m.write(2, p, 0, p.length);
    if (abstractName) {
      m.setByte(2, (byte) 0);
    }
    return m;
  }

  private static int sockaddrLength(String address) {
    int n = address.getBytes(StandardCharsets.UTF_8).length;
    // an abstract name's length is exact (no terminating NUL); a path's includes its NUL
    return 2 + n + (address.startsWith("@") ? 0 : 1);
  }

  private static int check(String call, int rc) throws ErrnoException {
    if (rc < 0) {
      throw new ErrnoException(call, Native.getLastError());
    }
    return rc;
  }

  /** A datagram socket bound to {@code address} (for receivers, e.g. a test playing the service manager). */
  public static int bind(String address) throws ErrnoException {
    int fd = check("socket(AF_UNIX, SOCK_DGRAM)", LibC.socket(UnixSockets.AF_UNIX, SOCK_DGRAM | UnixSockets.SOCK_CLOEXEC, 0));
    try (Memory addr = sockaddr(address)) {
      check("bind(" + address + ")", LibC.bind(fd, addr, sockaddrLength(address)));
      return fd;
    } catch (ErrnoException | RuntimeException e) {
      LibC.close(fd);
      throw e;
    }
  }

  /** Sends one datagram with optional SCM_RIGHTS fds to {@code address}, from a fresh socket. */
  public static void send(String address, byte[] payload, int[] fds) throws ErrnoException {
    send(address, payload, fds, 0);
  }

  /**
   * As {@link #send(String, byte[], int[])}, but waits at most {@code timeoutMillis} (when &gt; 0)
   * for room in the receiver's queue: a receiver that stops reading makes the send fail with
   * EAGAIN instead of blocking the sender for ever.
   */
  public static void send(String address, byte[] payload, int[] fds, long timeoutMillis) throws ErrnoException {
    int fd = check("socket(AF_UNIX, SOCK_DGRAM)", LibC.socket(UnixSockets.AF_UNIX, SOCK_DGRAM | UnixSockets.SOCK_CLOEXEC, 0));
    try (Memory addr = sockaddr(address)) {
      if (timeoutMillis > 0) {
        SocketOptions.setTimeouts(fd, timeoutMillis);
      }
      check("connect(" + address + ")", LibC.connect(fd, addr, sockaddrLength(address)));
      UnixSockets.sendFds(fd, payload, fds);
    } finally {
      LibC.close(fd);
    }
  }
}
