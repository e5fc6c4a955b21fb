package io.guestmem.attestation.pki;

import java.math.BigInteger;
import java.util.Optional;

/**
 * Every signed-window multiple of one point, precomputed: for window i and digit d in
 * 1..2^(w−1), the affine point d·2^(w·i)·P. A scalar k &lt; 2^bits is recoded into
 * ⌈(bits + 1)/w⌉ signed digits in [−2^(w−1), 2^(w−1)], so k·P is one table addition per
 * non-zero digit and no doubling at all (negative digits negate y). Two tables (G and a public
 * key Q) therefore compute u1·G + u2·Q into one accumulator with ⌈(bits+1)/w_G⌉ + ⌈(bits+1)/w_Q⌉
 * mixed additions.
 *
 * <p>A table holds ⌈(bits+1)/w⌉ · 2^(w−1) affine points of 2 field elements: a P-256 key's
 * (w = 9) 29 × 256 × 64 bytes = 464 KiB, a P-384 key's (w = 8) 49 × 128 × 96 bytes = 588 KiB;
 * the generators' (w = 10) 832 KiB and 1.8 MiB, built once per process on first use (about 10
 * and 25 ms). Building a key's table costs about as much as 30–60 verifications,
 * so tables are kept only for G and for public keys that verify repeatedly (see
 * {@link FixedBaseEcdsa}).
 */
final class FixedBaseTable {
  final CurveArithmetic curve;
  /** Window width w in bits. */
  final int window;
  private final int half;
  final int windows;
  /** Flat affine coordinates: point (i, d) at ((i·half + d − 1)·2)·limbs, x then y. */
  private final int[] points;

  private FixedBaseTable(CurveArithmetic curve, int window, int[] points) {
    this.curve = curve;
    this.window = window;
    this.half = 1 << (window - 1);
    this.windows = windows(curve, window);
    this.points = points;
  }

  static int windows(CurveArithmetic curve, int window) {
    return (curve.bits + 1 + window - 1) / window;
  }

  /**
   * The table for the affine point (x, y), or empty when the point is not a valid public point:
   * a coordinate outside [0, p) or not on the curve (both curves have cofactor 1, so every
   * point on the curve other than infinity has order n).
   */
  static Optional<FixedBaseTable> of(CurveArithmetic curve, int window, BigInteger x, BigInteger y) {
    if (window < 2 || window > 12) {
      throw new IllegalArgumentException("window width " + window);
    }
    if (x.signum() < 0 || y.signum() < 0 || x.compareTo(curve.p) >= 0 || y.compareTo(curve.p) >= 0) {
      return Optional.empty();
    }
    int[] bx = curve.fromBigInteger(x);
    int[] by = curve.fromBigInteger(y);
    if (!curve.onCurve(bx, by)) {
      return Optional.empty();
    }
    return Optional.of(build(curve, window, bx, by));
  }

  private static FixedBaseTable build(CurveArithmetic curve, int window, int[] bx, int[] by) {
    int l = curve.limbs;
    int windows = windows(curve, window);
    int half = 1 << (window - 1);
    int[] points = new int[windows * half * 2 * l];
    int[][] xs = new int[half + 1][];
    int[][] ys = new int[half + 1][];
    int[][] zs = new int[half + 1][];
    CurveArithmetic.Jacobian acc = curve.new Jacobian();
    int[] baseX = bx.clone();
    int[] baseY = by.clone();
    for (int i = 0; i < windows; i++) {
      // Multiples 1..half of the window base 2^(w·i)·P, then 2^w times the base as the next base.
      acc.setAffine(baseX, baseY);
      for (int d = 1; d <= half; d++) {
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
      xs[half] = acc.x.clone();
      ys[half] = acc.y.clone();
      zs[half] = acc.z.clone();
      normalize(curve, xs, ys, zs);
      for (int d = 1; d <= half; d++) {
        int at = ((i * half + d - 1) * 2) * l;
        System.arraycopy(xs[d - 1], 0, points, at, l);
        System.arraycopy(ys[d - 1], 0, points, at + l, l);
      }
      baseX = xs[half];
      baseY = ys[half];
    }
    return new FixedBaseTable(curve, window, points);
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
  int[] recode(BigInteger k) {
    return recode(curve, window, k);
  }

  static int[] recode(CurveArithmetic curve, int window, BigInteger k) {
    int windows = windows(curve, window);
    int half = 1 << (window - 1);
    int[] limbs = new int[(windows * window + 31) / 32 + 1];
    int[] v = org.bouncycastle.math.raw.Nat.fromBigInteger(curve.bits, k);
    System.arraycopy(v, 0, limbs, 0, v.length);
    int[] digits = new int[windows];
    int carry = 0;
    for (int i = 0; i < windows; i++) {
      int pos = i * window;
      int word = pos >>> 5;
      int shift = pos & 31;
      long bitsHere = (limbs[word] & 0xffffffffL) >>> shift;
      if (shift + window > 32) {
        bitsHere |= (limbs[word + 1] & 0xffffffffL) << (32 - shift);
      }
      int d = (int) (bitsHere & ((1 << window) - 1)) + carry;
      if (d > half) {
        d -= 1 << window;
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

  /** acc += k·P for the signed digits of k, with {@code x}, {@code y} as scratch (limbs each). */
  void addTo(CurveArithmetic.Jacobian acc, int[] digits, int[] x, int[] y) {
    for (int i = 0; i < digits.length; i++) {
      addTo(acc, i, digits[i], x, y);
    }
  }

  /** acc += digit·2^(w·i)·P. */
  private void addTo(CurveArithmetic.Jacobian acc, int i, int digit, int[] x, int[] y) {
    if (digit == 0) {
      return;
    }
    int l = curve.limbs;
    int at = ((i * half + Math.abs(digit) - 1) * 2) * l;
    System.arraycopy(points, at, x, 0, l);
    System.arraycopy(points, at + l, y, 0, l);
    if (digit < 0) {
      curve.neg(y, y);
    }
    acc.addAffine(x, y);
  }
}
