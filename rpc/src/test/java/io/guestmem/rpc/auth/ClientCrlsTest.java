package io.guestmem.rpc.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Revocation of client certificates by CRL: listed certificates (leaf or intermediate) are
 * refused, stale CRLs fail closed, CRLs not signed by the issuer are refused, issuers without a
 * CRL are not checked, the newest CRL counts, and a changed file is read again without a restart.
 */
class ClientCrlsTest {
  @TempDir static Path dir;
  static TestPki.Issued root;
  static TestPki.Issued intermediate;
  static TestPki.Issued noCrlSign;
  static TestPki.Issued leaf;
  static TestPki.Issued leafUnderIntermediate;
  static TestPki.Issued leafUnderNoCrlSign;
  static Path bundle;

  /** A clock the test moves. */
  static final class MovingClock extends Clock {
    Instant now = Instant.now();

    @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
    @Override public Clock withZone(java.time.ZoneId zone) { return this; }
    @Override public Instant instant() { return now; }
  }

  @BeforeAll
  static void pki() throws Exception {
    root = TestPki.rootCa("client root");
    intermediate = TestPki.crlSigningIntermediate(root, "client issuing CA");
    noCrlSign = TestPki.intermediate(root, "CA without cRLSign", true);
    leaf = TestPki.client(root, "leaf", TestPki.Profile.client());
    leafUnderIntermediate = TestPki.client(intermediate, "leaf 2", TestPki.Profile.client());
    leafUnderNoCrlSign = TestPki.client(noCrlSign, "leaf 3", TestPki.Profile.client());
    bundle = dir.resolve("bundle.pem");
    Files.writeString(bundle, TestPki.pem(root.certificate()));
  }

  private static Path write(String name, String pem) throws Exception {
    Path f = dir.resolve(name);
    Files.writeString(f, pem);
    return f;
  }

  private static ClientCertificateVerifier verifier(Clock clock, Path... crls) throws Exception {
    return ClientCertificateVerifier.fromPem(bundle, clock).withCrls(ClientCrls.load(List.of(crls), clock));
  }

  private static void refused(ClientCertificateVerifier v, ClientCertificateException.Reason reason, String detail, X509Certificate... chain) {
    assertThatThrownBy(() -> v.verify(chain)).isInstanceOfSatisfying(ClientCertificateException.class,
        e -> assertThat(e.reason()).isEqualTo(reason)).hasMessageContaining(detail);
  }

  @Test
  void aListedLeaf_isRevoked_andOthersPass() throws Exception {
    ClientCertificateVerifier v = verifier(Clock.systemUTC(), write("root.crl", TestPki.crlPem(TestPki.crl(root, leaf.certificate()))));
    refused(v, ClientCertificateException.Reason.REVOKED, "serial 0x" + leaf.certificate().getSerialNumber().toString(16) + " revoked on",
        leaf.certificate());
    refused(v, ClientCertificateException.Reason.REVOKED, "(reason 1)", leaf.certificate());
    v.verify(new X509Certificate[] {TestPki.client(root, "fine", TestPki.Profile.client()).certificate()});
    // the intermediate is not listed in the root's CRL; its issuer has no CRL here: not checked
    v.verify(new X509Certificate[] {leafUnderIntermediate.certificate(), intermediate.certificate()});
  }

  @Test
  void aListedIntermediate_revokesEveryLeafUnderIt() throws Exception {
    ClientCertificateVerifier v = verifier(Clock.systemUTC(),
        write("root-int.crl", TestPki.crlPem(TestPki.crl(root, intermediate.certificate()))));
    refused(v, ClientCertificateException.Reason.REVOKED, "CN=client issuing CA", leafUnderIntermediate.certificate(), intermediate.certificate());
  }

  @Test
  void aCrlOfTheIssuingIntermediate_isChecked_andDer_works() throws Exception {
    Path der = dir.resolve("int.der");
    Files.write(der, TestPki.crl(intermediate, leafUnderIntermediate.certificate()));
    ClientCertificateVerifier v = verifier(Clock.systemUTC(), der);
    refused(v, ClientCertificateException.Reason.REVOKED, "CN=leaf 2", leafUnderIntermediate.certificate(), intermediate.certificate());
  }

