package io.guestmem.attestation.collateral;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class VerifiedCacheTest {
  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

  @Test
  void verifiedValue_isReused_untilValidUntil() {
    VerifiedCache cache = new VerifiedCache(Duration.ofDays(30));
    AtomicInteger runs = new AtomicInteger();
    var verify = (java.util.function.Supplier<Optional<VerifiedCache.Verified<String>>>) () -> {
      runs.incrementAndGet();
      return Optional.of(new VerifiedCache.Verified<>("v", T0.plus(Duration.ofDays(10))));
    };
    assertThat(cache.getOrVerify("k", T0, verify)).contains("v");
    assertThat(cache.getOrVerify("k", T0.plus(Duration.ofDays(9)), verify)).contains("v");
    assertThat(runs).hasValue(1);
    assertThat(cache.getOrVerify("k", T0.plus(Duration.ofDays(10)), verify)).contains("v");
    assertThat(runs).as("at nextUpdate the entry is no longer usable").hasValue(2);
  }

  @Test
  void maxAge_boundsReuse_evenBeforeValidUntil() {
    VerifiedCache cache = new VerifiedCache(Duration.ofHours(1));
    AtomicInteger runs = new AtomicInteger();
    var verify = (java.util.function.Supplier<Optional<VerifiedCache.Verified<String>>>) () -> {
      runs.incrementAndGet();
      return Optional.of(new VerifiedCache.Verified<>("v", T0.plus(Duration.ofDays(10))));
    };
    cache.getOrVerify("k", T0, verify);
    cache.getOrVerify("k", T0.plus(Duration.ofMinutes(59)), verify);
    assertThat(runs).hasValue(1);
    cache.getOrVerify("k", T0.plus(Duration.ofMinutes(61)), verify);
    assertThat(runs).hasValue(2);
  }

  @Test
  void failures_areNeverCached() {
    VerifiedCache cache = VerifiedCache.defaultCache();
    AtomicInteger runs = new AtomicInteger();
    for (int i = 0; i < 3; i++) {
      assertThat(cache.getOrVerify("bad", T0, () -> {
        runs.incrementAndGet();
        return Optional.<VerifiedCache.Verified<String>>empty();
      })).isEmpty();
    }
    assertThat(runs).hasValue(3);
    assertThat(cache.size()).isZero();
  }

  @Test
  void disabledCache_holdsNothing() {
    VerifiedCache cache = VerifiedCache.disabled();
    cache.getOrVerify("k", T0, () -> Optional.of(new VerifiedCache.Verified<>("v", T0.plusSeconds(60))));
    assertThat(cache.contains("k", T0)).isFalse();
  }
}
