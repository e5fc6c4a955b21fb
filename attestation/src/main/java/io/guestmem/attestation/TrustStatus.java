package io.guestmem.attestation;

/**
 * Overall appraisal status in AR4SI terms (draft-ietf-rats-ar4si, tiers as in veraison/ear
 * {@code trusttier.go}): affirming 2, warning 32, contraindicated 96.
 */
public enum TrustStatus {
  AFFIRMING("affirming", 2),
  WARNING("warning", 32),
  CONTRAINDICATED("contraindicated", 96);

  private final String earName;
  private final int tier;

  TrustStatus(String earName, int tier) {
    this.earName = earName;
    this.tier = tier;
  }

  public String earName() {
    return earName;
  }

  public int tier() {
    return tier;
  }

  /** The worse of two statuses. */
  public TrustStatus worst(TrustStatus other) {
    return other.tier > tier ? other : this;
  }
}
