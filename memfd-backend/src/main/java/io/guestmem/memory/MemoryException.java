package io.guestmem.memory;

/**
 * A memory request was refused. Carries a stable {@link Reason} that crosses the RPC boundary
 * unchanged (tests assert on it, never on the message); the message is for people.
 * Whenever this is thrown, the engine's state is as it was before the request.
 */
public final class MemoryException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Stable reason codes. Add new ones at the end; never rename. */
  public enum Reason {
    /** Offset or length not a multiple of the page size. */
    UNALIGNED,
    /** Zero length, or an argument outside what is allowed (not a bounds problem). */
    INVALID_ARGUMENT,
    /** Range outside the lease. */
    OUT_OF_RANGE,
    /** Unknown lease id. */
    LEASE_NOT_FOUND,
    /** The lease is closed or released. */
    LEASE_CLOSED,
    /** The lease lost its fds across a restart and is not proven intact: no conversions. */
    LEASE_QUARANTINED,
    /** A range is mapped by guestmem for host I/O and cannot become private now. */
    RANGE_BUSY,
    /** Per-lease or per-host quota would be exceeded. */
    QUOTA_EXCEEDED,
    /** The caller does not own the lease. */
    NOT_OWNER,
    /** An fd handed over is not what it claims (not kvm-gmem, mappable, wrong size…). */
    BAD_FD,
    /** This kernel or backend cannot do it. */
    UNSUPPORTED,
    /** The journal could not record the change; nothing was acknowledged. */
    JOURNAL_FAILED,
    /** A system call failed unexpectedly. */
    SYSCALL_FAILED,
    /** ATTACHED lease whose private fd has not been handed over yet. */
    NOT_ATTACHED,
    /** Host I/O mapping requested over a range that is not entirely SHARED. */
    RANGE_NOT_SHARED
  }

  private final Reason reason;

  public MemoryException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public MemoryException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
