package io.guestmem.vectors;

/**
 * Called by {@link VectorRunner} as it goes, for progress bars. Calls come from the running
 * thread, in order; implementations must not throw.
 */
public interface ProgressListener {
  /** No progress output. */
  ProgressListener NONE = new ProgressListener() {};

  /** Before any case runs: how many cases were selected in total. */
  default void started(int totalCases) {}

  /** A case finished; {@code done} of {@code total} cases have run. */
  default void caseFinished(CaseResult result, int done, int total) {}
}
