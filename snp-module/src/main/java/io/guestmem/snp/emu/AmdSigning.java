package io.guestmem.snp.emu;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.SecureRandom;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSASSAPSSparams;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.crypto.CryptoException;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.engines.RSABlindedEngine;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.bouncycastle.crypto.signers.PSSSigner;
import org.bouncycastle.operator.ContentSigner;

/**
 * The two signature schemes of AMD's SNP key infrastructure, done with BouncyCastle's lightweight
 * API so that every byte is reproducible from the seed:
 * <ul>
 *   <li>RSASSA-PSS with SHA-384, MGF1-SHA-384, salt length 48, trailer field 1 — ARK, ASK, ASVK,
 *       VCEK/VLEK certificates and the CRL (evidence-formats.md §1.7). The salt comes from a
 *       {@link DeterministicRandom}.</li>
 *   <li>ECDSA P-384 with SHA-384 and RFC 6979 deterministic nonces — reports and ID blocks.</li>
 * </ul>
 */
final class AmdSigning {
  private AmdSigning() {}

  static final AlgorithmIdentifier SHA384 = new AlgorithmIdentifier(NISTObjectIdentifiers.id_sha384, DERNull.INSTANCE);

  /** {@code rsassaPss} with AMD's parameters. */
  static final AlgorithmIdentifier RSA_PSS_SHA384 = new AlgorithmIdentifier(PKCSObjectIdentifiers.id_RSASSA_PSS,
      new RSASSAPSSparams(SHA384, new AlgorithmIdentifier(PKCSObjectIdentifiers.id_mgf1, SHA384),
          new ASN1Integer(48), new ASN1Integer(1)));

  /** A {@link ContentSigner} for certificates and CRLs signed by an AMD RSA key. */
  static ContentSigner pssSigner(RSAKeyParameters privateKey, SecureRandom saltSource) {
    return pssSigner(privateKey, saltSource, 48);
  }

  /**
   * The same with another salt length, written into the AlgorithmIdentifier (the signature is valid
   * for its stated parameters but is not AMD's profile: a negative-test knob).
   */
  static ContentSigner pssSigner(RSAKeyParameters privateKey, SecureRandom saltSource, int saltLength) {
    AlgorithmIdentifier alg = saltLength == 48 ? RSA_PSS_SHA384 : new AlgorithmIdentifier(PKCSObjectIdentifiers.id_RSASSA_PSS,
        new RSASSAPSSparams(SHA384, new AlgorithmIdentifier(PKCSObjectIdentifiers.id_mgf1, SHA384),
            new ASN1Integer(saltLength), new ASN1Integer(1)));
    return new ContentSigner() {
      private final ByteArrayOutputStream tbs = new ByteArrayOutputStream();

      @Override
      public AlgorithmIdentifier getAlgorithmIdentifier() {
        return alg;
      }

      @Override
      public OutputStream getOutputStream() {
        return tbs;
      }

      @Override
      public byte[] getSignature() {
        PSSSigner s = new PSSSigner(new RSABlindedEngine(), new SHA384Digest(), new SHA384Digest(), saltLength,
            PSSSigner.TRAILER_IMPLICIT);
        s.init(true, new ParametersWithRandom(privateKey, saltSource));
        byte[] m = tbs.toByteArray();
        s.update(m, 0, m.length);
        try {
          return s.generateSignature();
        } catch (CryptoException e) {
          throw new IllegalStateException("RSASSA-PSS signing with a generated key failed", e);
        }
      }
    };
  }

  /** ECDSA P-384 over SHA-384(message), deterministic (RFC 6979); returns {r, s}. */
  static BigInteger[] ecdsaP384(ECPrivateKeyParameters key, byte[] message) {
    SHA384Digest d = new SHA384Digest();
    d.update(message, 0, message.length);
    byte[] h = new byte[48];
    d.doFinal(h, 0);
    ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA384Digest()));
    signer.init(true, key);
    return signer.generateSignature(h);
  }
}
