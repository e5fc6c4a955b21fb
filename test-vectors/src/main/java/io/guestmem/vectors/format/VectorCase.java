package io.guestmem.vectors.format;

/** One named case of a group: an attestation case or a memory-operation sequence. */
public sealed interface VectorCase permits AttestationCase, MemoryCase {
  /** Unique within the group. */
  String id();

  /** What the case tests, for people. */
  String comment();
}
