package io.guestmem.vectors.format;

import java.util.Objects;
import java.util.Optional;

/**
 * Where a group's vectors come from: {@code type} is {@code real-hardware}, {@code emulated} or
 * {@code hand-written}; {@code source} names the origin (a manifest, a generator class);
 * {@code seed} is the emulator seed for generated groups.
 */
public record Provenance(String type, String source, Optional<Long> seed, Optional<String> notes) {
  public static final java.util.List<String> TYPES = java.util.List.of("real-hardware", "emulated", "hand-written");

  public Provenance {
    Objects.requireNonNull(type);
    Objects.requireNonNull(source);
  }
}
