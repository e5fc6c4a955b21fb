package io.guestmem.memory.backend;

import io.guestmem.memory.MemoryException;
import io.guestmem.memory.MemoryException.Reason;
import io.guestmem.memory.PageState;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Kvm;
import io.guestmem.memory.sys.Syscalls;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The {@code emulated} backend: pure Java, for machines without Linux or KVM. Private memory is
 * an {@link EmulatedGuestMemfd} without MMAP (so the same refusals, as bookkeeping), shared memory
 * an {@link EmulatedGuestMemfd} with MMAP|INIT_SHARED. There is no kernel object and <b>no kernel
 * guarantee</b>; every report names the backend {@code emulated}.
 */
public final class EmulatedBackend implements MemoryBackend {
  @Override
  public String name() {
    return "emulated";
  }

  @Override
  public boolean kernelEnforced() {
    return false;
  }

  @Override
  public String guarantee() {
    return "none: emulated in Java (same bookkeeping and refusals, no kernel object, no isolation)";
  }

  @Override
  public PrivateBacking createPrivate(long size) throws MemoryException {
    return new Emulated(create(size, 0));
  }

  @Override
  public PrivateBacking attachPrivate(int fd, long size) throws MemoryException {
    throw new MemoryException(Reason.UNSUPPORTED, "attached mode needs a VMM's guest_memfd; the emulated backend has none");
  }

  @Override
  public SharedBacking createShared(long size) throws MemoryException {
    return new Emulated(create(size, Kvm.GUEST_MEMFD_FLAG_MMAP | Kvm.GUEST_MEMFD_FLAG_INIT_SHARED));
  }

  @Override
  public PrivateBacking adoptPrivate(int fd, long size, FileId expected) throws MemoryException {
    throw new MemoryException(Reason.UNSUPPORTED, "emulated memory does not survive its process: nothing to re-adopt");
  }

  @Override
  public SharedBacking adoptShared(int fd, long size, FileId expected) throws MemoryException {
    throw new MemoryException(Reason.UNSUPPORTED, "emulated memory does not survive its process: nothing to re-adopt");
  }

  private static EmulatedGuestMemfd create(long size, long flags) throws MemoryException {
    try {
      return EmulatedGuestMemfd.create(size, flags);
    } catch (ErrnoException e) {
      throw new MemoryException(Reason.INVALID_ARGUMENT, "emulated backing: " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    // nothing held
  }

  /** One emulated file, usable as either side. */
  static final class Emulated implements PrivateBacking, SharedBacking {
    private final EmulatedGuestMemfd file;

    Emulated(EmulatedGuestMemfd file) {
      this.file = file;
    }

    EmulatedGuestMemfd file() {
      return file;
    }

    @Override
    public long size() {
      return file.size();
    }

    @Override
    public void allocate(long offset, long length) throws ErrnoException {
      file.fallocate(Syscalls.FALLOC_FL_KEEP_SIZE, offset, length);
    }

    @Override
    public void discard(long offset, long length) throws ErrnoException {
      file.fallocate(Syscalls.FALLOC_FL_KEEP_SIZE | Syscalls.FALLOC_FL_PUNCH_HOLE, offset, length);
    }

    @Override
    public MappedRegion map(long offset, long length) throws ErrnoException {
      return file.mmap(offset, length, true);
    }

    @Override
    public boolean setsAttributes() {
      return false;
    }

    @Override
    public void setAttributes(long offset, long length, PageState state) {
      throw new IllegalStateException("emulated backing has no KVM memory attributes");
    }

    @Override
    public String kind() {
      return "emulated";
    }

    @Override
    public OptionalInt fd() {
      return OptionalInt.empty();
    }

    @Override
    public Optional<FileId> fileId() {
      return Optional.empty();
    }

    @Override
    public void close() {
      // Java memory: released with the object
    }
  }
}
