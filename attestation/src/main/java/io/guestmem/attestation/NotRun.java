package io.guestmem.attestation;

import java.util.Objects;

/**
 * A check the verifier could not perform, and why (typically {@link Reason#COLLATERAL_MISSING}).
 * A verdict with any check not run is at best {@link TrustStatus#WARNING}.
 */
public record NotRun(String id, String reason, String detail) {
  public NotRun {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(reason, "reason");
    detail = detail == null ? "" : detail;
  }
}
