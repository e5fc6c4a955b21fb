package io.guestmem.vectors.format;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * One vector file: what it tests, against which specification, where its vectors come from, how
 * its relative input paths resolve, and its cases.
 *
 * @param file the file it was loaded from (its directory is the {@link InputRoot#GROUP_DIR})
 */
public record VectorGroup(
    Path file, String group, Kind kind, String description, List<String> specReferences, Provenance provenance,
    InputRoot inputRoot, List<VectorCase> cases) {
  /** What the cases exercise. */
  public enum Kind {
    ATTESTATION, MEMORY;

    public String jsonName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public static final String FORMAT = "guestmem-vectors/1";

  public VectorGroup {
    Objects.requireNonNull(file);
    Objects.requireNonNull(group);
    specReferences = List.copyOf(specReferences);
    cases = List.copyOf(cases);
  }
}
