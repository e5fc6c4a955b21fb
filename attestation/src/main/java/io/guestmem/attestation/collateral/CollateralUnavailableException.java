package io.guestmem.attestation.collateral;

/**
 * Collateral could not be fetched (network error, HTTP error, rate limit outlasted). A distinct
 * type so callers choose: fail open (the check is listed as not run) or fail closed.
 */
public final class CollateralUnavailableException extends Exception {
  public CollateralUnavailableException(String message) {
    super(message);
  }

  public CollateralUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
