package io.guestmem.rpc.server;

import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.HexFormat;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The TCP listener's TLS key and certificate: configured files, or a self-signed P-256
 * certificate created in the state directory on first start and reused afterwards.
 */
public final class TlsMaterial {
  private final Path certificate;
  private final Path privateKey;
  private final String certificateSha256;

  private TlsMaterial(Path certificate, Path privateKey, String certificateSha256) {
    this.certificate = certificate;
    this.privateKey = privateKey;
    this.certificateSha256 = certificateSha256;
  }

  /** Uses the given PEM files. */
  public static TlsMaterial fromFiles(Path certificate, Path privateKey) throws IOException, GeneralSecurityException {
    return new TlsMaterial(certificate, privateKey, sha256OfPemCertificate(certificate));
  }

  /** Loads {@code dir/server.crt} and {@code dir/server.key}, creating a self-signed pair if absent. */
  public static TlsMaterial selfSigned(Path dir) throws IOException, GeneralSecurityException {
    Path crt = dir.resolve("server.crt");
    Path key = dir.resolve("server.key");
    if (!Files.exists(crt) || !Files.exists(key)) {
      Files.createDirectories(dir);
      try {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      } catch (UnsupportedOperationException e) {
        // non-POSIX file system
      }
      KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
      kpg.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      KeyPair kp = kpg.generateKeyPair();
      X500Name name = new X500Name("CN=guestmem");
      Instant now = Instant.now();
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(
          name, new BigInteger(64, new SecureRandom()).abs().add(BigInteger.ONE),
          Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(825))), name, kp.getPublic());
      try {
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
          new GeneralName(GeneralName.dNSName, "localhost"),
          new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
          new GeneralName(GeneralName.iPAddress, "::1")
        }));
        X509CertificateHolder holder = b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate()));
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(holder);
        writeAtomically(key, pem(new JcaPKCS8Generator(kp.getPrivate(), null).generate()), true);
        writeAtomically(crt, pem(cert), false);
      } catch (org.bouncycastle.operator.OperatorCreationException e) {
        throw new GeneralSecurityException("cannot create the TLS certificate", e);
      }
    }
    return fromFiles(crt, key);
  }

  private static String pem(Object o) throws IOException {
    StringWriter sw = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(sw)) {
      w.writeObject(o);
    }
    return sw.toString();
  }

  private static void writeAtomically(Path target, String text, boolean secret) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.US_ASCII);
    if (secret) {
      try {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // non-POSIX file system
      }
    }
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  private static String sha256OfPemCertificate(Path pemFile) throws IOException, GeneralSecurityException {
    try (Writer ignored = Writer.nullWriter(); var in = Files.newInputStream(pemFile)) {
      X509Certificate cert = (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    }
  }

  public Path certificate() {
    return certificate;
  }

  public Path privateKey() {
    return privateKey;
  }

  /** SHA-256 of the DER certificate, hex: what clients pin. */
  public String certificateSha256() {
    return certificateSha256;
  }
}
