package io.guestmem.attestation.pki;

import java.math.BigInteger;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.util.BigIntegers;

/**
 * ECDSA verification (SEC 1 §4.1.4) for P-256 and P-384 with precomputed tables for both the
 * generator and the public key: R = u1·G + u2·Q is summed from {@link FixedBaseTable} entries of
 * both points into one Jacobian accumulator, with no doublings (P-256: 26 + 29 = 55 mixed additions
 * where a windowed double-scalar multiplication needs 256 doublings and about 85 additions;
 * P-384: 39 + 49 = 88).
 *
 * <p>The rules are SEC 1's: r and s in [1, n−1]; e the leftmost ⌈log2 n⌉ bits of the digest;
 * w = s⁻¹, u1 = e·w, u2 = r·w (mod n); R ≠ O; x(R) mod n = r. The public key is validated
 * (coordinates in [0, p), on the curve) when its table is built; BouncyCastle validated it
 * already when the key value was made.
 *
 * <p>Key tables live in a bounded cache keyed by the key's value (the curve and affine x‖y),
 * with a small identity-keyed front for the memoized key objects of {@link Ecdsa}. A
 * table is built on a key's {@link #BUILD_AFTER}th verification; until then, and for keys on
 * other curves, BouncyCastle's {@code ECDSASigner} verifies. So keys that sign a few times (most
 * certificates) never pay for a table, and keys that sign every evidence (a TDX attestation key,
 * an SNP VCEK, a collateral signer) get one. All inputs are public; nothing here needs to be
 * constant-time.
 */
final class FixedBaseEcdsa {
  /**
   * Verifications with a key before its table is built: building one costs as much as a few
   * hundred verifications save, so only keys that keep signing (a quoting enclave's attestation
   * key, a busy host's VCEK, a collateral signer) get one.
   */
  static final int BUILD_AFTER = Ecdsa.TABLE_AFTER_VERIFICATIONS;
  /** Keys remembered (plus up to 16 recently used key objects); with tables, at most this many × 588 KiB (P-384). */
  static final int KEY_LIMIT = 16;

  /** Window widths: the generators' tables are static, the keys' are cached (see {@link FixedBaseTable} for sizes). */
  static final int GENERATOR_WINDOW = 10;

  static int keyWindow(CurveArithmetic c) {
    return c == CurveArithmetic.P256 ? 9 : 8;
  }

  private static final ConcurrentHashMap<KeyId, KeyEntry> KEYS = new ConcurrentHashMap<>();

  private FixedBaseEcdsa() {}

  /** The generators' tables, built on first use. */
  private static final class Generators {
    static final FixedBaseTable P256 = generator(CurveArithmetic.P256);
    static final FixedBaseTable P384 = generator(CurveArithmetic.P384);

    private static FixedBaseTable generator(CurveArithmetic c) {
      ECPoint g = c.domain.getG().normalize();
      return FixedBaseTable.of(c, GENERATOR_WINDOW, g.getAffineXCoord().toBigInteger(), g.getAffineYCoord().toBigInteger())
          .orElseThrow(() -> new IllegalStateException("the generator is on its curve"));
    }
  }

  private static FixedBaseTable generator(CurveArithmetic c) {
    return c == CurveArithmetic.P256 ? Generators.P256 : Generators.P384;
  }

  private record KeyId(int curveBits, byte[] xy) {
    @Override
    public boolean equals(Object o) {
      return o instanceof KeyId k && k.curveBits == curveBits && Arrays.equals(k.xy, xy);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(xy) * 31 + curveBits;
    }
  }

  private static final class KeyEntry {
    final AtomicInteger uses = new AtomicInteger();
    /** The table once built; {@code invalid} when the key failed validation. Guarded by this for writes. */
    volatile FixedBaseTable table;
    volatile boolean invalid;

    synchronized FixedBaseTable table(CurveArithmetic c, ECPoint q) {
      if (table == null && !invalid) {
        Optional<FixedBaseTable> t = FixedBaseTable.of(c, keyWindow(c), q.getAffineXCoord().toBigInteger(),
            q.getAffineYCoord().toBigInteger());
        if (t.isPresent()) {
          table = t.get();
        } else {
          invalid = true;
        }
      }
      return table;
    }
  }

  /** A key object seen recently, with its curve (null: neither P-256 nor P-384) and cache entry. */
  private record Known(ECPublicKeyParameters key, CurveArithmetic curve, ECPoint q, KeyEntry entry) {}

  /** Identity-keyed front of {@link #KEYS}: {@link Ecdsa} hands out memoized key objects. */
  private static final AtomicReferenceArray<Known> RECENT = new AtomicReferenceArray<>(16);

