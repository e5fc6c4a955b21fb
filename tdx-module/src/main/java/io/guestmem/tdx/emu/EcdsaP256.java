package io.guestmem.tdx.emu;

import io.guestmem.tdx.abi.Bytes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.spec.X509EncodedKeySpec;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.operator.ContentSigner;

/**
 * An emulated P-256 key derived from a {@link Seed} label, signing ECDSA/SHA-256 with
 * deterministic nonces (RFC 6979), so the same seed yields byte-identical signatures. Signatures
 * come as Intel's raw {@code r‖s} (32 + 32 bytes, big-endian) or as DER for X.509.
 */
public final class EcdsaP256 {
  private static final X9ECParameters CURVE = ECNamedCurveTable.getByName("secp256r1");
  private static final ECDomainParameters DOMAIN = new ECNamedDomainParameters(SECObjectIdentifiers.secp256r1, CURVE);

  private final ECPrivateKeyParameters privateKey;
  private final ECPublicKeyParameters publicKey;

  private EcdsaP256(BigInteger d) {
    this.privateKey = new ECPrivateKeyParameters(d, DOMAIN);
    this.publicKey = new ECPublicKeyParameters(DOMAIN.getG().multiply(d).normalize(), DOMAIN);
  }

  public static EcdsaP256 derive(Seed seed, String label) {
    return new EcdsaP256(seed.scalar("key:" + label, DOMAIN.getN()));
  }

  /** The public key as Intel's raw 64-byte {@code x‖y}. */
  public Bytes rawPublicKey() {
    byte[] enc = publicKey.getQ().getEncoded(false);
    return Bytes.of(enc, 1, 64);
  }

  public SubjectPublicKeyInfo subjectPublicKeyInfo() {
    try {
      return SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(publicKey);
    } catch (IOException e) {
      throw new IllegalStateException("encoding an in-memory key cannot fail", e);
    }
  }

  public PublicKey jcaPublicKey() {
    try {
      return KeyFactory.getInstance("EC").generatePublic(new X509EncodedKeySpec(subjectPublicKeyInfo().getEncoded()));
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("the JDK cannot load a P-256 key", e);
    }
  }

  private BigInteger[] signDigest(byte[] message) {
    return signDigest(message, "SHA-256");
  }

  private BigInteger[] signDigest(byte[] message, String hash) {
    byte[] digest;
    try {
      digest = MessageDigest.getInstance(hash).digest(message);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
    ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
    signer.init(true, privateKey);
    return signer.generateSignature(digest);
  }

  /** ECDSA/SHA-256 over {@code message} as raw {@code r‖s} (64 bytes). */
  public Bytes signRaw(byte[] message) {
    BigInteger[] rs = signDigest(message);
    byte[] out = new byte[64];
    put32(rs[0], out, 0);
    put32(rs[1], out, 32);
    return Bytes.of(out);
  }

  /** ECDSA/SHA-256 over {@code message} as a DER {@code SEQUENCE {r, s}}. */
  public byte[] signDer(byte[] message) {
    BigInteger[] rs = signDigest(message);
    ASN1EncodableVector v = new ASN1EncodableVector();
    v.add(new ASN1Integer(rs[0]));
    v.add(new ASN1Integer(rs[1]));
    try {
      return new DERSequence(v).getEncoded();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A BouncyCastle content signer (ecdsa-with-SHA256) for certificates and CRLs. */
  public ContentSigner contentSigner() {
    return contentSigner(false);
  }

  /**
   * A content signer with ecdsa-with-SHA256, or with {@code sha384} ecdsa-with-SHA384 (a valid
   * signature, but not the algorithm Intel's certificate profile allows: a negative-test knob).
   */
  ContentSigner contentSigner(boolean sha384) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    return new ContentSigner() {
      @Override
      public AlgorithmIdentifier getAlgorithmIdentifier() {
        return new AlgorithmIdentifier(sha384 ? X9ObjectIdentifiers.ecdsa_with_SHA384 : X9ObjectIdentifiers.ecdsa_with_SHA256);
      }

      @Override
      public OutputStream getOutputStream() {
        return buf;
      }

      @Override
      public byte[] getSignature() {
        return der(signDigest(buf.toByteArray(), sha384 ? "SHA-384" : "SHA-256"));
      }
    };
  }

  static byte[] der(BigInteger[] rs) {
    ASN1EncodableVector v = new ASN1EncodableVector();
    v.add(new ASN1Integer(rs[0]));
    v.add(new ASN1Integer(rs[1]));
    try {
      return new DERSequence(v).getEncoded();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void put32(BigInteger v, byte[] out, int at) {
    byte[] b = v.toByteArray();
    int n = Math.min(b.length, 32);
    System.arraycopy(b, b.length - n, out, at + 32 - n, n);
  }
}
