package io.guestmem.memory;

/** Who created the lease's private backing. */
public enum LeaseMode {
  /**
   * guestmem created a holder KVM VM for the lease and the {@code guest_memfd} on it, so it can
   * also bind memslots and (where the kernel has them) set memory attributes itself.
   */
  OWNED,
  /**
   * The VMM created its own VM and {@code guest_memfd} and hands the fd over with
   * {@link Lease#attachPrivateFd(int)}; guestmem proves it is an unmappable {@code kvm-gmem}
   * first. The VMM sets memory attributes itself after guestmem acknowledges a conversion,
   * because the kernel refuses VM ioctls from any process but the VM's creator.
   */
  ATTACHED
}
