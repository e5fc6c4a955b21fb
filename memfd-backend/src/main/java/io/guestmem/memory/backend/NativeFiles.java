package io.guestmem.memory.backend;

import io.guestmem.memory.sys.Errno;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Syscalls;

/** fallocate with the EINTR retry every backing needs, and quiet close. */
final class NativeFiles {
  private NativeFiles() {}

  static final int ALLOCATE = Syscalls.FALLOC_FL_KEEP_SIZE;
  static final int PUNCH = Syscalls.FALLOC_FL_PUNCH_HOLE | Syscalls.FALLOC_FL_KEEP_SIZE;

  /**
   * fallocate, retried on EINTR. The kernel keeps the pages it allocated before the signal
   * (guest-memfd.md §2.4), so the retry only does the remainder; punching is idempotent.
   */
  static void fallocate(int fd, int mode, long offset, long length) throws ErrnoException {
    while (true) {
      try {
        Syscalls.fallocate(fd, mode, offset, length);
        return;
      } catch (ErrnoException e) {
        if (e.errno() != Errno.EINTR) {
          throw e;
        }
      }
    }
  }

  static void closeQuietly(int fd) {
    try {
      Syscalls.close(fd);
    } catch (ErrnoException ignored) {
      // EBADF here would mean a double close, which the owners' closed flags rule out;
      // EINTR/EIO on close still release the fd on Linux.
    }
  }

  static FileId fileId(int fd) throws ErrnoException {
    Syscalls.Stat st = Syscalls.fstat(fd);
    return new FileId(st.dev, st.ino);
  }

  /**
   * Duplicates {@code fd} (CLOEXEC) and checks that it is the recorded object of the recorded
   * size; the caller owns the duplicate. BAD_FD, with the duplicate closed, otherwise.
   */
  static int dupIdentical(int fd, long size, FileId expected, String what) throws io.guestmem.memory.MemoryException {
    int dup;
    try {
      dup = Syscalls.dupCloexec(fd);
    } catch (ErrnoException e) {
      throw new io.guestmem.memory.MemoryException(io.guestmem.memory.MemoryException.Reason.BAD_FD,
          what + ": fd " + fd + " is not an open file descriptor: " + e.errnoName(), e);
    }
    try {
      Syscalls.Stat st = Syscalls.fstat(dup);
      if (expected == null || st.dev != expected.dev() || st.ino != expected.ino()) {
        throw new io.guestmem.memory.MemoryException(io.guestmem.memory.MemoryException.Reason.BAD_FD,
            what + ": fd " + fd + " is inode " + st.ino + ", not the recorded " + (expected == null ? "(none)" : expected.ino()));
      }
      if (st.size != size) {
        throw new io.guestmem.memory.MemoryException(io.guestmem.memory.MemoryException.Reason.BAD_FD,
            what + ": fd " + fd + " has size " + st.size + ", the lease " + size);
      }
      return dup;
    } catch (ErrnoException e) {
      closeQuietly(dup);
      throw new io.guestmem.memory.MemoryException(io.guestmem.memory.MemoryException.Reason.BAD_FD,
          what + ": fd " + fd + ": " + e.getMessage(), e);
    } catch (io.guestmem.memory.MemoryException e) {
      closeQuietly(dup);
      throw e;
    }
  }
}
