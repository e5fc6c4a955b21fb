package io.guestmem.tdx.emu;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.ECNamedCurveTable;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.params.ECNamedDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;
import org.bouncycastle.operator.ContentSigner;

/**
 * An emulated P-384 key derived from a {@link Seed} label, signing with deterministic nonces (RFC 6979). Intel's PKI uses only P-256: this key exists for the knob that
 * gives the Platform CA a key on the wrong curve ({@link EmulationKnobs#platformCaP384()}).
 */
final class EcdsaP384 {
  private static final ECNamedDomainParameters DOMAIN =
      new ECNamedDomainParameters(SECObjectIdentifiers.secp384r1, ECNamedCurveTable.getByName("secp384r1"));

  private final ECPrivateKeyParameters privateKey;
  private final ECPublicKeyParameters publicKey;

  private EcdsaP384(BigInteger d) {
    privateKey = new ECPrivateKeyParameters(d, DOMAIN);
    publicKey = new ECPublicKeyParameters(DOMAIN.getG().multiply(d).normalize(), DOMAIN);
  }

  static EcdsaP384 derive(Seed seed, String label) {
    return new EcdsaP384(seed.scalar("key-p384:" + label, DOMAIN.getN()));
  }

  SubjectPublicKeyInfo subjectPublicKeyInfo() {
    try {
      return SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(publicKey);
    } catch (IOException e) {
      throw new IllegalStateException("encoding an in-memory key cannot fail", e);
    }
  }

  /**
   * A content signer for certificates and CRLs: ecdsa-with-SHA256 (what Intel's profile names as
   * the signature algorithm, so that only the key's curve is off), or ecdsa-with-SHA384.
   */
  ContentSigner contentSigner(boolean sha256) {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    return new ContentSigner() {
      @Override
      public AlgorithmIdentifier getAlgorithmIdentifier() {
        return new AlgorithmIdentifier(sha256 ? X9ObjectIdentifiers.ecdsa_with_SHA256 : X9ObjectIdentifiers.ecdsa_with_SHA384);
      }

      @Override
      public OutputStream getOutputStream() {
        return buf;
      }

      @Override
      public byte[] getSignature() {
        byte[] digest;
        try {
          digest = MessageDigest.getInstance(sha256 ? "SHA-256" : "SHA-384").digest(buf.toByteArray());
        } catch (GeneralSecurityException e) {
          throw new IllegalStateException("SHA-384 unavailable", e);
        }
        ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA384Digest()));
        signer.init(true, privateKey);
        return EcdsaP256.der(signer.generateSignature(digest));
      }
    };
  }
}
