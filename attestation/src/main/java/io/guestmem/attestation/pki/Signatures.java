package io.guestmem.attestation.pki;

import java.math.BigInteger;
import java.security.Provider;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

/**
 * X.509 signature checks (certificates and CRLs). ECDSA with SHA-256/384 (Intel's chains and
 * collateral) goes through BouncyCastle's lightweight ECDSA with the issuer's memoized key (so its
 * precomputation is reused) and the JDK's SHA-2; everything else, notably RSASSA-PSS with explicit
 * parameters (AMD: SHA-384, MGF1-SHA-384, salt 48, trailer 1), through BouncyCastle's provider,
 * which reads the parameters from the signature AlgorithmIdentifier. Both sign over the DER of the
 * parsed TBS structure, as BouncyCastle's own {@code isSignatureValid} does. The provider is a
 * private instance, not installed into the JVM.
 */
public final class Signatures {
  static final Provider BC = new BouncyCastleProvider();

  private Signatures() {}

  /** Whether {@code issuer}'s key verifies {@code cert}'s signature; any failure is false. */
  public static boolean certificateSignedBy(X509CertificateHolder cert, X509CertificateHolder issuer) {
    try {
      AlgorithmIdentifier alg = cert.getSignatureAlgorithm();
      if (isEcdsa(alg)) {
        return ecdsa(alg, cert.toASN1Structure().getTBSCertificate().getEncoded(ASN1Encoding.DER),
            cert.getSignature(), issuer);
      }
      ContentVerifierProvider v = new JcaContentVerifierProviderBuilder().setProvider(BC).build(issuer);
      return cert.isSignatureValid(v);
    } catch (OperatorCreationException | org.bouncycastle.cert.CertException | java.security.cert.CertificateException
        | java.io.IOException | CertificateParseException | RuntimeException e) {
      return false;
    }
  }

  /** Whether {@code issuer}'s key verifies the CRL's signature; any failure is false. */
  public static boolean crlSignedBy(X509CRLHolder crl, X509CertificateHolder issuer) {
    try {
      AlgorithmIdentifier alg = crl.toASN1Structure().getSignatureAlgorithm();
      if (isEcdsa(alg)) {
        return ecdsa(alg, crl.toASN1Structure().getTBSCertList().getEncoded(ASN1Encoding.DER),
            crl.toASN1Structure().getSignature().getOctets(), issuer);
      }
      ContentVerifierProvider v = new JcaContentVerifierProviderBuilder().setProvider(BC).build(issuer);
      return crl.isSignatureValid(v);
    } catch (OperatorCreationException | org.bouncycastle.cert.CertException | java.security.cert.CertificateException
        | java.io.IOException | CertificateParseException | RuntimeException e) {
      return false;
    }
  }

  private static boolean isEcdsa(AlgorithmIdentifier alg) {
    ASN1ObjectIdentifier oid = alg.getAlgorithm();
    return (oid.equals(X9ObjectIdentifiers.ecdsa_with_SHA256) || oid.equals(X9ObjectIdentifiers.ecdsa_with_SHA384))
        && alg.getParameters() == null;
  }

  private static boolean ecdsa(AlgorithmIdentifier alg, byte[] tbs, byte[] derSignature, X509CertificateHolder issuer)
      throws CertificateParseException, java.io.IOException {
    ECPublicKeyParameters key = Ecdsa.publicKey(issuer);
    String digest = alg.getAlgorithm().equals(X9ObjectIdentifiers.ecdsa_with_SHA256) ? "SHA-256" : "SHA-384";
    ASN1Sequence seq = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(derSignature));
    if (seq.size() != 2) {
      return false;
    }
    BigInteger r = ASN1Integer.getInstance(seq.getObjectAt(0)).getPositiveValue();
    BigInteger s = ASN1Integer.getInstance(seq.getObjectAt(1)).getPositiveValue();
    return Ecdsa.verify(key, Ecdsa.digest(digest, tbs, 0, tbs.length), r, s);
  }
}
