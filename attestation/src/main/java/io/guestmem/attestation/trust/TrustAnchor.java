package io.guestmem.attestation.trust;

import java.util.Objects;

/**
 * A root certificate identified by the SHA-256 of its DER encoding.
 *
 * @param name human name, e.g. {@code ARK-Genoa}
 * @param vendor {@code intel}, {@code amd}, or {@code emulated}
 * @param product the product line the root serves ({@code Milan}, …) or empty
 * @param sha256 lowercase hex SHA-256 of the certificate DER
 * @param emulated true for a root that is trusted only because the caller configured it
 */
public record TrustAnchor(String name, String vendor, String product, String sha256, boolean emulated) {
  public TrustAnchor {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(vendor, "vendor");
    Objects.requireNonNull(product, "product");
    Objects.requireNonNull(sha256, "sha256");
    if (!sha256.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("sha256 must be 64 lowercase hex digits: " + sha256);
    }
  }
}
