package io.guestmem.memory;

/** Lifecycle of a lease as recorded in the journal. */
public enum LeaseStatus {
  /** ATTACHED mode, waiting for the VMM's private fd; no conversions yet. */
  AWAITING_FD,
  /** Backings present; conversions allowed. */
  OPEN,
  /**
   * Found in the journal at restart without its fds: the recorded page states are kept exactly
   * as acknowledged (never reset), but nothing proves the memory is intact, so conversions are
   * refused with {@link MemoryException.Reason#LEASE_QUARANTINED}. Only release, or re-adoption
   * from the very fds it had ({@link Lease#readopt(int, int)}), is allowed.
   */
  ORPHANED,
  /** Released; every request but info fails with {@link MemoryException.Reason#LEASE_CLOSED}. */
  CLOSED
}
