package io.guestmem.vectors.generate;

/** Tags the generator puts on cases. */
final class GeneratedTags {
  private GeneratedTags() {}

  /** An input found by fuzzing, kept as a regression vector (evidence-formats.md §2.1, last item). */
  static final String FUZZ_REGRESSION = "fuzz-regression";
}
