package io.guestmem.attestation.ear;

/** An EAR token or JWKS that cannot be accepted, with a stable reason code. */
public final class EarException extends Exception {
  private final String reason;

  public EarException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public EarException(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /**
   * One of {@code token_empty}, {@code token_malformed}, {@code alg_not_allowed},
   * {@code kid_missing}, {@code kid_unknown}, {@code jwks_malformed}, {@code signature_invalid},
   * {@code token_expired}, {@code profile_mismatch}.
   */
  public String reason() {
    return reason;
  }
}
