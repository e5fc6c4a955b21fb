package io.guestmem.attestation.collateral;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * An in-memory cache of objects that have been <em>verified</em> (a certificate signature by a
 * given issuer, a CRL, a signed TCB Info), keyed by their identity, typically the SHA-256 of the
 * signed bytes plus that of the signer. Only successes are stored; a failure is recomputed every
 * time so it is always reported with its reason.
 *
 * <p>An entry is used at appraisal time {@code at} only while {@code at} is before its
 * {@code validUntil} (nextUpdate or notAfter) and within {@link #maxAge()} of the time it was
 * verified. Time-dependent checks (validity windows) are never cached; callers re-check them
 * against {@code at}, which makes the cache safe to share across calls with different times.
 *
 * <p>Concurrent misses on the same key are coalesced: {@link #getOrVerify} runs the verification
 * inside {@link ConcurrentHashMap#compute}, so a second caller waits for the first.
 */
public final class VerifiedCache {
  private record Entry(Object value, Instant verifiedAt, Instant validUntil) {}

  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private final Duration maxAge;

  public VerifiedCache(Duration maxAge) {
    this.maxAge = Objects.requireNonNull(maxAge, "maxAge");
    if (maxAge.isNegative()) {
      throw new IllegalArgumentException("maxAge must not be negative");
    }
  }

  /** A cache that keeps verified objects for at most a day. */
  public static VerifiedCache defaultCache() {
    return new VerifiedCache(Duration.ofDays(1));
  }

  /** A cache that never holds anything (every lookup misses). */
  public static VerifiedCache disabled() {
    return new VerifiedCache(Duration.ZERO);
  }

  public Duration maxAge() {
    return maxAge;
  }

  /** A verified object that verification produced, with the time it stops being usable. */
  public record Verified<T>(T value, Instant validUntil) {}

  /**
   * The cached verified value for {@code key}, or the result of {@code verify} (stored if it is
   * present). {@code verify} returns empty when verification failed.
   */
  @SuppressWarnings("unchecked")
  public <T> Optional<T> getOrVerify(String key, Instant at, Supplier<Optional<Verified<T>>> verify) {
    Object[] result = new Object[1];
    entries.compute(key, (k, e) -> {
      if (e != null && usable(e, at)) {
        result[0] = e.value;
        return e;
      }
      Optional<Verified<T>> v = verify.get();
      if (v.isEmpty()) {
        return e != null && usable(e, at) ? e : null;
      }
      result[0] = v.get().value();
      return maxAge.isZero() ? null : new Entry(v.get().value(), at, v.get().validUntil());
    });
    return Optional.ofNullable((T) result[0]);
  }

  /** Whether the key holds a usable verified entry at {@code at}. */
  public boolean contains(String key, Instant at) {
    Entry e = entries.get(key);
    return e != null && usable(e, at);
  }

  private boolean usable(Entry e, Instant at) {
    if (!at.isBefore(e.validUntil)) {
      return false;
    }
    return Duration.between(e.verifiedAt, at).abs().compareTo(maxAge) <= 0;
  }

  public int size() {
    return entries.size();
  }

  public void clear() {
    entries.clear();
  }
}