  @Test
  void staleOrNotYetValidCrls_failClosed() throws Exception {
    Instant now = Instant.now();
    Path past = write("past.crl", TestPki.crlPem(TestPki.crl(root, root.key(), now.minus(Duration.ofDays(2)), now.minus(Duration.ofDays(1)))));
    refused(verifier(Clock.systemUTC(), past), ClientCertificateException.Reason.CRL_STALE, "is not current", leaf.certificate());
    Path future = write("future.crl", TestPki.crlPem(TestPki.crl(root, root.key(), now.plus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)))));
    refused(verifier(Clock.systemUTC(), future), ClientCertificateException.Reason.CRL_STALE, "is not current", leaf.certificate());
    Path noNext = write("nonext.crl", TestPki.crlPem(TestPki.crl(root, root.key(), now.minus(Duration.ofHours(1)), null)));
    refused(verifier(Clock.systemUTC(), noNext), ClientCertificateException.Reason.CRL_STALE, "nextUpdate none", leaf.certificate());
  }

  @Test
  void aCrlInTheIssuersNameButNotSignedByIt_isInvalid() throws Exception {
    TestPki.Issued impostor = TestPki.rootCa("client root"); // same name, other key
    Path forged = write("forged.crl", TestPki.crlPem(TestPki.crl(root, impostor.key(), Instant.now().minus(Duration.ofHours(1)),
        Instant.now().plus(Duration.ofDays(1)))));
    refused(verifier(Clock.systemUTC(), forged), ClientCertificateException.Reason.CRL_INVALID, "is not signed by the certificate that issued it",
        leaf.certificate());
  }

  @Test
  void anIssuerThatMayNotSignCrls_cannotRevokeOrVouch() throws Exception {
    Path crl = write("nocrlsign.crl", TestPki.crlPem(TestPki.crl(noCrlSign)));
    refused(verifier(Clock.systemUTC(), crl), ClientCertificateException.Reason.CRL_INVALID, "does not allow cRLSign",
        leafUnderNoCrlSign.certificate(), noCrlSign.certificate());
  }

  @Test
  void theNewestCrlOfAnIssuer_counts() throws Exception {
    Instant now = Instant.now();
    byte[] older = TestPki.crl(root, root.key(), now.minus(Duration.ofHours(3)), now.plus(Duration.ofDays(1)), leaf.certificate());
    byte[] newer = TestPki.crl(root, root.key(), now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)));
    // the newer CRL no longer lists the leaf (e.g. a certificateHold released), in either file order
    verifier(Clock.systemUTC(), write("both.crl", TestPki.crlPem(older, newer))).verify(new X509Certificate[] {leaf.certificate()});
    verifier(Clock.systemUTC(), write("both2.crl", TestPki.crlPem(newer, older))).verify(new X509Certificate[] {leaf.certificate()});
  }

  @Test
  void aChangedFile_isReadAgain_withoutARestart_andABrokenOneKeepsThePreviousCrls() throws Exception {
    MovingClock clock = new MovingClock();
    Path f = write("live.crl", TestPki.crlPem(TestPki.crl(root)));
    ClientCertificateVerifier v = verifier(clock, f);
    v.verify(new X509Certificate[] {leaf.certificate()});
    // a new CRL with the old file's modification time, as a rewrite within one timestamp tick can give: seen by its content
    FileTime loadedAt = Files.getLastModifiedTime(f);
    Files.writeString(f, TestPki.crlPem(TestPki.crl(root, leaf.certificate())));
    Files.setLastModifiedTime(f, loadedAt);
    // within RECHECK the files are not looked at
    v.verify(new X509Certificate[] {leaf.certificate()});
    clock.now = clock.now.plus(ClientCrls.RECHECK);
    refused(v, ClientCertificateException.Reason.REVOKED, "revoked on", leaf.certificate());
    // garbage now: the last good CRLs (listing the leaf) stay in force
    Files.writeString(f, "not a CRL");
    clock.now = clock.now.plus(ClientCrls.RECHECK);
    refused(v, ClientCertificateException.Reason.REVOKED, "revoked on", leaf.certificate());
  }

  @Test
  void filesThatAreNotUsableCrls_areRefusedAtStart() throws Exception {
    assertThatThrownBy(() -> ClientCrls.load(List.of(write("junk.crl", "junk")), Clock.systemUTC())).hasMessageContaining("not an X.509 CRL");
    assertThatThrownBy(() -> ClientCrls.load(List.of(write("cert.pem", TestPki.pem(root.certificate()))), Clock.systemUTC()))
        .hasMessageContaining("a PEM CERTIFICATE block where an X509 CRL was expected");
    assertThatThrownBy(() -> ClientCrls.load(List.of(write("empty.pem", "-----BEGIN X509 CRL-----\n-----END X509 CRL-----\n")), Clock.systemUTC()))
        .hasMessageContaining("not an X.509 CRL");
    assertThatThrownBy(() -> ClientCrls.load(List.of(dir.resolve("missing.crl")), Clock.systemUTC())).isInstanceOf(java.io.IOException.class);
    // a delta CRL (critical deltaCRLIndicator) is not supported
    org.bouncycastle.cert.X509v2CRLBuilder b = new org.bouncycastle.cert.X509v2CRLBuilder(
        org.bouncycastle.asn1.x500.X500Name.getInstance(root.certificate().getSubjectX500Principal().getEncoded()), new java.util.Date());
    b.setNextUpdate(java.util.Date.from(Instant.now().plus(Duration.ofDays(1))));
    b.addExtension(org.bouncycastle.asn1.x509.Extension.deltaCRLIndicator, true, new org.bouncycastle.asn1.x509.CRLNumber(java.math.BigInteger.ONE));
    byte[] delta = b.build(new org.bouncycastle.operator.jcajce.JcaContentSignerBuilder("SHA256withECDSA").build(root.key())).getEncoded();
    assertThatThrownBy(() -> ClientCrls.load(List.of(write("delta.crl", TestPki.crlPem(delta))), Clock.systemUTC()))
        .hasMessageContaining("critical extensions").hasMessageContaining("delta, partitioned and indirect CRLs are not supported");
  }
}
