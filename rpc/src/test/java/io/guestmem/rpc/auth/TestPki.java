package io.guestmem.rpc.auth;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Test CAs and client certificates (P-256), made with BouncyCastle at test time. */
public final class TestPki {
  private static final AtomicLong SERIAL = new AtomicLong(1000);

  /** A certificate and its key. */
  public record Issued(X509Certificate certificate, PrivateKey key, X509Certificate... chain) {
    /** Writes {@code name.crt} (this certificate, then {@code chain}) and {@code name.key} (PKCS#8) into {@code dir}. */
    public Path[] write(Path dir, String name) throws IOException {
      StringBuilder crt = new StringBuilder(pem(certificate));
      for (X509Certificate c : chain) {
        crt.append(pem(c));
      }
      Path c = dir.resolve(name + ".crt");
      Path k = dir.resolve(name + ".key");
      Files.writeString(c, crt);
      Files.writeString(k, pem(new JcaPKCS8Generator(key, null).generate()));
      return new Path[] {c, k};
    }

    public String sha256() {
      return ClientCertificateVerifier.sha256(certificate);
    }
  }

  /** What a client certificate should look like. */
  public record Profile(Instant notBefore, Instant notAfter, boolean clientAuthEku, boolean serverAuthOnlyEku,
                        boolean digitalSignature, boolean ca, String dnsSan, String uriSan) {
    public static Profile client() {
      Instant now = Instant.now();
      return new Profile(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)), true, false, true, false, null, null);
    }

    public Profile validity(Instant from, Instant to) {
      return new Profile(from, to, clientAuthEku, serverAuthOnlyEku, digitalSignature, ca, dnsSan, uriSan);
    }

    public Profile serverAuthOnly() {
      return new Profile(notBefore, notAfter, false, true, digitalSignature, ca, dnsSan, uriSan);
    }

    public Profile noEku() {
      return new Profile(notBefore, notAfter, false, false, digitalSignature, ca, dnsSan, uriSan);
    }

    public Profile keyAgreementOnly() {
      return new Profile(notBefore, notAfter, clientAuthEku, serverAuthOnlyEku, false, ca, dnsSan, uriSan);
    }

    public Profile san(String dns, String uri) {
      return new Profile(notBefore, notAfter, clientAuthEku, serverAuthOnlyEku, digitalSignature, ca, dns, uri);
    }
  }

  private TestPki() {}

  static KeyPair keyPair() throws GeneralSecurityException {
    KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
    kpg.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
    return kpg.generateKeyPair();
  }

  /** A self-signed root CA. */
  public static Issued rootCa(String cn) throws Exception {
    KeyPair kp = keyPair();
    X500Name name = new X500Name("CN=" + cn);
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, BigInteger.valueOf(SERIAL.incrementAndGet()),
        Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(365))), name, kp.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    return new Issued(sign(b, kp.getPrivate()), kp.getPrivate());
  }

  /** An intermediate CA under {@code issuer} ({@code ca} false makes a leaf posing as one). */
  public static Issued intermediate(Issued issuer, String cn, boolean ca) throws Exception {
    KeyPair kp = keyPair();
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer.certificate(), BigInteger.valueOf(SERIAL.incrementAndGet()),
        Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(300))), new X500Name("CN=" + cn), kp.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(ca ? KeyUsage.keyCertSign : KeyUsage.digitalSignature));
    return new Issued(sign(b, issuer.key()), kp.getPrivate());
  }

  /** A client certificate for {@code cn} issued by {@code issuer}. */
  public static Issued client(Issued issuer, String cn, Profile p) throws Exception {
    KeyPair kp = keyPair();
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer.certificate(), BigInteger.valueOf(SERIAL.incrementAndGet()),
        Date.from(p.notBefore()), Date.from(p.notAfter()), new X500Name("CN=" + cn), kp.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(p.ca()));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(p.digitalSignature() ? KeyUsage.digitalSignature : KeyUsage.keyAgreement));
    if (p.clientAuthEku()) {
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
    } else if (p.serverAuthOnlyEku()) {
      b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
    }
    if (p.dnsSan() != null || p.uriSan() != null) {
      java.util.List<GeneralName> names = new java.util.ArrayList<>();
      if (p.dnsSan() != null) {
        names.add(new GeneralName(GeneralName.dNSName, p.dnsSan()));
      }
      if (p.uriSan() != null) {
        names.add(new GeneralName(GeneralName.uniformResourceIdentifier, p.uriSan()));
      }
      b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(new GeneralName[0])));
    }
    return new Issued(sign(b, issuer.key()), kp.getPrivate());
  }

  /** An intermediate CA under {@code issuer} that may sign CRLs (keyUsage keyCertSign and cRLSign). */
  public static Issued crlSigningIntermediate(Issued issuer, String cn) throws Exception {
    KeyPair kp = keyPair();
    Instant now = Instant.now();
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(issuer.certificate(), BigInteger.valueOf(SERIAL.incrementAndGet()),
        Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(Duration.ofDays(300))), new X500Name("CN=" + cn), kp.getPublic());
    b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
    b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
    return new Issued(sign(b, issuer.key()), kp.getPrivate());
  }

  /**
   * A CRL (DER) in {@code issuer}'s name, signed with {@code signingKey} (normally the issuer's),
   * valid from {@code thisUpdate} to {@code nextUpdate} (null: no nextUpdate), listing {@code revoked}.
   */
  public static byte[] crl(Issued issuer, PrivateKey signingKey, Instant thisUpdate, Instant nextUpdate, X509Certificate... revoked)
      throws Exception {
    org.bouncycastle.cert.X509v2CRLBuilder b = new org.bouncycastle.cert.X509v2CRLBuilder(
        X500Name.getInstance(issuer.certificate().getSubjectX500Principal().getEncoded()), Date.from(thisUpdate));
    if (nextUpdate != null) {
      b.setNextUpdate(Date.from(nextUpdate));
    }
    for (X509Certificate c : revoked) {
      b.addCRLEntry(c.getSerialNumber(), Date.from(thisUpdate.minus(Duration.ofMinutes(5))), org.bouncycastle.asn1.x509.CRLReason.keyCompromise);
    }
    b.addExtension(Extension.cRLNumber, false, new org.bouncycastle.asn1.x509.CRLNumber(BigInteger.valueOf(SERIAL.incrementAndGet())));
    return b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signingKey)).getEncoded();
  }

  /** A current CRL of {@code issuer} (from an hour ago to a day ahead) listing {@code revoked}. */
  public static byte[] crl(Issued issuer, X509Certificate... revoked) throws Exception {
    Instant now = Instant.now();
    return crl(issuer, issuer.key(), now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)), revoked);
  }

  /** PEM of DER CRLs, one {@code X509 CRL} block each. */
  public static String crlPem(byte[]... crls) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (byte[] c : crls) {
      sb.append("-----BEGIN X509 CRL-----\n")
          .append(java.util.Base64.getMimeEncoder(64, "\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII)).encodeToString(c))
          .append("\n-----END X509 CRL-----\n");
    }
    return sb.toString();
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder b, PrivateKey issuerKey) throws Exception {
    return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
  }

  public static String pem(Object o) throws IOException {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(o);
    }
    return sw.toString();
  }
}
