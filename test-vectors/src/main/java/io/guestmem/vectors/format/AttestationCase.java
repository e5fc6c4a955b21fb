package io.guestmem.vectors.format;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Evidence and collateral appraised at a fixed time, optionally under a policy (inline JSON in the
 * appraisal-policy format), with the outcome the verifier must give.
 */
public record AttestationCase(
    String id, String comment, List<String> tags, Instant at, AttestationInputs inputs,
    Optional<String> policyJson, Expected expected) implements VectorCase {
  public AttestationCase {
    Objects.requireNonNull(id);
    Objects.requireNonNull(comment);
    Objects.requireNonNull(at);
    Objects.requireNonNull(inputs);
    Objects.requireNonNull(expected);
    tags = List.copyOf(tags);
  }
}
