package io.guestmem.attestation.pki;

import java.math.BigInteger;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.math.ec.custom.sec.SecP256R1Field;
import org.bouncycastle.math.ec.custom.sec.SecP384R1Field;
import org.bouncycastle.math.raw.Nat;

/**
 * Point arithmetic on the NIST curves y² = x³ − 3x + b (P-256, P-384) over BouncyCastle's
 * fixed-prime field code ({@link SecP256R1Field}, {@link SecP384R1Field}), on little-endian
 * 32-bit limbs that are always fully reduced (so equal elements have equal limbs).
 *
 * <p>Points are Jacobian (X, Y, Z) with x = X/Z², y = Y/Z³ while accumulating; table points are
 * affine, so every accumulation is a mixed addition (8M + 3S). Only public values pass through
 * here (signatures, digests, public keys), so the formulas branch on special cases instead of
 * being constant-time.
 */
abstract class CurveArithmetic {
  static final CurveArithmetic P256 = new P256Arithmetic();
  static final CurveArithmetic P384 = new P384Arithmetic();

  /** 32-bit limbs per field element (8 or 12). */
  final int limbs;
  /** Bit length of p and of n. */
  final int bits;
  final ECDomainParameters domain;
  final BigInteger p;
  final BigInteger n;
  private final int[] b;

  private CurveArithmetic(ECDomainParameters domain, int limbs) {
    this.domain = domain;
    this.limbs = limbs;
    this.p = domain.getCurve().getField().getCharacteristic();
    this.n = domain.getN();
    this.bits = p.bitLength();
    this.b = fromBigInteger(domain.getCurve().getB().toBigInteger());
    if (!domain.getCurve().getA().toBigInteger().equals(p.subtract(BigInteger.valueOf(3)))) {
      throw new IllegalStateException("the doubling formula assumes a = -3");
    }
  }

  abstract void mul(int[] x, int[] y, int[] z, int[] tt);

  abstract void sqr(int[] x, int[] z, int[] tt);

  abstract void add(int[] x, int[] y, int[] z);

  abstract void sub(int[] x, int[] y, int[] z);

  abstract void twice(int[] x, int[] z);

  abstract void neg(int[] x, int[] z);

  abstract void inv(int[] x, int[] z);

  /** Scratch size for a double-width product. */
  final int ext() {
    return 2 * limbs;
  }

  final int[] create() {
    return new int[limbs];
  }

  final boolean isZero(int[] x) {
    return Nat.isZero(limbs, x);
  }

  final boolean eq(int[] x, int[] y) {
    return Nat.eq(limbs, x, y);
  }

  /** The element for {@code v}, which must lie in [0, p). */
  final int[] fromBigInteger(BigInteger v) {
    if (v.signum() < 0 || v.compareTo(p) >= 0) {
      throw new IllegalArgumentException("not a field element");
    }
    return Nat.fromBigInteger(bits, v);
  }

  /** Whether the affine (x, y), both in [0, p), satisfies y² = x³ − 3x + b. */
  final boolean onCurve(int[] x, int[] y) {
    int[] tt = new int[ext()];
    int[] lhs = create();
    int[] rhs = create();
    int[] t = create();
    sqr(y, lhs, tt);
    sqr(x, rhs, tt);
    mul(rhs, x, rhs, tt);
    twice(x, t);
    add(t, x, t);
    sub(rhs, t, rhs);
    add(rhs, b, rhs);
    return eq(lhs, rhs);
  }

  /** A Jacobian point with its own scratch space; starts at infinity. Not thread-safe. */
  final class Jacobian {
    final int[] x = create();
    final int[] y = create();
    final int[] z = create();
    boolean infinity = true;
    private final int[] tt = new int[ext()];
    private final int[] t1 = create();
    private final int[] t2 = create();
    private final int[] t3 = create();
    private final int[] t4 = create();
    private final int[] t5 = create();
    private final int[] t6 = create();
    private final int[] t7 = create();

    void setAffine(int[] ax, int[] ay) {
      System.arraycopy(ax, 0, x, 0, limbs);
      System.arraycopy(ay, 0, y, 0, limbs);
      java.util.Arrays.fill(z, 0);
      z[0] = 1;
      infinity = false;
    }