  /** The curve arithmetic for the key's domain, or null when it is neither P-256 nor P-384. */
  static CurveArithmetic curveOf(ECDomainParameters d) {
    for (CurveArithmetic c : new CurveArithmetic[] {CurveArithmetic.P256, CurveArithmetic.P384}) {
      if (d == c.domain || (d.getCurve().equals(c.domain.getCurve()) && d.getG().equals(c.domain.getG()))) {
        return c;
      }
    }
    return null;
  }

  /**
   * Verifies (r, s) over {@code digest} with the table path when the key has (or now earns) a
   * table; else with BouncyCastle. Both give the same answer for every input.
   */
  static boolean verify(ECPublicKeyParameters key, byte[] digest, BigInteger r, BigInteger s) {
    int slot = System.identityHashCode(key) & (RECENT.length() - 1);
    Known known = RECENT.get(slot);
    if (known == null || known.key != key) {
      CurveArithmetic curve = curveOf(key.getParameters());
      ECPoint point = key.getQ().normalize();
      known = new Known(key, curve, point, curve == null ? null : entry(curve, point));
      RECENT.set(slot, known);
    }
    CurveArithmetic c = known.curve;
    if (c == null) {
      return Ecdsa.verifyWithBouncyCastle(key, digest, r, s);
    }
    ECPoint q = known.q;
    KeyEntry e = known.entry;
    FixedBaseTable t = e.table;
    if (t == null && !e.invalid && e.uses.incrementAndGet() >= BUILD_AFTER) {
      t = e.table(c, q);
    }
    if (e.invalid) {
      return false;
    }
    return t != null ? verify(t, digest, r, s) : Ecdsa.verifyWithBouncyCastle(key, digest, r, s);
  }

  /** Verifies with the key's table, building it now if needed (for tests and benchmarks of the table path). */
  static boolean verifyWithTable(ECPublicKeyParameters key, byte[] digest, BigInteger r, BigInteger s) {
    CurveArithmetic c = curveOf(key.getParameters());
    if (c == null) {
      throw new IllegalArgumentException("only P-256 and P-384 keys have tables");
    }
    ECPoint q = key.getQ().normalize();
    FixedBaseTable t = entry(c, q).table(c, q);
    return t != null && verify(t, digest, r, s);
  }

  private static KeyEntry entry(CurveArithmetic c, ECPoint q) {
    KeyId id = new KeyId(c.bits, q.getEncoded(false));
    KeyEntry e = KEYS.get(id);
    if (e != null) {
      return e;
    }
    while (KEYS.size() >= KEY_LIMIT) {
      // Bounded: drop some key (its table is rebuilt if it comes back twice more).
      Iterator<KeyId> it = KEYS.keySet().iterator();
      if (!it.hasNext()) {
        break;
      }
      KEYS.remove(it.next());
    }
    return KEYS.computeIfAbsent(id, k -> new KeyEntry());
  }

  /** SEC 1 §4.1.4 steps 1–8 with R from the generator's and the key's tables. */
  static boolean verify(FixedBaseTable qTable, byte[] digest, BigInteger r, BigInteger s) {
    CurveArithmetic c = qTable.curve;
    BigInteger n = c.n;
    if (r.signum() <= 0 || s.signum() <= 0 || r.compareTo(n) >= 0 || s.compareTo(n) >= 0) {
      return false;
    }
    BigInteger e = new BigInteger(1, digest);
    int excess = digest.length * 8 - n.bitLength();
    if (excess > 0) {
      e = e.shiftRight(excess);
    }
    BigInteger w = BigIntegers.modOddInverseVar(n, s);
    BigInteger u1 = e.multiply(w).mod(n);
    BigInteger u2 = r.multiply(w).mod(n);
    FixedBaseTable g = generator(c);
    CurveArithmetic.Jacobian acc = c.new Jacobian();
    int[] x = c.create();
    int[] y = c.create();
    g.addTo(acc, g.recode(u1), x, y);
    qTable.addTo(acc, qTable.recode(u2), x, y);
    return acc.xModNEquals(r);
  }

  /** Whether the key currently has a table (tests). */
  static boolean hasTable(ECPublicKeyParameters key) {
    CurveArithmetic c = curveOf(key.getParameters());
    if (c == null) {
      return false;
    }
    KeyEntry e = KEYS.get(new KeyId(c.bits, key.getQ().normalize().getEncoded(false)));
    return e != null && e.table != null;
  }

  /** Forgets every key table (tests). */
  static void clear() {
    KEYS.clear();
    for (int i = 0; i < RECENT.length(); i++) {
      RECENT.set(i, null);
    }
  }

  static int size() {
    return KEYS.size();
  }
}
