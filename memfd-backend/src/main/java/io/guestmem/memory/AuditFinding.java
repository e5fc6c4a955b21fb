package io.guestmem.memory;

/**
 * One thing {@link MemoryEngine#audit(int)} found in a process.
 *
 * @param kind    what was found
 * @param leaseId the lease whose memory it refers to
 * @param where   the {@code /proc/<pid>/maps} line or {@code /proc/<pid>/fd/<n>} path
 * @param detail  for people
 */
public record AuditFinding(Kind kind, String leaseId, String where, String detail) {
  public enum Kind {
    /** A mapping of a lease's private backing: must never exist. A violation. */
    PRIVATE_BACKING_MAPPED,
    /**
     * The process holds an fd of a lease's private backing that the kernel would let it map
     * (secretmem backing held by a process other than guestmem). A violation.
     */
    PRIVATE_FD_MAPPABLE,
    /** The process holds an fd of a lease's private backing that the kernel refuses to map (kvm-gmem). Informational. */
    PRIVATE_FD_HELD_UNMAPPABLE,
    /** The process maps a lease's shared backing. Informational (the VMM is expected to). */
    SHARED_BACKING_MAPPED
  }

  /** True for kinds that break the rule "host userspace never maps a private page". */
  public boolean violation() {
    return kind == Kind.PRIVATE_BACKING_MAPPED || kind == Kind.PRIVATE_FD_MAPPABLE;
  }
}
