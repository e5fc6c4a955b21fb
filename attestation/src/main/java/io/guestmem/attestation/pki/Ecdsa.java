package io.guestmem.attestation.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.crypto.params.AsymmetricKeyParameter;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.util.PublicKeyFactory;
import org.bouncycastle.math.ec.ECPoint;

/**
 * ECDSA verification over raw signed bytes with BouncyCastle's lightweight API (several times
 * faster than SunEC) and the JDK's SHA-2 (hardware accelerated). Signatures arrive as the raw
 * big-integer pair (r, s) the evidence formats use, never as DER.
 */
public final class Ecdsa {
  public static final ECDomainParameters P256 = domain("secp256r1");
  public static final ECDomainParameters P384 = domain("secp384r1");

  private Ecdsa() {}

  /** BouncyCastle's custom curve implementations (SecP256R1Curve, SecP384R1Curve): several times faster than generic Fp. */
  private static ECDomainParameters domain(String name) {
    X9ECParameters p = CustomNamedCurves.getByName(name);
    return new ECDomainParameters(p.getCurve(), p.getG(), p.getN(), p.getH(), p.getSeed());
  }

  /**
   * How many verifications a P-256 or P-384 key does through BouncyCastle before it gets its own
   * precomputed table (see {@link #verify}).
   */
  public static final int TABLE_AFTER_VERIFICATIONS = 64;

