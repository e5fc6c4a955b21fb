package io.guestmem.attestation;

import io.guestmem.attestation.collateral.Collateral;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.policy.AppraisalPolicy;
import io.guestmem.attestation.trust.TrustAnchors;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a plug-in may consult while appraising evidence: the appraisal time (every validity
 * check uses it, never the wall clock), the trust anchors, the collateral, the cache of verified
 * objects and the compiled policy.
 */
public record VerificationContext(
    Instant at,
    TrustAnchors anchors,
    Collateral collateral,
    VerifiedCache cache,
    AppraisalPolicy policy) {

  public VerificationContext {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(anchors, "anchors");
    Objects.requireNonNull(collateral, "collateral");
    Objects.requireNonNull(cache, "cache");
    Objects.requireNonNull(policy, "policy");
  }

  /** This TEE's compiled policy section, if the policy has one of the expected type. */
  public <T> Optional<T> teePolicy(String tee, Class<T> type) {
    return policy.section(tee, type);
  }
}
