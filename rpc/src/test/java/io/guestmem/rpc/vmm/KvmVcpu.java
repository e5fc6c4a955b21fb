package io.guestmem.rpc.vmm;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import io.guestmem.memory.sys.Errno;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Kvm;
import io.guestmem.memory.sys.Syscalls;

/**
 * One vCPU of the mini VMM's VM, with its shared {@code struct kvm_run} page: just enough of the
 * x86 vCPU uAPI to run a few instructions of 16-bit real-mode code and see its port I/O.
 *
 * <p>Layouts are x86-64, from {@code arch/x86/include/uapi/asm/kvm.h} and
 * {@code include/uapi/linux/kvm.h} (Linux 6.18):
 * <pre>
 *   struct kvm_regs   144 bytes: rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip@0x80 rflags@0x88
 *   struct kvm_sregs  312 bytes: cs@0x00 ds@0x18 es@0x30 fs@0x48 gs@0x60 ss@0x78 tr@0x90 ldt@0xa8
 *                                (struct kvm_segment, 24 bytes: base@0 limit@8 selector@12 type@14 ...),
 *                                gdt@0xc0 idt@0xd0, cr0@0xe0 ... apic_base@0x110, interrupt_bitmap@0x118
 *   struct kvm_run    request_interrupt_window@0 immediate_exit@1 exit_reason@8 ... union@0x20
 *                     io: direction@0x20 size@0x21 port@0x22 count@0x24 data_offset@0x28
 *                     mmio: phys_addr@0x20 data@0x28 len@0x30 is_write@0x34
 *                     internal: suberror@0x20;  fail_entry: hardware_entry_failure_reason@0x20
 * </pre>
 * Ioctl numbers not in {@link Kvm} are derived here with {@code _IOR/_IOW(KVMIO, nr, size)}.
 */
final class KvmVcpu implements AutoCloseable {
  static final int REGS_SIZE = 144;
  static final int SREGS_SIZE = 312;
  static final long KVM_GET_REGS = ior(0x81, REGS_SIZE);
  static final long KVM_SET_REGS = iow(0x82, REGS_SIZE);
  static final long KVM_GET_SREGS = ior(0x83, SREGS_SIZE);
  static final long KVM_SET_SREGS = iow(0x84, SREGS_SIZE);

  static final int KVM_EXIT_IO = 2;
  static final int KVM_EXIT_HLT = 5;
  static final int KVM_EXIT_MMIO = 6;
  static final int KVM_EXIT_SHUTDOWN = 8;
  static final int KVM_EXIT_FAIL_ENTRY = 9;
  static final int KVM_EXIT_INTERNAL_ERROR = 17;
  static final int KVM_EXIT_MEMORY_FAULT = 39;
  static final int KVM_EXIT_IO_OUT = 1;

  private static final int RIP = 0x80;
  private static final int RFLAGS = 0x88;
  private static final int SEGMENT_SIZE = 24;

  private static long ior(int nr, int size) {
    return (2L << 30) | ((long) size << 16) | (0xAEL << 8) | nr;
  }

  private static long iow(int nr, int size) {
    return (1L << 30) | ((long) size << 16) | (0xAEL << 8) | nr;
  }

  private final int fd;
  private final Pointer run;
  private final long runSize;

  private KvmVcpu(int fd, Pointer run, long runSize) {
    this.fd = fd;
    this.run = run;
    this.runSize = runSize;
  }

  /** {@code KVM_CREATE_VCPU(id)} on {@code vmFd}, then maps its kvm_run page ({@code KVM_GET_VCPU_MMAP_SIZE} bytes). */
  static KvmVcpu create(int kvmFd, int vmFd, int id) throws ErrnoException {
    long size = Syscalls.ioctl(kvmFd, "KVM_GET_VCPU_MMAP_SIZE", Kvm.KVM_GET_VCPU_MMAP_SIZE, 0L);
    int vcpu = Syscalls.ioctl(vmFd, "KVM_CREATE_VCPU", Kvm.KVM_CREATE_VCPU, (long) id);
    try {
      Syscalls.setCloexec(vcpu);
      Pointer run = Syscalls.mmap(size, Syscalls.PROT_READ | Syscalls.PROT_WRITE, Syscalls.MAP_SHARED, vcpu, 0);
      return new KvmVcpu(vcpu, run, size);
    } catch (ErrnoException e) {
      Syscalls.close(vcpu);
      throw e;
    }
  }

  long runSize() {
    return runSize;
  }