  private static final int KEY_CACHE_LIMIT = 4096;
  private static final java.util.Map<java.nio.ByteBuffer, ECPublicKeyParameters> RAW_KEYS = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * A P-256 public key from its raw 64-byte x‖y form (TDX attestation key); the point is checked
   * to lie on the curve. Keys are memoized by value, so the same {@code ECPoint} instance, and with
   * it BouncyCastle's WNAF precomputation for the key, is reused for every quote signed with it
   * (an attestation key lives as long as the quoting enclave's boot).
   */
  public static ECPublicKeyParameters p256FromRaw(byte[] xy) throws CertificateParseException {
    java.nio.ByteBuffer id = java.nio.ByteBuffer.wrap(xy.clone());
    ECPublicKeyParameters cached = RAW_KEYS.get(id);
    if (cached != null) {
      return cached;
    }
    ECPublicKeyParameters k = decodeP256(xy);
    if (RAW_KEYS.size() >= KEY_CACHE_LIMIT) {
      RAW_KEYS.clear();
    }
    RAW_KEYS.put(id, k);
    return k;
  }

  private static ECPublicKeyParameters decodeP256(byte[] xy) throws CertificateParseException {
    if (xy.length != 64) {
      throw new CertificateParseException("P-256 raw key must be 64 bytes, got " + xy.length);
    }
    byte[] uncompressed = new byte[65];
    uncompressed[0] = 0x04;
    System.arraycopy(xy, 0, uncompressed, 1, 64);
    try {
      ECPoint q = P256.getCurve().decodePoint(uncompressed);
      return new ECPublicKeyParameters(q, P256);
    } catch (IllegalArgumentException e) {
      throw new CertificateParseException("raw P-256 key is not a point on the curve", e);
    }
  }

  private static final java.util.Map<String, ECPublicKeyParameters> CERT_KEYS = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * The EC public key of a certificate, memoized by the certificate's hash (so BouncyCastle's
   * precomputation for the key is reused, as for {@link #p256FromRaw}).
   */
  public static ECPublicKeyParameters publicKey(X509CertificateHolder cert) throws CertificateParseException {
    String id = Certificates.sha256Hex(cert);
    ECPublicKeyParameters cached = CERT_KEYS.get(id);
    if (cached != null) {
      return cached;
    }
    try {
      AsymmetricKeyParameter k = PublicKeyFactory.createKey(cert.getSubjectPublicKeyInfo());
      if (k instanceof ECPublicKeyParameters ec) {
        ECPublicKeyParameters custom = onCustomCurve(ec);
        if (CERT_KEYS.size() >= KEY_CACHE_LIMIT) {
          CERT_KEYS.clear();
        }
        CERT_KEYS.put(id, custom);
        return custom;
      }
      throw new CertificateParseException("certificate key is not an EC key: " + Certificates.name(cert.getSubject()));
    } catch (IOException | RuntimeException e) {
      throw new CertificateParseException("certificate public key does not parse: " + Certificates.name(cert.getSubject()), e);
    }
  }

  /** The same key on BouncyCastle's custom curve implementation when it is P-256 or P-384. */
  private static ECPublicKeyParameters onCustomCurve(ECPublicKeyParameters k) {
    for (ECDomainParameters d : new ECDomainParameters[] {P256, P384}) {
      if (d.getCurve().equals(k.getParameters().getCurve()) && d.getG().equals(k.getParameters().getG())) {
        return new ECPublicKeyParameters(d.getCurve().importPoint(k.getQ()).normalize(), d);
      }
    }
    return k;
  }

  /** Field size in bytes of the key's curve (32 for P-256, 48 for P-384). */
  public static int fieldBytes(ECPublicKeyParameters key) {
    return (key.getParameters().getCurve().getFieldSize() + 7) / 8;
  }

  /** Verifies r‖s (big-endian, each {@code len/2} bytes) over SHA-256 of {@code message}. */
  public static boolean verifySha256(ECPublicKeyParameters key, byte[] message, int off, int len,
      byte[] rs) {
    return verifyRs(key, digest("SHA-256", message, off, len), rs);
  }

  /** Verifies r‖s (big-endian) over SHA-384 of {@code message}. */
  public static boolean verifySha384(ECPublicKeyParameters key, byte[] message, int off, int len,
      byte[] rs) {
    return verifyRs(key, digest("SHA-384", message, off, len), rs);
  }

  private static boolean verifyRs(ECPublicKeyParameters key, byte[] digest, byte[] rs) {
    if (rs.length % 2 != 0 || rs.length == 0) {
      return false;
    }
    int half = rs.length / 2;
    BigInteger r = new BigInteger(1, Arrays.copyOfRange(rs, 0, half));
    BigInteger s = new BigInteger(1, Arrays.copyOfRange(rs, half, rs.length));
    return verify(key, digest, r, s);
  }

  /**
   * Verifies (r, s) over an already computed digest. P-256 and P-384 keys that verify repeatedly
   * get precomputed tables (see {@link FixedBaseEcdsa}); every other case, and a key's first
   * verification, goes through {@link #verifyWithBouncyCastle}. Both accept exactly the same
   * signatures.
   */
  public static boolean verify(ECPublicKeyParameters key, byte[] digest, BigInteger r, BigInteger s) {
    return FixedBaseEcdsa.verify(key, digest, r, s);
  }

  /**
   * Verifies (r, s) with the key's precomputed table, building it now if the key has none yet
   * (the same result as {@link #verify}; for benchmarks of the table path alone).
   */
  public static boolean verifyPrecomputed(ECPublicKeyParameters key, byte[] digest, BigInteger r, BigInteger s) {
    return FixedBaseEcdsa.verifyWithTable(key, digest, r, s);
  }

  /** Verifies (r, s) with BouncyCastle's lightweight {@code ECDSASigner} (its own WNAF precomputation per key). */
  public static boolean verifyWithBouncyCastle(ECPublicKeyParameters key, byte[] digest, BigInteger r, BigInteger s) {
    BigInteger n = key.getParameters().getN();
    if (r.signum() <= 0 || s.signum() <= 0 || r.compareTo(n) >= 0 || s.compareTo(n) >= 0) {
      return false;
    }
    ECDSASigner signer = new ECDSASigner();
    signer.init(false, key);
    return signer.verifySignature(digest, r, s);
  }

  public static byte[] digest(String algorithm, byte[] message, int off, int len) {
    try {
      MessageDigest md = MessageDigest.getInstance(algorithm);
      md.update(message, off, len);
      return md.digest();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is mandatory in every JDK", e);
    }
  }
}
