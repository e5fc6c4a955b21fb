package io.guestmem.attestation.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guestmem.attestation.TestVectors;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPublicKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.util.BigIntegers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The table-based ECDSA verification accepts exactly what BouncyCastle's {@code ECDSASigner} and
 * the JDK's SunEC accept: random keys, digests and signatures, valid and mutated, including the
 * boundary values of r and s and the rare x(R) ≥ n case; and the real hardware signatures.
 */
class FixedBaseEcdsaTest {
  private static final Random RANDOM = new Random(0x5eed_ec);

  private static CurveArithmetic curve(int bits) {
    return bits == 256 ? CurveArithmetic.P256 : CurveArithmetic.P384;
  }

  private static java.security.SecureRandom seeded(long seed) {
    try {
      java.security.SecureRandom r = java.security.SecureRandom.getInstance("SHA1PRNG");
      r.setSeed(seed);
      return r;
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  private record Case(String label, byte[] digest, BigInteger r, BigInteger s) {}

  /** Signatures in which every rule matters: valid, each half flipped, boundaries, the other valid s. */
  private static List<Case> cases(ECDomainParameters d, byte[] digest, BigInteger r, BigInteger s) {
    BigInteger n = d.getN();
    List<Case> c = new ArrayList<>();
    c.add(new Case("valid", digest, r, s));
    c.add(new Case("valid with n - s", digest, r, n.subtract(s)));
    byte[] flipped = digest.clone();
    int bit = RANDOM.nextInt(flipped.length * 8);
    flipped[bit / 8] ^= (byte) (1 << (bit % 8));
    c.add(new Case("digest bit " + bit + " flipped", flipped, r, s));
    c.add(new Case("r bit flipped", digest, r.flipBit(RANDOM.nextInt(n.bitLength() - 1)), s));
    c.add(new Case("s bit flipped", digest, r, s.flipBit(RANDOM.nextInt(n.bitLength() - 1))));
    c.add(new Case("r = 0", digest, BigInteger.ZERO, s));
    c.add(new Case("s = 0", digest, r, BigInteger.ZERO));
    c.add(new Case("r = n", digest, n, s));
    c.add(new Case("s = n", digest, r, n));
    c.add(new Case("r = r + n", digest, r.add(n), s));
    c.add(new Case("s = s + n", digest, r, s.add(n)));
    c.add(new Case("r, s swapped", digest, s, r));
    c.add(new Case("r = 1", digest, BigInteger.ONE, s));
    c.add(new Case("s = n - 1", digest, r, n.subtract(BigInteger.ONE)));
    return c;
  }

  private static boolean sunEc(ECPublicKeyParameters key, int bits, byte[] digest, BigInteger r, BigInteger s)
      throws Exception {
    int len = bits / 8;
    if (r.bitLength() > bits || s.bitLength() > bits) {
      return false; // not representable in IEEE P1363 form; every verifier rejects r, s >= n
    }
    AlgorithmParameters ap = AlgorithmParameters.getInstance("EC", "SunEC");
    ap.init(new ECGenParameterSpec(bits == 256 ? "secp256r1" : "secp384r1"));
    ECParameterSpec spec = ap.getParameterSpec(ECParameterSpec.class);
    ECPoint q = key.getQ().normalize();
    PublicKey pk = KeyFactory.getInstance("EC", "SunEC").generatePublic(new ECPublicKeySpec(
        new java.security.spec.ECPoint(q.getAffineXCoord().toBigInteger(), q.getAffineYCoord().toBigInteger()), spec));
    Signature v = Signature.getInstance("NONEwithECDSAinP1363Format", "SunEC");
    v.initVerify(pk);
    v.update(digest);
    byte[] rs = new byte[2 * len];
    System.arraycopy(BigIntegers.asUnsignedByteArray(len, r), 0, rs, 0, len);
    System.arraycopy(BigIntegers.asUnsignedByteArray(len, s), 0, rs, len, len);
    try {
      return v.verify(rs);
    } catch (java.security.SignatureException e) {
      return false;
    }
  }

  @ParameterizedTest(name = "P-{0}")
  @ValueSource(ints = {256, 384})
  void randomSignaturesAndMutationsAgreeWithBouncyCastleAndSunEc(int bits) throws Exception {
    CurveArithmetic c = curve(bits);
    ECDomainParameters d = c.domain;
    java.security.SecureRandom rnd = seeded(bits);
    List<String> disagreements = new ArrayList<>();
    int valid = 0;
    int checked = 0;
    for (int k = 0; k < (bits == 256 ? 12 : 8); k++) {
      BigInteger priv = BigIntegers.createRandomInRange(BigInteger.ONE, d.getN().subtract(BigInteger.ONE), rnd);
      ECPublicKeyParameters pub = new ECPublicKeyParameters(d.getG().multiply(priv).normalize(), d);
      ECDSASigner signer = new ECDSASigner();
      signer.init(true, new ParametersWithRandom(new ECPrivateKeyParameters(priv, d), rnd));
      for (int m = 0; m < 4; m++) {
        byte[] digest = new byte[bits / 8];
        rnd.nextBytes(digest);
        if (m == 3) {
          // e = n: u1 = 0, so R comes from the key's table alone.
          digest = BigIntegers.asUnsignedByteArray(bits / 8, d.getN());
        }
        BigInteger[] sig = signer.generateSignature(digest);
        for (Case cs : cases(d, digest, sig[0], sig[1])) {
          boolean bc = Ecdsa.verifyWithBouncyCastle(pub, cs.digest(), cs.r(), cs.s());
          boolean table = Ecdsa.verifyPrecomputed(pub, cs.digest(), cs.r(), cs.s());
          boolean routed = Ecdsa.verify(pub, cs.digest(), cs.r(), cs.s());
          boolean jdk = sunEc(pub, bits, cs.digest(), cs.r(), cs.s());
          checked++;
          valid += bc ? 1 : 0;
          if (bc != table || bc != routed || bc != jdk) {
            disagreements.add("key " + k + " message " + m + " " + cs.label() + ": BC " + bc + ", table " + table
                + ", routed " + routed + ", SunEC " + jdk);
          }
        }
      }
    }
    assertThat(disagreements).isEmpty();
    assertThat(checked).isGreaterThan(300);
    // valid and valid-with-(n − s) for each message; every mutation is rejected.
    assertThat(valid).isEqualTo((bits == 256 ? 12 : 8) * 4 * 2);
  }

  @ParameterizedTest(name = "P-{0}")
  @ValueSource(ints = {256, 384})
  void acceptsASignatureWhoseRHasXAtLeastN(int bits) throws Exception {
    // Forge a key for which R = u1·G + u2·Q is a chosen point with x(R) in [n, p): r = x(R) − n.
    CurveArithmetic c = curve(bits);
    ECDomainParameters d = c.domain;
    BigInteger p = c.p;
    BigInteger b = d.getCurve().getB().toBigInteger();
    BigInteger x = d.getN().add(BigInteger.ONE); // r = x - n must not be 0
    BigInteger y = null;
    for (; y == null; x = x.add(BigInteger.ONE)) {
      BigInteger rhs = x.pow(3).subtract(x.multiply(BigInteger.valueOf(3))).add(b).mod(p);
      BigInteger root = rhs.modPow(p.add(BigInteger.ONE).shiftRight(2), p);
      if (root.multiply(root).mod(p).equals(rhs)) {
        y = root;
        break;
      }
    }
    ECPoint bigR = d.getCurve().createPoint(x, y);
    BigInteger r = x.subtract(d.getN());
    byte[] digest = new byte[bits / 8];
    seeded(7).nextBytes(digest);
    BigInteger e = new BigInteger(1, digest);
    BigInteger s = BigInteger.valueOf(0x1234567);
    BigInteger w = s.modInverse(d.getN());
    BigInteger u1 = e.multiply(w).mod(d.getN());
    BigInteger u2 = r.multiply(w).mod(d.getN());
    ECPoint q = bigR.subtract(d.getG().multiply(u1)).multiply(u2.modInverse(d.getN())).normalize();
    ECPublicKeyParameters pub = new ECPublicKeyParameters(q, d);

    assertThat(Ecdsa.verifyWithBouncyCastle(pub, digest, r, s)).isTrue();
    assertThat(Ecdsa.verifyPrecomputed(pub, digest, r, s)).isTrue();
    // Not compared with SunEC: JDK 17's ECDSAOperations subtracts x(R) from r modulo p before
    // reducing modulo n, so it rejects this valid signature (an honest signer produces one with
    // probability about 2^-32 on P-256, far less on P-384).
    assertThat(Ecdsa.verifyPrecomputed(pub, digest, r.add(BigInteger.ONE), s)).isFalse();
    assertThat(Ecdsa.verifyWithBouncyCastle(pub, digest, r.add(BigInteger.ONE), s)).isFalse();
  }

  @Test
  void pointsOffTheCurveOrOutsideTheFieldGetNoTable() {
    CurveArithmetic c = CurveArithmetic.P256;
    ECPoint g = c.domain.getG().normalize();
    BigInteger gx = g.getAffineXCoord().toBigInteger();
    BigInteger gy = g.getAffineYCoord().toBigInteger();
    assertThat(FixedBaseTable.of(c, 4, gx, gy)).isPresent();
    assertThat(FixedBaseTable.of(c, 4, gx, gy.add(BigInteger.ONE))).isEmpty();
    assertThat(FixedBaseTable.of(c, 4, gx, gy.add(c.p))).isEmpty();
    assertThat(FixedBaseTable.of(c, 4, gx.add(c.p), gy)).isEmpty();
    assertThat(FixedBaseTable.of(c, 4, BigInteger.ZERO, BigInteger.ZERO)).isEmpty();
    assertThat(FixedBaseTable.of(CurveArithmetic.P384, 4, gx, gy)).as("a P-256 point on P-384").isEmpty();
    byte[] raw = new byte[64];
    raw[31] = 1;
    raw[63] = 2;
    assertThatThrownBy(() -> Ecdsa.p256FromRaw(raw)).isInstanceOf(CertificateParseException.class);
  }

  @Test
  void recodedDigitsSumBackToTheScalar() {
    for (CurveArithmetic c : new CurveArithmetic[] {CurveArithmetic.P256, CurveArithmetic.P384}) {
      java.security.SecureRandom rnd = seeded(c.bits + 1);
      List<BigInteger> scalars = new ArrayList<>(List.of(BigInteger.ZERO, BigInteger.ONE, c.n.subtract(BigInteger.ONE),
          BigInteger.ONE.shiftLeft(c.bits).subtract(BigInteger.ONE)));
      for (int i = 0; i < 200; i++) {
        scalars.add(new BigInteger(c.bits, rnd));
      }
      for (int w : new int[] {2, 5, 7, 8, 9, 12}) {
        for (BigInteger k : scalars) {
          int[] digits = FixedBaseTable.recode(c, w, k);
          BigInteger sum = BigInteger.ZERO;
          for (int i = digits.length - 1; i >= 0; i--) {
            assertThat(Math.abs(digits[i])).isLessThanOrEqualTo(1 << (w - 1));
            sum = sum.shiftLeft(w).add(BigInteger.valueOf(digits[i]));
          }
          assertThat(sum).as("w = %d", w).isEqualTo(k);
        }
      }
    }
  }

  @Test
  void aKeyGetsItsTableAfterRepeatedVerificationsAndTheCacheIsBounded() {
    ECDomainParameters d = Ecdsa.P256;
    java.security.SecureRandom rnd = seeded(99);
    ECDSASigner signer = new ECDSASigner();
    BigInteger priv = BigIntegers.createRandomInRange(BigInteger.ONE, d.getN().subtract(BigInteger.ONE), rnd);
    ECPublicKeyParameters pub = new ECPublicKeyParameters(d.getG().multiply(priv).normalize(), d);
    signer.init(true, new ParametersWithRandom(new ECPrivateKeyParameters(priv, d), rnd));
    byte[] digest = new byte[32];
    rnd.nextBytes(digest);
    BigInteger[] sig = signer.generateSignature(digest);
    FixedBaseEcdsa.clear();
    for (int i = 1; i < FixedBaseEcdsa.BUILD_AFTER; i++) {
      assertThat(Ecdsa.verify(pub, digest, sig[0], sig[1])).isTrue();
    }
    assertThat(FixedBaseEcdsa.hasTable(pub)).as("after %d verifications", FixedBaseEcdsa.BUILD_AFTER - 1).isFalse();
    assertThat(Ecdsa.verify(pub, digest, sig[0], sig[1])).isTrue();
    assertThat(FixedBaseEcdsa.hasTable(pub)).as("after %d", FixedBaseEcdsa.BUILD_AFTER).isTrue();
    assertThat(Ecdsa.verify(pub, digest, sig[0].add(BigInteger.ONE), sig[1])).isFalse();
    for (int i = 0; i < FixedBaseEcdsa.KEY_LIMIT + 10; i++) {
      ECPublicKeyParameters other = new ECPublicKeyParameters(d.getG().multiply(BigInteger.valueOf(1000 + i)).normalize(), d);
      Ecdsa.verify(other, digest, sig[0], sig[1]);
    }
    assertThat(FixedBaseEcdsa.size()).isLessThanOrEqualTo(FixedBaseEcdsa.KEY_LIMIT);
  }

  @Test
  void realTdxQuoteSignatureVerifiesWithTheTableAndAFlippedByteDoesNot() throws Exception {
    byte[] quote = TestVectors.read("dcap-qvl/tdx_quote");
    assertThat(quote[0]).as("v4 quote").isEqualTo((byte) 4);
    int signedLength = 48 + 584; // header and TD 1.0 report body
    byte[] sig = Arrays.copyOfRange(quote, signedLength + 4, signedLength + 4 + 64);
    byte[] ak = Arrays.copyOfRange(quote, signedLength + 4 + 64, signedLength + 4 + 128);
    ECPublicKeyParameters key = Ecdsa.p256FromRaw(ak);
    byte[] digest = Ecdsa.digest("SHA-256", quote, 0, signedLength);
    BigInteger r = new BigInteger(1, Arrays.copyOfRange(sig, 0, 32));
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(sig, 32, 64));
    assertThat(Ecdsa.verifyWithBouncyCastle(key, digest, r, s)).isTrue();
    assertThat(Ecdsa.verifyPrecomputed(key, digest, r, s)).isTrue();
    assertThat(sunEc(key, 256, digest, r, s)).isTrue();
    byte[] tampered = quote.clone();
    tampered[48 + 136] ^= 1; // MRTD
    byte[] bad = Ecdsa.digest("SHA-256", tampered, 0, signedLength);
    assertThat(Ecdsa.verifyPrecomputed(key, bad, r, s)).isFalse();
    assertThat(Ecdsa.verifyWithBouncyCastle(key, bad, r, s)).isFalse();
  }

  @Test
  void realSnpReportSignatureVerifiesWithTheTableAndAFlippedByteDoesNot() throws Exception {
    byte[] report = TestVectors.read("routex-client-lua/DERIVED.attestation_spec.genoa-v5.report.bin");
    X509CertificateHolder vcek = Certificates.parseAll(
        TestVectors.read("routex-client-lua/vcek-chain-genoa-v5.pem"), "vcek chain").get(0);
    ECPublicKeyParameters key = Ecdsa.publicKey(vcek);
    BigInteger r = littleEndian(report, 0x2A0, 72);
    BigInteger s = littleEndian(report, 0x2E8, 72);
    byte[] digest = Ecdsa.digest("SHA-384", report, 0, 0x2A0);
    assertThat(Ecdsa.verifyWithBouncyCastle(key, digest, r, s)).isTrue();
    assertThat(Ecdsa.verifyPrecomputed(key, digest, r, s)).isTrue();
    assertThat(sunEc(key, 384, digest, r, s)).isTrue();
    byte[] tampered = report.clone();
    tampered[0x90] ^= (byte) 0x80; // MEASUREMENT
    byte[] bad = Ecdsa.digest("SHA-384", tampered, 0, 0x2A0);
    assertThat(Ecdsa.verifyPrecomputed(key, bad, r, s)).isFalse();
    assertThat(Ecdsa.verifyWithBouncyCastle(key, bad, r, s)).isFalse();
  }

  private static BigInteger littleEndian(byte[] b, int off, int len) {
    byte[] be = new byte[len];
    for (int i = 0; i < len; i++) {
      be[i] = b[off + len - 1 - i];
    }
    return new BigInteger(1, be);
  }
}
