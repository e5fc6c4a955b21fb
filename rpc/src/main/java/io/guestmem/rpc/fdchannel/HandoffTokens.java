package io.guestmem.rpc.fdchannel;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One-time handoff tokens for the fd side channel. {@code OpenLease} issues one per lease, bound
 * to the lease and to the uid of the gRPC caller who opened it. A token allows each of its
 * operations once ({@code get}; and {@code attach} for attached-mode leases), until it expires.
 * A redeemed operation cannot be replayed (refused as {@code TOKEN_USED} until the token
 * expires); a refused attempt does not consume it.
 */
public final class HandoffTokens {
  /** What a peer may do with a token on the side channel. */
  public enum Op { GET, ATTACH }

  /** Why a token was refused; the name is the stable reason sent to the peer. */
  public enum Refusal { TOKEN_UNKNOWN, TOKEN_EXPIRED, TOKEN_USED, TOKEN_WRONG_LEASE, TOKEN_WRONG_UID, OP_NOT_ALLOWED }

  /** A refused token. */
  public static final class RefusedException extends Exception {
    private static final long serialVersionUID = 1L;
    private final Refusal refusal;

    RefusedException(Refusal refusal, String message) {
      super(message);
      this.refusal = refusal;
    }

    public Refusal refusal() {
      return refusal;
    }
  }

  private static final class Grant {
    final String leaseId;
    final int uid;
    final Instant expires;
    final Set<Op> granted;
    final Set<Op> remaining;

    Grant(String leaseId, int uid, Instant expires, Set<Op> ops) {
      this.leaseId = leaseId;
      this.uid = uid;
      this.expires = expires;
      this.granted = EnumSet.copyOf(ops);
      this.remaining = EnumSet.copyOf(ops);
    }
  }

  public static final Duration DEFAULT_LIFETIME = Duration.ofMinutes(2);

  private final Map<String, Grant> grants = new ConcurrentHashMap<>();
  private final SecureRandom random = new SecureRandom();
  private final Clock clock;
  private final Duration lifetime;

  public HandoffTokens(Clock clock, Duration lifetime) {
    this.clock = clock;
    this.lifetime = lifetime;
  }

  /** A token with 256 random bits. */
  public String issue(String leaseId, int uid, Set<Op> ops) {
    purgeExpired();
    byte[] b = new byte[32];
    random.nextBytes(b);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    grants.put(token, new Grant(leaseId, uid, clock.instant().plus(lifetime), ops));
    return token;
  }

  public Instant expiryOf(String token) {
    Grant g = grants.get(token);
    return g == null ? null : g.expires;
  }

  /**
   * Checks that {@code token} allows {@code op} on {@code leaseId} for a peer with {@code uid},
   * without consuming it.
   */
  public void check(String token, Op op, String leaseId, int uid) throws RefusedException {
    Grant g = token == null ? null : grants.get(token);
    if (g == null) {
      throw new RefusedException(Refusal.TOKEN_UNKNOWN, "unknown handoff token");
    }
    synchronized (g) {
      if (!clock.instant().isBefore(g.expires)) {
        throw new RefusedException(Refusal.TOKEN_EXPIRED, "handoff token expired at " + g.expires);
      }
      if (!g.leaseId.equals(leaseId)) {
        throw new RefusedException(Refusal.TOKEN_WRONG_LEASE, "handoff token is for another lease");
      }
      if (g.uid != uid) {
        throw new RefusedException(Refusal.TOKEN_WRONG_UID, "handoff token belongs to another uid");
      }
      if (!g.remaining.contains(op)) {
        String name = op.name().toLowerCase(java.util.Locale.ROOT);
        if (!g.granted.contains(op)) {
          throw new RefusedException(Refusal.OP_NOT_ALLOWED, "handoff token does not allow " + name + " on this lease");
        }
        throw new RefusedException(Refusal.TOKEN_USED, "handoff token was already used for " + name);
      }
    }
  }

  /** Consumes {@code op} of {@code token} after the operation succeeded. Returns false if it was consumed meanwhile. */
  public boolean consume(String token, Op op) {
    Grant g = grants.get(token);
    if (g == null) {
      return false;
    }
    synchronized (g) {
      // a used token stays until it expires, so that a replay is refused as TOKEN_USED
      return g.remaining.remove(op);
    }
  }

  /**
   * Gives back {@code op} of {@code token} after it was consumed but the reply could not be
   * delivered (the peer had gone): nobody received anything, so the VMM may try again.
   */
  public void restore(String token, Op op) {
    Grant g = grants.get(token);
    if (g == null) {
      return;
    }
    synchronized (g) {
      if (g.granted.contains(op)) {
        g.remaining.add(op);
      }
    }
  }

  /** Forgets every token of a lease (closed). */
  public void revokeLease(String leaseId) {
    grants.values().removeIf(g -> g.leaseId.equals(leaseId));
  }

  private void purgeExpired() {
    Instant now = clock.instant();
    grants.values().removeIf(g -> !now.isBefore(g.expires));
  }
}
