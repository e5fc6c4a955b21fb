package io.guestmem.vectors.generate;

import io.guestmem.vectors.run.KnownFindings;

/** Tags the generator puts on cases. */
final class GeneratedTags {
  private GeneratedTags() {}

  /** Malformed X.500 names in embedded certificates escape the verifier as IllegalArgumentException (attestation pki). */
  static final String KNOWN_FINDING_X500 = KnownFindings.PREFIX + "attestation-x500-name";
}
