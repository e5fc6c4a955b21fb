package io.guestmem.attestation.pki;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ISO-8601 renderings of instants for check details, memoized: the same notBefore, notAfter,
 * nextUpdate and appraisal times recur on every verification of a platform, and formatting an
 * {@link Instant} costs more than the check it describes.
 */
public final class Times {
  private static final int LIMIT = 4096;
  private static final Map<Instant, String> ISO = new ConcurrentHashMap<>();

  private Times() {}

  /** {@code instant.toString()}, or "none" for null. */
  public static String iso(Instant instant) {
    if (instant == null) {
      return "none";
    }
    String s = ISO.get(instant);
    if (s == null) {
      s = instant.toString();
      if (ISO.size() >= LIMIT) {
        ISO.clear();
      }
      ISO.put(instant, s);
    }
    return s;
  }
}
