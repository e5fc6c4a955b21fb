package io.guestmem.memory.sys;

import com.sun.jna.Memory;

/**
 * Typed wrappers over the KVM ioctls guestmem issues ({@code guest-memfd.md} §1–§2). Every fd
 * returned has FD_CLOEXEC set (the kernel creates VM and guest_memfd fds without it).
 *
 * <p>Remember the ownership rule: VM ioctls succeed only in the process that created the VM
 * (EIO elsewhere).
 */
public final class KvmIoctls {
  private KvmIoctls() {}

  /** Opens {@code /dev/kvm} read-write with O_CLOEXEC. */
  public static int openKvm() throws ErrnoException {
    return Syscalls.open(Kvm.DEVICE, Syscalls.O_RDWR);
  }

  /** {@code KVM_CHECK_EXTENSION}: the capability's value (0 if absent). */
  public static int checkExtension(int fd, int cap) throws ErrnoException {
    return Syscalls.ioctl(fd, "KVM_CHECK_EXTENSION", Kvm.KVM_CHECK_EXTENSION, cap);
  }

  /** {@code KVM_CREATE_VM(type)}. */
  public static int createVm(int kvmFd, int type) throws ErrnoException {
    int vm = Syscalls.ioctl(kvmFd, "KVM_CREATE_VM", Kvm.KVM_CREATE_VM, type);
    Syscalls.setCloexec(vm);
    return vm;
  }

  /** {@code KVM_CREATE_GUEST_MEMFD{size, flags}} on a VM fd; reserved words are zero. */
  public static int createGuestMemfd(int vmFd, long size, long flags) throws ErrnoException {
    try (Memory arg = new Memory(Kvm.CREATE_GUEST_MEMFD_SIZE)) {
      arg.clear();
      arg.setLong(0, size);
      arg.setLong(8, flags);
      int fd = Syscalls.ioctl(vmFd, "KVM_CREATE_GUEST_MEMFD", Kvm.KVM_CREATE_GUEST_MEMFD, arg);
      Syscalls.setCloexec(fd);
      return fd;
    }
  }

  /**
   * {@code KVM_SET_USER_MEMORY_REGION2}. With {@link Kvm#KVM_MEM_GUEST_MEMFD} in {@code flags}
   * the slot is backed by {@code gmemFd} at {@code gmemOffset}; {@code userspaceAddr} may be 0.
   * {@code memorySize} 0 deletes the slot.
   */
  public static void setUserMemoryRegion2(int vmFd, int slot, int flags, long gpa, long memorySize,
                                          long userspaceAddr, long gmemOffset, int gmemFd) throws ErrnoException {
    try (Memory arg = new Memory(Kvm.MEMORY_REGION2_SIZE)) {
      arg.clear();
      arg.setInt(0, slot);
      arg.setInt(4, flags);
      arg.setLong(8, gpa);
      arg.setLong(16, memorySize);
      arg.setLong(24, userspaceAddr);
      arg.setLong(32, gmemOffset);
      arg.setInt(40, gmemFd);
      Syscalls.ioctl(vmFd, "KVM_SET_USER_MEMORY_REGION2", Kvm.KVM_SET_USER_MEMORY_REGION2, arg);
    }
  }

  /** {@code KVM_SET_MEMORY_ATTRIBUTES{address, size, attributes, flags=0}} (ENOTTY where not built in). */
  public static void setMemoryAttributes(int vmFd, long address, long size, long attributes) throws ErrnoException {
    try (Memory arg = new Memory(32)) {
      arg.clear();
      arg.setLong(0, address);
      arg.setLong(8, size);
      arg.setLong(16, attributes);
      Syscalls.ioctl(vmFd, "KVM_SET_MEMORY_ATTRIBUTES", Kvm.KVM_SET_MEMORY_ATTRIBUTES, arg);
    }
  }
}
