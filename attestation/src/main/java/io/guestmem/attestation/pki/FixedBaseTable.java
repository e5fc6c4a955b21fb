package io.guestmem.attestation.pki;

import java.math.BigInteger;
import java.util.Optional;

/**
 * Every signed-window multiple of one point, precomputed: for window i and digit d in
 * 1..2^(w−1), the affine point d·2^(w·i)·P. A scalar k &lt; 2^bits is recoded into
 * ⌈(bits + 1)/w⌉ signed digits in [−2^(w−1), 2^(w−1)], so k·P is one table addition per
 * non-zero digit and no doubling at all (negative digits negate y). Two tables (G and a public
 * key Q) therefore compute u1·G + u2·Q into one accumulator with ⌈(bits+1)/w⌉·2 mixed additions.
 *
 * <p>Size with w = 7: P-256 37 windows × 64 points × 64 bytes = 148 KiB; P-384 55 × 64 × 96 =
 * 330 KiB. Building one costs about as much as 30 plain verifications, so tables are kept only
 * for G and for public keys that verify repeatedly (see {@link FixedBaseEcdsa}).
 */
final class FixedBaseTable {
  static final int WINDOW = 7;
  private static final int HALF = 1 << (WINDOW - 1);

  final CurveArithmetic curve;
  final int windows;
  /** Flat affine coordinates: point (i, d) at ((i·HALF + d − 1)·2)·limbs, x then y. */
  private final int[] points;

  private FixedBaseTable(CurveArithmetic curve, int[] points) {
    this.curve = curve;
    this.windows = windows(curve);
    this.points = points;
  }

  static int windows(CurveArithmetic curve) {
    return (curve.bits + 1 + WINDOW - 1) / WINDOW;
  }

  /**
   * The table for the affine point (x, y), or empty when the point is not a valid public point:
   * a coordinate outside [0, p) or not on the curve (both curves have cofactor 1, so every
   * point on the curve other than infinity has order n).
   */
  static Optional<FixedBaseTable> of(CurveArithmetic curve, BigInteger x, BigInteger y) {
    if (x.signum() < 0 || y.signum() < 0 || x.compareTo(curve.p) >= 0 || y.compareTo(curve.p) >= 0) {
      return Optional.empty();
    }
    int[] bx = curve.fromBigInteger(x);
    int[] by = curve.fromBigInteger(y);
    if (!curve.onCurve(bx, by)) {
      return Optional.empty();
    }
    return Optional.of(build(curve, bx, by));
  }

  private static FixedBaseTable build(CurveArithmetic curve, int[] bx, int[] by) {
    int l = curve.limbs;
    int windows = windows(curve);
    int[] points = new int[windows * HALF * 2 * l];
    int[][] xs = new int[HALF + 1][];
    int[][] ys = new int[HALF + 1][];
    int[][] zs = new int[HALF + 1][];
    CurveArithmetic.Jacobian acc = curve.new Jacobian();
    int[] baseX = bx.clone();
    int[] baseY = by.clone();
    for (int i = 0; i < windows; i++) {
      // Multiples 1..HALF of the window base 2^(w·i)·P, then 2^w times the base as the next base.
      acc.setAffine(baseX, baseY);
      for (int d = 1; d <= HALF; d++) {
        if (d > 1) {
          acc.addAffine(baseX, baseY);
        }
        if (acc.infinity) {
          throw new IllegalStateException("a multiple below n of a point of prime order n is never infinity");
        }
        xs[d - 1] = acc.x.clone();
        ys[d - 1] = acc.y.clone();
        zs[d - 1] = acc.z.clone();
      }
      acc.twice();
      xs[HALF] = acc.x.clone();
      ys[HALF] = acc.y.clone();
      zs[HALF] = acc.z.clone();
      normalize(curve, xs, ys, zs);
      for (int d = 1; d <= HALF; d++) {
        int at = ((i * HALF + d - 1) * 2) * l;
        System.arraycopy(xs[d - 1], 0, points, at, l);
        System.arraycopy(ys[d - 1], 0, points, at + l, l);
      }
      baseX = xs[HALF];
      baseY = ys[HALF];
    }
    return new FixedBaseTable(curve, points);
  }

  /** Jacobian to affine in place for all points, with one inversion (Montgomery's trick). */
  private static void normalize(CurveArithmetic c, int[][] xs, int[][] ys, int[][] zs) {
    int m = zs.length;
    int[] tt = new int[c.ext()];
    int[][] prefix = new int[m][];
    prefix[0] = zs[0].clone();
    for (int k = 1; k < m; k++) {
      prefix[k] = c.create();
      c.mul(prefix[k - 1], zs[k], prefix[k], tt);
    }
    int[] u = c.create();
    c.inv(prefix[m - 1], u);
    int[] zinv = c.create();
    int[] z2 = c.create();
    int[] z3 = c.create();
    for (int k = m - 1; k >= 0; k--) {
      if (k > 0) {
        c.mul(u, prefix[k - 1], zinv, tt);
        c.mul(u, zs[k], u, tt);
      } else {
        System.arraycopy(u, 0, zinv, 0, c.limbs);
      }
      c.sqr(zinv, z2, tt);
      c.mul(z2, zinv, z3, tt);
      c.mul(xs[k], z2, xs[k], tt);
      c.mul(ys[k], z3, ys[k], tt);
    }
  }

  /**
   * The signed digits of {@code k} (0 ≤ k &lt; 2^bits), least significant first: k = Σ d_i·2^(w·i).
   */
  static int[] recode(CurveArithmetic curve, BigInteger k) {
    int windows = windows(curve);
    int[] limbs = new int[(windows * WINDOW + 31) / 32 + 1];
    int[] v = org.bouncycastle.math.raw.Nat.fromBigInteger(curve.bits, k);
    System.arraycopy(v, 0, limbs, 0, v.length);
    int[] digits = new int[windows];
    int carry = 0;
    for (int i = 0; i < windows; i++) {
      int pos = i * WINDOW;
      int word = pos >>> 5;
      int shift = pos & 31;
      long bitsHere = (limbs[word] & 0xffffffffL) >>> shift;
      if (shift + WINDOW > 32) {
        bitsHere |= (limbs[word + 1] & 0xffffffffL) << (32 - shift);
      }
      int d = (int) (bitsHere & ((1 << WINDOW) - 1)) + carry;
      if (d > HALF) {
        d -= 1 << WINDOW;
        carry = 1;
      } else {
        carry = 0;
      }
      digits[i] = d;
    }
    if (carry != 0) {
      throw new IllegalArgumentException("scalar wider than the curve");
    }
    return digits;
  }

  /** acc += digit·2^(w·window)·P, with {@code x}, {@code y} as scratch (limbs each). */
  void addTo(CurveArithmetic.Jacobian acc, int window, int digit, int[] x, int[] y) {
    if (digit == 0) {
      return;
    }
    int l = curve.limbs;
    int at = ((window * HALF + Math.abs(digit) - 1) * 2) * l;
    System.arraycopy(points, at, x, 0, l);
    System.arraycopy(points, at + l, y, 0, l);
    if (digit < 0) {
      curve.neg(y, y);
    }
    acc.addAffine(x, y);
  }
}
