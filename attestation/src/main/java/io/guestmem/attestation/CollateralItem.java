package io.guestmem.attestation;

import java.time.Instant;
import java.util.Objects;

/**
 * One piece of collateral an appraisal relied on, with its issue time and the time it must be
 * replaced by ({@code nextUpdate}, or the certificate's notAfter). Policies bound its age.
 */
public record CollateralItem(String name, Instant issued, Instant nextUpdate, String source) {
  public CollateralItem {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(issued, "issued");
    Objects.requireNonNull(nextUpdate, "nextUpdate");
    source = source == null ? "" : source;
  }
}
