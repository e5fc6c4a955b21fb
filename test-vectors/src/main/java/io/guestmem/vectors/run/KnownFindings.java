package io.guestmem.vectors.run;

import java.util.List;
import java.util.Optional;

/**
 * Cases tagged {@code known-finding:…} reproduce a bug found in a verifier and reported, not yet
 * fixed. They are skipped, with the finding named, unless system property
 * {@code guestmem.vectors.knownFindings} is {@code run}; a fixed verifier then passes them.
 */
public final class KnownFindings {
  private KnownFindings() {}

  public static final String PREFIX = "known-finding:";
  public static final String PROPERTY = "guestmem.vectors.knownFindings";

  /** The reason to skip a case with these tags, or empty to run it. */
  public static Optional<String> skipReason(List<String> tags) {
    if ("run".equals(System.getProperty(PROPERTY))) {
      return Optional.empty();
    }
    return tags.stream().filter(t -> t.startsWith(PREFIX)).findFirst().map(t -> "known finding "
        + t.substring(PREFIX.length()) + " (reported, not yet fixed): skipped; run with -D" + PROPERTY + "=run");
  }
}