  /**
   * Puts the vCPU in flat 16-bit real mode at {@code rip}: every data and code segment has base 0
   * and selector 0 (the reset state has CS base 0xffff0000), {@code rflags} = 2 (only the
   * always-one bit), every general register 0.
   */
  void enterRealMode(long rip) throws ErrnoException {
    try (Memory sregs = new Memory(SREGS_SIZE); Memory regs = new Memory(REGS_SIZE)) {
      sregs.clear();
      Syscalls.ioctl(fd, "KVM_GET_SREGS", KVM_GET_SREGS, sregs);
      for (int seg = 0; seg < 6; seg++) { // cs ds es fs gs ss
        long off = (long) seg * SEGMENT_SIZE;
        sregs.setLong(off, 0L); // base
        sregs.setShort(off + 12, (short) 0); // selector
      }
      Syscalls.ioctl(fd, "KVM_SET_SREGS", KVM_SET_SREGS, sregs);
      regs.clear();
      regs.setLong(RIP, rip);
      regs.setLong(RFLAGS, 2L);
      Syscalls.ioctl(fd, "KVM_SET_REGS", KVM_SET_REGS, regs);
    }
  }

  /** The vCPU's rip and CS base as KVM reports them, for diagnostics. */
  String where() throws ErrnoException {
    try (Memory sregs = new Memory(SREGS_SIZE); Memory regs = new Memory(REGS_SIZE)) {
      Syscalls.ioctl(fd, "KVM_GET_SREGS", KVM_GET_SREGS, sregs);
      Syscalls.ioctl(fd, "KVM_GET_REGS", KVM_GET_REGS, regs);
      return String.format("rip=0x%x cs.base=0x%x cs.selector=0x%x", regs.getLong(RIP), sregs.getLong(0), sregs.getShort(12) & 0xffff);
    }
  }

  /**
   * One {@code KVM_RUN}, retried on EINTR. A failing KVM_RUN throws, except EFAULT/EHWPOISON
   * with {@code KVM_EXIT_MEMORY_FAULT}, the one exit that comes with an error return.
   */
  Exit run() throws ErrnoException {
    while (true) {
      try {
        Syscalls.ioctl(fd, "KVM_RUN", Kvm.KVM_RUN, 0L);
        return exit();
      } catch (ErrnoException e) {
        if (e.errno() == Errno.EINTR) {
          continue;
        }
        if (e.errno() == Errno.EFAULT && run.getInt(8) == KVM_EXIT_MEMORY_FAULT) {
          return exit();
        }
        throw e;
      }
    }
  }

  private Exit exit() {
    int reason = run.getInt(8);
    switch (reason) {
      case KVM_EXIT_IO: {
        int direction = run.getByte(0x20) & 0xff;
        int size = run.getByte(0x21) & 0xff;
        int port = run.getShort(0x22) & 0xffff;
        int count = run.getInt(0x24);
        long dataOffset = run.getLong(0x28);
        long value = 0;
        if (size >= 1 && size <= 4 && dataOffset >= 0 && dataOffset + size <= runSize) {
          for (int i = size - 1; i >= 0; i--) {
            value = (value << 8) | (run.getByte(dataOffset + i) & 0xff);
          }
        }
        return new Exit(reason, port, direction, size, count, value,
            String.format("IO %s port=0x%x size=%d count=%d value=0x%02x", direction == KVM_EXIT_IO_OUT ? "out" : "in", port, size, count, value));
      }
      case KVM_EXIT_MMIO:
        return new Exit(reason, -1, -1, run.getInt(0x30), 1, run.getLong(0x28),
            String.format("MMIO %s gpa=0x%x len=%d", run.getByte(0x34) != 0 ? "write" : "read", run.getLong(0x20), run.getInt(0x30)));
      case KVM_EXIT_HLT:
        return new Exit(reason, -1, -1, 0, 0, 0, "HLT");
      case KVM_EXIT_SHUTDOWN:
        return new Exit(reason, -1, -1, 0, 0, 0, "SHUTDOWN (triple fault)");
      case KVM_EXIT_FAIL_ENTRY:
        return new Exit(reason, -1, -1, 0, 0, 0, String.format("FAIL_ENTRY hardware_entry_failure_reason=0x%x", run.getLong(0x20)));
      case KVM_EXIT_INTERNAL_ERROR:
        return new Exit(reason, -1, -1, 0, 0, 0, "INTERNAL_ERROR suberror=" + run.getInt(0x20));
      case KVM_EXIT_MEMORY_FAULT:
        return new Exit(reason, -1, -1, 0, 0, 0,
            String.format("MEMORY_FAULT flags=0x%x gpa=0x%x size=0x%x", run.getLong(0x20), run.getLong(0x28), run.getLong(0x30)));
      default:
        return new Exit(reason, -1, -1, 0, 0, 0, "exit_reason=" + reason);
    }
  }

  /**
   * A decoded exit. For {@code KVM_EXIT_IO}, {@code value} is the data at {@code data_offset}
   * in the kvm_run page (the byte written for a one-byte {@code out}).
   */
  record Exit(int reason, int port, int direction, int size, int count, long value, String description) {
    boolean isOut(int p) {
      return reason == KVM_EXIT_IO && direction == KVM_EXIT_IO_OUT && port == p && size == 1 && count == 1;
    }
  }

  @Override
  public void close() throws ErrnoException {
    Syscalls.munmap(run, runSize);
    Syscalls.close(fd);
  }
}
