package io.guestmem.attestation;

/**
 * A verification request that cannot be appraised at all: unreadable or malformed collateral
 * files, evidence no registered plug-in recognizes, an offset outside the buffer, an invalid
 * policy. Evidence that is recognized but fails verification is never this exception; it is a
 * contraindicated {@link Verdict}.
 */
public final class InvalidRequestException extends Exception {
  private final String reason;

  public InvalidRequestException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public InvalidRequestException(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /** A stable code: {@code unknown_evidence}, {@code bad_offset}, {@code bad_file}, {@code bad_policy}. */
  public String reason() {
    return reason;
  }
}
