package io.guestmem.rpc.attestation;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Nonces issued by {@code GetNonce}: 32 random bytes, single use, expiring, bounded in number. */
public final class NonceStore {
  /** Why a nonce was refused; the name is the stable reason. */
  public enum Refusal { NONCE_UNKNOWN, NONCE_EXPIRED }

  public static final int NONCE_BYTES = 32;
  private final Map<String, Instant> live = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final Clock clock;
  private final Duration lifetime;
  private final int max;

  public NonceStore(Clock clock, Duration lifetime, int max) {
    this.clock = clock;
    this.lifetime = lifetime;
    this.max = max;
  }

  public record Issued(byte[] nonce, Instant expires) {}

  public Issued issue() {
    Instant now = clock.instant();
    if (live.size() >= max) {
      live.values().removeIf(exp -> !now.isBefore(exp));
    }
    if (live.size() >= max) {
      // the oldest outstanding nonces give way: a flood cannot grow memory without bound
      live.entrySet().stream().min(Map.Entry.comparingByValue()).ifPresent(e -> live.remove(e.getKey()));
    }
    byte[] n = new byte[NONCE_BYTES];
    random.nextBytes(n);
    Instant exp = now.plus(lifetime);
    live.put(key(n), exp);
    return new Issued(n, exp);
  }

  /** Consumes a nonce; returns null if it was live, else why not. */
  public Refusal redeem(byte[] nonce) {
    Instant exp = live.remove(key(nonce));
    if (exp == null) {
      return Refusal.NONCE_UNKNOWN;
    }
    return clock.instant().isBefore(exp) ? null : Refusal.NONCE_EXPIRED;
  }

  private static String key(byte[] n) {
    return Base64.getEncoder().encodeToString(n);
  }
}
