package io.guestmem.memory.backend;

import com.sun.jna.Pointer;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Syscalls;

/** An mmap'ed window of a shared memfd. */
final class NativeMappedRegion implements MappedRegion {
  private final long length;
  private Pointer base; // guarded by this; null once closed

  NativeMappedRegion(Pointer base, long length) {
    this.base = base;
    this.length = length;
  }

  @Override
  public long length() {
    return length;
  }

  private Pointer at(long offset, int len) {
    if (base == null) {
      throw new IllegalStateException("mapping closed");
    }
    if (offset < 0 || len < 0 || offset > length - len) {
      throw new IndexOutOfBoundsException("[" + offset + ", +" + len + ") outside mapping of " + length);
    }
    return base;
  }

  @Override
  public synchronized void read(long offset, byte[] dst) {
    at(offset, dst.length).read(offset, dst, 0, dst.length);
  }

  @Override
  public synchronized void write(long offset, byte[] src) {
    at(offset, src.length).write(offset, src, 0, src.length);
  }

  @Override
  public synchronized void close() {
    if (base != null) {
      try {
        Syscalls.munmap(base, length);
      } catch (ErrnoException e) {
        throw new IllegalStateException("munmap of a mapping guestmem made failed: " + e.getMessage(), e);
      } finally {
        base = null;
      }
    }
  }
}
