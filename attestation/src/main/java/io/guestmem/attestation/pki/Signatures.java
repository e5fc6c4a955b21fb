package io.guestmem.attestation.pki;

import java.security.Provider;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

/**
 * X.509 signature checks (certificates and CRLs) through BouncyCastle's provider, which handles
 * ECDSA with SHA-256/384 and RSASSA-PSS with explicit parameters (AMD: SHA-384, MGF1-SHA-384,
 * salt 48, trailer 1) from the signature AlgorithmIdentifier. The provider is a private instance,
 * not installed into the JVM.
 */
public final class Signatures {
  static final Provider BC = new BouncyCastleProvider();

  private Signatures() {}

  /** Whether {@code issuer}'s key verifies {@code cert}'s signature; any failure is false. */
  public static boolean certificateSignedBy(X509CertificateHolder cert, X509CertificateHolder issuer) {
    try {
      ContentVerifierProvider v = new JcaContentVerifierProviderBuilder().setProvider(BC).build(issuer);
      return cert.isSignatureValid(v);
    } catch (OperatorCreationException | org.bouncycastle.cert.CertException | java.security.cert.CertificateException | RuntimeException e) {
      return false;
    }
  }

  /** Whether {@code issuer}'s key verifies the CRL's signature; any failure is false. */
  public static boolean crlSignedBy(X509CRLHolder crl, X509CertificateHolder issuer) {
    try {
      ContentVerifierProvider v = new JcaContentVerifierProviderBuilder().setProvider(BC).build(issuer);
      return crl.isSignatureValid(v);
    } catch (OperatorCreationException | org.bouncycastle.cert.CertException | java.security.cert.CertificateException | RuntimeException e) {
      return false;
    }
  }
}
