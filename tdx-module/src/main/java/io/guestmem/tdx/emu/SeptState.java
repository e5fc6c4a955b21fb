package io.guestmem.tdx.emu;

/**
 * Secure-EPT leaf state of one 4 KiB private GPA (TDX module base architecture spec, "Secure EPT
 * Entry States"). A removed page returns to {@link #FREE}.
 */
public enum SeptState {
  /** No private page mapped at this GPA. */
  FREE,
  /** Added by TDH.MEM.PAGE.AUG; the guest must TDG.MEM.PAGE.ACCEPT before use. */
  PENDING,
  /** Mapped and usable (added at build time, or accepted). */
  MAPPED,
  /** Mapped, blocked by TDH.MEM.RANGE.BLOCK pending removal. */
  BLOCKED,
  /** Pending, blocked pending removal. */
  PENDING_BLOCKED
}
