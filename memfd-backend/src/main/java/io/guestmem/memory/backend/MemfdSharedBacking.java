package io.guestmem.memory.backend;

import com.sun.jna.Pointer;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.MemoryException.Reason;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Syscalls;

/**
 * The shared backing on {@code kvm} and {@code secretmem}: {@code memfd_create(MFD_CLOEXEC |
 * MFD_ALLOW_SEALING)}, sized once with {@code ftruncate}, then sealed with
 * {@code F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL} so that neither guestmem nor the VMM can
 * change its size (a shrink would SIGBUS the VMM's mapping).
 */
final class MemfdSharedBacking extends FdBacking implements SharedBacking {
  private MemfdSharedBacking(int fd, long size, FileId fileId) {
    super("shared backing", fd, size, fileId);
  }

  static MemfdSharedBacking create(long size) throws MemoryException {
    int fd;
    try {
      fd = Syscalls.memfdCreate("guestmem-shared", Syscalls.MFD_ALLOW_SEALING);
    } catch (ErrnoException e) {
      throw new MemoryException(Reason.SYSCALL_FAILED, "shared backing: " + e.getMessage(), e);
    }
    try {
      Syscalls.ftruncate(fd, size);
      Syscalls.fcntl(fd, "F_ADD_SEALS", Syscalls.F_ADD_SEALS,
          Syscalls.F_SEAL_SHRINK | Syscalls.F_SEAL_GROW | Syscalls.F_SEAL_SEAL);
      return new MemfdSharedBacking(fd, size, NativeFiles.fileId(fd));
    } catch (ErrnoException e) {
      NativeFiles.closeQuietly(fd);
      throw new MemoryException(Reason.SYSCALL_FAILED, "shared backing: " + e.getMessage(), e);
    }
  }

  /** Re-adopts a shared memfd after a restart: same inode and size, still sealed against resize. */
  static MemfdSharedBacking adopt(int fd, long size, FileId expected) throws MemoryException {
    int dup = NativeFiles.dupIdentical(fd, size, expected, "shared backing");
    try {
      int seals = Syscalls.fcntl(dup, "F_GET_SEALS", Syscalls.F_GET_SEALS, 0);
      int need = Syscalls.F_SEAL_SHRINK | Syscalls.F_SEAL_GROW;
      if ((seals & need) != need) {
        throw new MemoryException(Reason.BAD_FD, "shared backing: fd " + fd + " is not sealed against grow and shrink");
      }
      return new MemfdSharedBacking(dup, size, expected);
    } catch (ErrnoException e) {
      NativeFiles.closeQuietly(dup);
      throw new MemoryException(Reason.BAD_FD, "shared backing: fd " + fd + ": " + e.getMessage(), e);
    } catch (MemoryException e) {
      NativeFiles.closeQuietly(dup);
      throw e;
    }
  }

  @Override
  public void allocate(long offset, long length) throws ErrnoException {
    NativeFiles.fallocate(liveFd(), NativeFiles.ALLOCATE, offset, length);
  }

  @Override
  public void discard(long offset, long length) throws ErrnoException {
    NativeFiles.fallocate(liveFd(), NativeFiles.PUNCH, offset, length);
  }

  @Override
  public MappedRegion map(long offset, long length) throws ErrnoException {
    Pointer p = Syscalls.mmap(length, Syscalls.PROT_READ | Syscalls.PROT_WRITE, Syscalls.MAP_SHARED, liveFd(), offset);
    return new NativeMappedRegion(p, length);
  }

}
