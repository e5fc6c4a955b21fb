package io.guestmem.memory.backend;

import com.sun.jna.Pointer;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.MemoryException.Reason;
import io.guestmem.memory.PageState;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.LibC;
import io.guestmem.memory.sys.Syscalls;

/**
 * The {@code secretmem} backend, for hosts without {@code guest_memfd}: private memory is a
 * {@code memfd_secret(2)} file (guest-memfd.md §5).
 *
 * <p><b>Weaker guarantee.</b> secretmem pages are removed from the kernel direct map and are
 * unreachable from other address spaces ({@code /proc/pid/mem} EIO, {@code process_vm_readv}
 * EFAULT, GUP refused), but <i>any process holding the fd can mmap it</i>. It also has no
 * {@code fallocate} (EOPNOTSUPP), so guestmem maps it itself, briefly, to populate
 * ({@code MAP_POPULATE}) and to zero on discard (only pages already resident, found with
 * {@code mincore}, so zeroing never allocates), and memory is only returned to the system when the
 * lease is released. {@link io.guestmem.memory.MemoryEngine#audit(int)} reports any other process
 * holding the fd as a violation.
 */
public final class SecretmemBackend implements MemoryBackend {
  private static final long WINDOW = 32L << 20;

  private SecretmemBackend() {}

  /** Checks that {@code memfd_secret} works; {@link Reason#UNSUPPORTED} otherwise. */
  public static SecretmemBackend open() throws MemoryException {
    try {
      NativeFiles.closeQuietly(Syscalls.memfdSecret());
      return new SecretmemBackend();
    } catch (ErrnoException | LinkageError e) {
      throw new MemoryException(Reason.UNSUPPORTED, "secretmem backend: memfd_secret unavailable: " + e.getMessage(), e);
    }
  }

  @Override
  public String name() {
    return "secretmem";
  }

  @Override
  public boolean kernelEnforced() {
    return false;
  }

  @Override
  public String guarantee() {
    return "weaker than kvm: private memory is memfd_secret, hidden from other address spaces and the kernel "
        + "direct map, but mappable by any holder of the fd; guestmem maps it briefly to populate and zero";
  }

  @Override
  public PrivateBacking createPrivate(long size) throws MemoryException {
    int fd;
    try {
      fd = Syscalls.memfdSecret();
    } catch (ErrnoException e) {
      throw new MemoryException(Reason.SYSCALL_FAILED, "secretmem: " + e.getMessage(), e);
    }
    try {
      Syscalls.ftruncate(fd, size); // size can be set once only
      return new SecretBacking(fd, size, NativeFiles.fileId(fd));
    } catch (ErrnoException e) {
      NativeFiles.closeQuietly(fd);
      throw new MemoryException(Reason.SYSCALL_FAILED, "secretmem: " + e.getMessage(), e);
    }
  }

  @Override
  public PrivateBacking attachPrivate(int fd, long size) throws MemoryException {
    throw new MemoryException(Reason.UNSUPPORTED,
        "attached mode needs a VMM's guest_memfd; the secretmem backend has none");
  }

  @Override
  public SharedBacking createShared(long size) throws MemoryException {
    return MemfdSharedBacking.create(size);
  }

  @Override
  public PrivateBacking adoptPrivate(int fd, long size, FileId expected) throws MemoryException {
    int dup = NativeFiles.dupIdentical(fd, size, expected, "private backing");
    try {
      String link = java.nio.file.Files.readSymbolicLink(java.nio.file.Path.of("/proc/self/fd/" + dup)).toString();
      if (!link.startsWith("/secretmem")) {
        throw new MemoryException(Reason.BAD_FD, "private backing: fd " + fd + " is '" + link + "', not a memfd_secret");
      }
      return new SecretBacking(dup, size, expected);
    } catch (java.io.IOException e) {
      NativeFiles.closeQuietly(dup);
      throw new MemoryException(Reason.BAD_FD, "private backing: fd " + fd + ": " + e.getMessage(), e);
    } catch (MemoryException e) {
      NativeFiles.closeQuietly(dup);
      throw e;
    }
  }

  @Override
  public SharedBacking adoptShared(int fd, long size, FileId expected) throws MemoryException {
    return MemfdSharedBacking.adopt(fd, size, expected);
  }

  @Override
  public void close() {
    // holds no fd of its own
  }

  static final class SecretBacking extends FdBacking implements PrivateBacking {
    SecretBacking(int fd, long size, FileId fileId) {
      super("memfd_secret", fd, size, fileId);
    }

    @Override
    public void allocate(long offset, long length) throws ErrnoException {
      int f = liveFd();
      for (long o = offset; o < offset + length; o += WINDOW) {
        long len = Math.min(WINDOW, offset + length - o);
        Pointer p = Syscalls.mmap(len, Syscalls.PROT_READ | Syscalls.PROT_WRITE,
            Syscalls.MAP_SHARED | Syscalls.MAP_POPULATE, f, o);
        Syscalls.munmap(p, len);
      }
    }

    @Override
    public void discard(long offset, long length) throws ErrnoException {
      int f = liveFd();
      for (long o = offset; o < offset + length; o += WINDOW) {
        long len = Math.min(WINDOW, offset + length - o);
        Pointer p = Syscalls.mmap(len, Syscalls.PROT_READ | Syscalls.PROT_WRITE, Syscalls.MAP_SHARED, f, o);
        try {
          byte[] resident = new byte[(int) (len / Syscalls.PAGE_SIZE_HINT)];
          if (LibC.mincore(p, len, resident) < 0) {
            throw new ErrnoException("mincore", com.sun.jna.Native.getLastError());
          }
          for (int i = 0; i < resident.length; i++) {
            if ((resident[i] & 1) != 0) {
              p.setMemory(i * Syscalls.PAGE_SIZE_HINT, Syscalls.PAGE_SIZE_HINT, (byte) 0);
            }
          }
        } finally {
          Syscalls.munmap(p, len);
        }
      }
    }

    @Override
    public boolean setsAttributes() {
      return false;
    }

    @Override
    public void setAttributes(long offset, long length, PageState state) {
      throw new IllegalStateException("secretmem has no KVM memory attributes");
    }

    @Override
    public String kind() {
      return "secretmem";
    }
  }
}
