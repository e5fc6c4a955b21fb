package io.guestmem.attestation.trust;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Date;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Small generated certificates for tests that need a root no vendor pinned. */
public final class TestCerts {
  private TestCerts() {}

  public static KeyPair p256() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  public static X509CertificateHolder selfSigned(String dn) throws Exception {
    KeyPair kp = p256();
    return issue(dn, kp, dn, kp, BigInteger.ONE, true);
  }

  public static X509CertificateHolder issue(String subject, KeyPair subjectKey, String issuer, KeyPair issuerKey,
      BigInteger serial, boolean ca) throws Exception {
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(issuer), serial,
        new Date(1_600_000_000_000L), new Date(2_600_000_000_000L), new X500Name(subject), subjectKey.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey.getPrivate()));
  }
}
