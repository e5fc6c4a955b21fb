package io.guestmem.attestation.policy;

/** An appraisal policy that cannot be compiled; the message names the JSON field. */
public final class PolicyException extends Exception {
  public PolicyException(String message) {
    super(message);
  }

  public PolicyException(String message, Throwable cause) {
    super(message, cause);
  }
}
