package io.guestmem.memory.backend;

import com.sun.jna.Pointer;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.MemoryException.Reason;
import io.guestmem.memory.PageState;
import io.guestmem.memory.sys.Errno;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Kvm;
import io.guestmem.memory.sys.KvmIoctls;
import io.guestmem.memory.sys.Syscalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code kvm} backend: private memory is a real {@code guest_memfd} created <b>without</b>
 * {@code GUEST_MEMFD_FLAG_MMAP}, so the kernel refuses every mmap of it (ENODEV) and offers no
 * read/write path (guest-memfd.md §2.3, §7.1). Shared memory is a sealed memfd.
 *
 * <p><b>Owned mode.</b> Each lease gets its own holder VM ({@code KVM_CREATE_VM}, ~226 µs and
 * ~97 KiB on the build machines), the {@code guest_memfd} on it, and one memslot binding the
 * whole gmem at GPA 0 ({@code KVM_SET_USER_MEMORY_REGION2} with {@code KVM_MEM_GUEST_MEMFD},
 * {@code userspace_addr = 0}), so punches really go through KVM's invalidation of a bound range.
 * The holder VM is the SW_PROTECTED type when the kernel supports it together with
 * {@code KVM_SET_MEMORY_ATTRIBUTES}; then guestmem sets the PRIVATE attribute itself on
 * conversion. Otherwise (the build machines: type 0 only, attributes ENOTTY) the page state
 * lives only in guestmem's map.
 *
 * <p><b>Attached mode.</b> A VMM's gmem fd is accepted only after the proof in
 * {@link #attachPrivate(int, long)}; the VMM sets attributes itself.
 *
 * <p>Never maps a {@code guest_memfd}: the one mmap attempt, in the attach proof, is made on a
 * file whose MMAP flag is unknown; if it succeeds the mapping is removed untouched (touching a
 * non-INIT_SHARED gmem page raises SIGBUS).
 */
public final class KvmBackend implements MemoryBackend {
  /** What {@code readlink /proc/self/fd/N} gives for a guest_memfd. */
  public static final String GMEM_LINK = "anon_inode:[kvm-gmem]";

  private final int kvmFd;
  private final int holderVmType;
  private final boolean attributes;
  private boolean closed; // guarded by this

  private KvmBackend(int kvmFd, int holderVmType, boolean attributes) {
    this.kvmFd = kvmFd;
    this.holderVmType = holderVmType;
    this.attributes = attributes;
  }

  /** Opens {@code /dev/kvm}; {@link Reason#UNSUPPORTED} if it or {@code guest_memfd} is missing. */
  public static KvmBackend open() throws MemoryException {
    int kvm;
    try {
      kvm = KvmIoctls.openKvm();
    } catch (ErrnoException | LinkageError e) {
      throw new MemoryException(Reason.UNSUPPORTED, "kvm backend: cannot open " + Kvm.DEVICE + ": " + e.getMessage(), e);
    }
    try {
      if (KvmIoctls.checkExtension(kvm, Kvm.KVM_CAP_GUEST_MEMFD) <= 0) {
        throw new MemoryException(Reason.UNSUPPORTED, "kvm backend: KVM_CAP_GUEST_MEMFD is 0 on this kernel");
      }
      int types = KvmIoctls.checkExtension(kvm, Kvm.KVM_CAP_VM_TYPES);
      long attrs = KvmIoctls.checkExtension(kvm, Kvm.KVM_CAP_MEMORY_ATTRIBUTES);
      boolean swProtected = (types & (1 << Kvm.KVM_X86_SW_PROTECTED_VM)) != 0;
      boolean useAttrs = swProtected && (attrs & Kvm.KVM_MEMORY_ATTRIBUTE_PRIVATE) != 0;
      return new KvmBackend(kvm, useAttrs ? Kvm.KVM_X86_SW_PROTECTED_VM : Kvm.KVM_X86_DEFAULT_VM, useAttrs);
    } catch (ErrnoException e) {
      NativeFiles.closeQuietly(kvm);
      throw new MemoryException(Reason.UNSUPPORTED, "kvm backend: " + e.getMessage(), e);
    } catch (MemoryException e) {
      NativeFiles.closeQuietly(kvm);
      throw e;
    }
  }

  @Override
  public String name() {
    return "kvm";
  }

  @Override
  public boolean kernelEnforced() {
    return true;
  }

  @Override
  public String guarantee() {
    return "kernel-enforced: private memory is a guest_memfd without MMAP; every mmap fails with ENODEV and "
        + "read/write/pread/splice/sendfile all fail, for every process holding the fd";
  }

  /** The VM type of owned-mode holder VMs. */
  public int holderVmType() {
    return holderVmType;
  }

  private synchronized int liveKvm() throws MemoryException {
    if (closed) {
      throw new MemoryException(Reason.LEASE_CLOSED, "kvm backend closed");
    }
    return kvmFd;
  }

  @Override
  public PrivateBacking createPrivate(long size) throws MemoryException {
    int kvm = liveKvm();
    int vm = -1;
    int gmem = -1;
    try {
      vm = KvmIoctls.createVm(kvm, holderVmType);
      boolean vmAttrs = attributes
          && (KvmIoctls.checkExtension(vm, Kvm.KVM_CAP_MEMORY_ATTRIBUTES) & Kvm.KVM_MEMORY_ATTRIBUTE_PRIVATE) != 0;
      gmem = KvmIoctls.createGuestMemfd(vm, size, 0);
      KvmIoctls.setUserMemoryRegion2(vm, 0, Kvm.KVM_MEM_GUEST_MEMFD, 0, size, 0, 0, gmem);
      if (vmAttrs) {
        // QEMU marks new guest_memfd-backed RAM private; so does a new lease.
        KvmIoctls.setMemoryAttributes(vm, 0, size, Kvm.KVM_MEMORY_ATTRIBUTE_PRIVATE);
      }
      return new GuestMemfdBacking(gmem, vm, size, vmAttrs, NativeFiles.fileId(gmem));
    } catch (ErrnoException e) {
      if (gmem >= 0) {
        NativeFiles.closeQuietly(gmem);
      }
      if (vm >= 0) {
        NativeFiles.closeQuietly(vm);
      }
      Reason r = e.errno() == Errno.ENOMEM || e.errno() == Errno.ENOSPC ? Reason.QUOTA_EXCEEDED : Reason.SYSCALL_FAILED;
      throw new MemoryException(r, "kvm backend: owned lease: " + e.getMessage(), e);
    }
  }

  /**
   * The attached-mode proof. On a duplicate of {@code fd}: (1) the {@code /proc/self/fd} link is
   * {@code anon_inode:[kvm-gmem]}; (2) {@code fstat} says a regular file of exactly {@code size}
   * bytes; (3) {@code mmap(MAP_SHARED, PROT_READ)} of one page fails with ENODEV, i.e. the gmem
   * was created without MMAP. Any other outcome is {@link Reason#BAD_FD} and the duplicate is
   * closed. If (3) unexpectedly succeeds, the mapping is removed without being touched.
   */
  @Override
  public PrivateBacking attachPrivate(int fd, long size) throws MemoryException {
    liveKvm();
    int dup;
    try {
      dup = Syscalls.dupCloexec(fd);
    } catch (ErrnoException e) {
      throw new MemoryException(Reason.BAD_FD, "fd " + fd + " is not an open file descriptor: " + e.errnoName(), e);
    }
    try {
      proveUnmappableGmem(dup, size);
      return new GuestMemfdBacking(dup, -1, size, false, NativeFiles.fileId(dup));
    } catch (MemoryException e) {
      NativeFiles.closeQuietly(dup);
      throw e;
    } catch (ErrnoException e) {
      NativeFiles.closeQuietly(dup);
      throw new MemoryException(Reason.BAD_FD, "fd " + fd + ": " + e.getMessage(), e);
    }
  }

  /** Steps (1)–(3) of the attach proof; also used by tests and audits. */
  public static void proveUnmappableGmem(int fd, long size) throws MemoryException {
    String link;
    try {
      link = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
    } catch (IOException e) {
      throw new MemoryException(Reason.BAD_FD, "fd " + fd + ": cannot read /proc/self/fd link: " + e.getMessage(), e);
    }
    if (!GMEM_LINK.equals(link)) {
      throw new MemoryException(Reason.BAD_FD, "fd " + fd + " is '" + link + "', not " + GMEM_LINK);
    }
    Syscalls.Stat st;
    try {
      st = Syscalls.fstat(fd);
    } catch (ErrnoException e) {
      throw new MemoryException(Reason.BAD_FD, "fd " + fd + ": " + e.getMessage(), e);
    }
    if ((st.mode & 0170000) != 0100000) {
      throw new MemoryException(Reason.BAD_FD, "fd " + fd + ": st_mode 0" + Integer.toOctalString(st.mode) + " is not a regular file");
    }
    if (st.size != size) {
      throw new MemoryException(Reason.BAD_FD, "fd " + fd + ": guest_memfd size " + st.size + " != lease size " + size);
    }
    Pointer p;
    try {
      p = Syscalls.mmap(Syscalls.PAGE_SIZE_HINT, Syscalls.PROT_READ, Syscalls.MAP_SHARED, fd, 0);
    } catch (ErrnoException e) {
      if (e.errno() == Errno.ENODEV) {
        return; // created without GUEST_MEMFD_FLAG_MMAP: no process can map it
      }
      throw new MemoryException(Reason.BAD_FD, "fd " + fd + ": mmap probe failed with " + e.errnoName() + ", expected ENODEV", e);
    }
    // Mappable: remove the mapping without touching it (a fault could SIGBUS), then refuse.
    try {
      Syscalls.munmap(p, Syscalls.PAGE_SIZE_HINT);
    } catch (ErrnoException ignored) {
      // the mapping was made by this call; munmap of it cannot fail with valid arguments
    }
    throw new MemoryException(Reason.BAD_FD, "fd " + fd + ": guest_memfd is mappable (created with GUEST_MEMFD_FLAG_MMAP)");
  }

  @Override
  public SharedBacking createShared(long size) throws MemoryException {
    liveKvm();
    return MemfdSharedBacking.create(size);
  }

  /**
   * Re-adoption: the recorded inode, the lease size, and the full attach proof again. The holder
   * VM (owned mode) died with the old process, so guestmem no longer sets memory attributes for a
   * re-adopted lease; the gmem keeps its VM alive in the kernel (guest-memfd.md §2.1).
   */
  @Override
  public PrivateBacking adoptPrivate(int fd, long size, FileId expected) throws MemoryException {
    liveKvm();
    int dup = NativeFiles.dupIdentical(fd, size, expected, "private backing");
    try {
      proveUnmappableGmem(dup, size);
      return new GuestMemfdBacking(dup, -1, size, false, expected);
    } catch (MemoryException e) {
      NativeFiles.closeQuietly(dup);
      throw e;
    }
  }

  @Override
  public SharedBacking adoptShared(int fd, long size, FileId expected) throws MemoryException {
    liveKvm();
    return MemfdSharedBacking.adopt(fd, size, expected);
  }

  @Override
  public synchronized void close() {
    if (!closed) {
      closed = true;
      NativeFiles.closeQuietly(kvmFd);
    }
  }

  /** A guest_memfd, with the holder VM fd in owned mode (-1 in attached mode). */
  static final class GuestMemfdBacking extends FdBacking implements PrivateBacking {
    private final boolean setsAttributes;
    private int vmFd; // guarded by this

    GuestMemfdBacking(int fd, int vmFd, long size, boolean setsAttributes, FileId fileId) {
      super("guest_memfd", fd, size, fileId);
      this.vmFd = vmFd;
      this.setsAttributes = setsAttributes;
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
    public boolean setsAttributes() {
      return setsAttributes;
    }

    @Override
    public void setAttributes(long offset, long length, PageState state) throws ErrnoException {
      int vm;
      synchronized (this) {
        vm = vmFd;
      }
      if (!setsAttributes || vm < 0) {
        throw new IllegalStateException("this guest_memfd's attributes are set by its VMM, not guestmem");
      }
      KvmIoctls.setMemoryAttributes(vm, offset, length,
          state == PageState.PRIVATE ? Kvm.KVM_MEMORY_ATTRIBUTE_PRIVATE : 0);
    }

    @Override
    public String kind() {
      return "kvm-gmem";
    }

    @Override
    public synchronized void close() {
      super.close();
      if (vmFd >= 0) {
        NativeFiles.closeQuietly(vmFd);
        vmFd = -1;
      }
    }
  }
}
