package io.guestmem.memory.sys;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * Checked wrappers over {@link LibC}: each returns the call's result or throws
 * {@link ErrnoException} naming the call and errno. fds created here carry FD_CLOEXEC.
 */
public final class Syscalls {
  private Syscalls() {}

  public static final int O_RDONLY = 0;
  public static final int O_RDWR = 2;
  public static final int O_CLOEXEC = 0x80000;

  public static final int F_GETFD = 1;
  public static final int F_SETFD = 2;
  public static final int F_GETFL = 3;
  public static final int FD_CLOEXEC = 1;
  public static final int F_DUPFD_CLOEXEC = 1030;
  public static final int F_ADD_SEALS = 1033;
  public static final int F_GET_SEALS = 1034;
  public static final int F_SEAL_SEAL = 0x0001;
  public static final int F_SEAL_SHRINK = 0x0002;
  public static final int F_SEAL_GROW = 0x0004;
  public static final int F_SEAL_WRITE = 0x0008;

  public static final int MFD_CLOEXEC = 0x0001;
  public static final int MFD_ALLOW_SEALING = 0x0002;

  public static final int FALLOC_FL_KEEP_SIZE = 0x01;
  public static final int FALLOC_FL_PUNCH_HOLE = 0x02;

  public static final int PROT_NONE = 0;
  public static final int PROT_READ = 1;
  public static final int PROT_WRITE = 2;
  public static final int MAP_SHARED = 0x01;
  public static final int MAP_PRIVATE = 0x02;
  public static final int MAP_POPULATE = 0x8000;
  /** The base page size guestmem works in (x86-64 and the usual aarch64 configuration). */
  public static final long PAGE_SIZE_HINT = 4096;

  public static final int SEEK_DATA = 3;
  public static final int SEEK_HOLE = 4;

  /** x86-64 syscall number of memfd_secret(2). */
  public static final long SYS_MEMFD_SECRET = 447;

  private static int check(String call, int rc) throws ErrnoException {
    if (rc < 0) {
      throw new ErrnoException(call, Native.getLastError());
    }
    return rc;
  }

  public static int open(String path, int flags) throws ErrnoException {
    return check("open(" + path + ")", LibC.open(path, flags | O_CLOEXEC));
  }

  public static void close(int fd) throws ErrnoException {
    check("close", LibC.close(fd));
  }

  public static int ioctl(int fd, String name, long request, long arg) throws ErrnoException {
    return check("ioctl(" + name + ")", LibC.ioctl(fd, request, arg));
  }

  public static int ioctl(int fd, String name, long request, Pointer arg) throws ErrnoException {
    return check("ioctl(" + name + ")", LibC.ioctl(fd, request, arg));
  }

  public static int fcntl(int fd, String name, int cmd, int arg) throws ErrnoException {
    return check("fcntl(" + name + ")", LibC.fcntl(fd, cmd, arg));
  }

  /** Duplicates {@code fd} to the lowest free fd number, with FD_CLOEXEC set. */
  public static int dupCloexec(int fd) throws ErrnoException {
    return fcntl(fd, "F_DUPFD_CLOEXEC", F_DUPFD_CLOEXEC, 0);
  }

  /** lseek; returns the new offset or throws (SEEK_DATA past the last data gives ENXIO). */
  public static long lseek(int fd, long offset, int whence) throws ErrnoException {
    long rc = LibC.lseek(fd, offset, whence);
    if (rc < 0) {
      throw new ErrnoException("lseek", Native.getLastError());
    }
    return rc;
  }

  /** Sets FD_CLOEXEC on an fd the kernel returned without it (guest_memfd, received fds). */
  public static void setCloexec(int fd) throws ErrnoException {
    int flags = fcntl(fd, "F_GETFD", F_GETFD, 0);
    fcntl(fd, "F_SETFD", F_SETFD, flags | FD_CLOEXEC);
  }

  public static void fallocate(int fd, int mode, long offset, long len) throws ErrnoException {
    check("fallocate", LibC.fallocate(fd, mode, offset, len));
  }

  /**
   * Writes {@code len} bytes at {@code buf} to {@code fd} at {@code offset}, continuing after
   * short writes and EINTR; throws on the first error (ENOSPC, EIO…), possibly after part of the
   * bytes were written.
   */
  public static void pwriteFully(int fd, Pointer buf, long len, long offset) throws ErrnoException {
    pwriteFully(fd, buf, 0, len, offset);
  }

  /** {@link #pwriteFully(int, Pointer, long, long)} of the {@code len} bytes at {@code buf + bufOffset}. */
  public static void pwriteFully(int fd, Pointer buf, long bufOffset, long len, long offset) throws ErrnoException {
    long done = 0;
    while (done < len) {
      long n = LibC.pwrite(fd, buf.share(bufOffset + done), len - done, offset + done);
      if (n < 0) {
        int errno = Native.getLastError();
        if (errno == Errno.EINTR) {
          continue;
        }
        throw new ErrnoException("pwrite", errno);
      }
      if (n == 0) {
        throw new ErrnoException("pwrite", Errno.EIO);
      }
      done += n;
    }
  }

  public static void ftruncate(int fd, long length) throws ErrnoException {
    check("ftruncate", LibC.ftruncate(fd, length));
  }

  public static int memfdCreate(String name, int flags) throws ErrnoException {
    return check("memfd_create", LibC.memfd_create(name, flags | MFD_CLOEXEC));
  }

  public static int memfdSecret() throws ErrnoException {
    long rc = LibC.syscall(SYS_MEMFD_SECRET, O_CLOEXEC);
    if (rc < 0) {
      throw new ErrnoException("memfd_secret", Native.getLastError());
    }
    return (int) rc;
  }

  /** mmap; returns the address or throws (MAP_FAILED is -1). */
  public static Pointer mmap(long length, int prot, int flags, int fd, long offset) throws ErrnoException {
    Pointer p = LibC.mmap(null, length, prot, flags, fd, offset);
    if (p == null || Pointer.nativeValue(p) == -1L) {
      throw new ErrnoException("mmap", Native.getLastError());
    }
    return p;
  }

  public static void munmap(Pointer addr, long length) throws ErrnoException {
    check("munmap", LibC.munmap(addr, length));
  }

  /** The fields of struct stat (x86-64 layout) guestmem reads. */
  public static final class Stat {
    public final long dev;
    public final long ino;
    public final int mode;
    public final int uid;
    public final long size;
    public final long blksize;

    Stat(long dev, long ino, int mode, int uid, long size, long blksize) {
      this.dev = dev;
      this.ino = ino;
      this.mode = mode;
      this.uid = uid;
      this.size = size;
      this.blksize = blksize;
    }
  }

  public static Stat fstat(int fd) throws ErrnoException {
    try (Memory buf = new Memory(144)) {
      buf.clear();
      check("fstat", LibC.fstat(fd, buf));
      // x86-64 struct stat: dev@0 ino@8 nlink@16 mode@24 uid@28 gid@32 rdev@40 size@48 blksize@56 blocks@64
      return new Stat(buf.getLong(0), buf.getLong(8), buf.getInt(24), buf.getInt(28), buf.getLong(48), buf.getLong(56));
    }
  }
}