    /** this += (ax, ay), affine and not infinity (madd: 8M + 3S; doubles when the points are equal). */
    void addAffine(int[] ax, int[] ay) {
      if (infinity) {
        setAffine(ax, ay);
        return;
      }
      sqr(z, t1, tt); // Z1Z1
      mul(ax, t1, t2, tt); // U2
      mul(z, t1, t3, tt); // Z1³
      mul(ay, t3, t3, tt); // S2
      sub(t2, x, t2); // H = U2 − X1
      sub(t3, y, t3); // R = S2 − Y1
      if (isZero(t2)) {
        if (isZero(t3)) {
          setAffine(ax, ay);
          twice();
        } else {
          infinity = true;
        }
        return;
      }
      mul(z, t2, z, tt); // Z3 = Z1·H
      sqr(t2, t4, tt); // HH
      mul(t2, t4, t5, tt); // HHH
      mul(x, t4, t6, tt); // V = X1·HH
      sqr(t3, x, tt); // R²
      sub(x, t5, x);
      CurveArithmetic.this.twice(t6, t7);
      sub(x, t7, x); // X3 = R² − HHH − 2V
      sub(t6, x, t6);
      mul(t3, t6, t6, tt); // R·(V − X3)
      mul(y, t5, t7, tt); // Y1·HHH
      sub(t6, t7, y); // Y3
    }

    /** this = 2·this (dbl-2001-b for a = −3: 3M + 5S). */
    void twice() {
      if (infinity) {
        return;
      }
      if (isZero(y)) {
        infinity = true;
        return;
      }
      sqr(z, t1, tt); // delta = Z²
      sqr(y, t2, tt); // gamma = Y²
      mul(x, t2, t3, tt); // beta = X·gamma
      sub(x, t1, t4);
      add(x, t1, t5);
      mul(t4, t5, t4, tt);
      CurveArithmetic.this.twice(t4, t5);
      add(t4, t5, t4); // alpha = 3(X − delta)(X + delta)
      add(y, z, t5);
      sqr(t5, t5, tt);
      sub(t5, t2, t5);
      sub(t5, t1, z); // Z3 = (Y + Z)² − gamma − delta
      CurveArithmetic.this.twice(t3, t3);
      CurveArithmetic.this.twice(t3, t3); // 4·beta
      sqr(t4, x, tt);
      CurveArithmetic.this.twice(t3, t6);
      sub(x, t6, x); // X3 = alpha² − 8·beta
      sub(t3, x, t3);
      mul(t4, t3, t3, tt);
      sqr(t2, t2, tt);
      CurveArithmetic.this.twice(t2, t2);
      CurveArithmetic.this.twice(t2, t2);
      CurveArithmetic.this.twice(t2, t2); // 8·gamma²
      sub(t3, t2, y); // Y3 = alpha(4·beta − X3) − 8·gamma²
    }

    /** Whether this point's affine x, reduced mod n, equals {@code r} (0 < r < n): X == c·Z² for c in {r, r + n} below p. */
    boolean xModNEquals(BigInteger r) {
      if (infinity) {
        return false;
      }
      sqr(z, t1, tt);
      for (BigInteger c = r; c.compareTo(p) < 0; c = c.add(n)) {
        mul(fromBigInteger(c), t1, t2, tt);
        if (eq(t2, x)) {
          return true;
        }
      }
      return false;
    }
  }

  private static final class P256Arithmetic extends CurveArithmetic {
    P256Arithmetic() {
      super(Ecdsa.P256, 8);
    }

    @Override
    void mul(int[] x, int[] y, int[] z, int[] tt) {
      SecP256R1Field.multiply(x, y, z, tt);
    }

    @Override
    void sqr(int[] x, int[] z, int[] tt) {
      SecP256R1Field.square(x, z, tt);
    }

    @Override
    void add(int[] x, int[] y, int[] z) {
      SecP256R1Field.add(x, y, z);
    }

    @Override
    void sub(int[] x, int[] y, int[] z) {
      SecP256R1Field.subtract(x, y, z);
    }

    @Override
    void twice(int[] x, int[] z) {
      SecP256R1Field.twice(x, z);
    }

    @Override
    void neg(int[] x, int[] z) {
      SecP256R1Field.negate(x, z);
    }

    @Override
    void inv(int[] x, int[] z) {
      SecP256R1Field.inv(x, z);
    }
  }

  private static final class P384Arithmetic extends CurveArithmetic {
    P384Arithmetic() {
      super(Ecdsa.P384, 12);
    }

    @Override
    void mul(int[] x, int[] y, int[] z, int[] tt) {
      SecP384R1Field.multiply(x, y, z, tt);
    }

    @Override
    void sqr(int[] x, int[] z, int[] tt) {
      SecP384R1Field.square(x, z, tt);
    }

    @Override
    void add(int[] x, int[] y, int[] z) {
      SecP384R1Field.add(x, y, z);
    }

    @Override
    void sub(int[] x, int[] y, int[] z) {
      SecP384R1Field.subtract(x, y, z);
    }

    @Override
    void twice(int[] x, int[] z) {
      SecP384R1Field.twice(x, z);
    }

    @Override
    void neg(int[] x, int[] z) {
      SecP384R1Field.negate(x, z);
    }

    @Override
    void inv(int[] x, int[] z) {
      SecP384R1Field.inv(x, z);
    }
  }
}
