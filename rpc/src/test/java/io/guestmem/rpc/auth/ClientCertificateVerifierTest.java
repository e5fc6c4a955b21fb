package io.guestmem.rpc.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guestmem.rpc.auth.ClientCertificateException.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Client certificates are judged against the configured CA bundle only, at the current time, for clientAuth. */
class ClientCertificateVerifierTest {
  static TestPki.Issued ca;
  static TestPki.Issued otherCa;
  static ClientCertificateVerifier verifier;
  @TempDir static Path dir;

  @BeforeAll
  static void pki() throws Exception {
    ca = TestPki.rootCa("guestmem test client CA");
    otherCa = TestPki.rootCa("somebody else's CA");
    Path bundle = dir.resolve("clients-ca.pem");
    Files.writeString(bundle, TestPki.pem(ca.certificate()));
    verifier = ClientCertificateVerifier.fromPem(bundle, Clock.systemUTC());
  }

  private static Reason refusal(X509Certificate... chain) {
    try {
      verifier.verify(chain);
    } catch (ClientCertificateException e) {
      return e.reason();
    }
    throw new AssertionError("accepted");
  }

  @Test
  void aClientCertificateFromTheBundlesCaIsAccepted() throws Exception {
    TestPki.Issued c = TestPki.client(ca, "ops", TestPki.Profile.client());
    assertThatCode(() -> verifier.verify(new X509Certificate[] {c.certificate()})).doesNotThrowAnyException();
    // with the root included, as some clients send it
    assertThatCode(() -> verifier.verify(new X509Certificate[] {c.certificate(), ca.certificate()})).doesNotThrowAnyException();
    // no extendedKeyUsage at all is no restriction
    TestPki.Issued plain = TestPki.client(ca, "plain", TestPki.Profile.client().noEku());
    assertThatCode(() -> verifier.verify(new X509Certificate[] {plain.certificate()})).doesNotThrowAnyException();
  }

  @Test
  void aChainThroughAnIntermediateIsAcceptedOnlyWhenTheIntermediateIsACa() throws Exception {
    TestPki.Issued inter = TestPki.intermediate(ca, "issuing CA", true);
    TestPki.Issued c = TestPki.client(inter, "ops", TestPki.Profile.client());
    assertThatCode(() -> verifier.verify(new X509Certificate[] {c.certificate(), inter.certificate()})).doesNotThrowAnyException();
    // without the intermediate the chain does not reach the bundle
    assertThat(refusal(c.certificate())).isEqualTo(Reason.UNTRUSTED);

    TestPki.Issued notCa = TestPki.intermediate(ca, "a leaf", false);
    TestPki.Issued under = TestPki.client(notCa, "ops", TestPki.Profile.client());
    assertThat(refusal(under.certificate(), notCa.certificate())).isEqualTo(Reason.INVALID);
  }

  @Test
  void aCertificateFromAnotherCaIsUntrusted() throws Exception {
    TestPki.Issued c = TestPki.client(otherCa, "ops", TestPki.Profile.client());
    assertThat(refusal(c.certificate())).isEqualTo(Reason.UNTRUSTED);
    // sending the other root along does not help: only the bundle is trusted
    assertThat(refusal(c.certificate(), otherCa.certificate())).isEqualTo(Reason.UNTRUSTED);
  }

  @Test
  void validityIsCheckedAtTheCurrentTime() throws Exception {
    Instant now = Instant.now();
    TestPki.Issued expired = TestPki.client(ca, "old", TestPki.Profile.client().validity(now.minus(Duration.ofDays(10)), now.minus(Duration.ofDays(1))));
    TestPki.Issued future = TestPki.client(ca, "new", TestPki.Profile.client().validity(now.plus(Duration.ofDays(1)), now.plus(Duration.ofDays(10))));
    assertThat(refusal(expired.certificate())).isEqualTo(Reason.EXPIRED);
    assertThat(refusal(future.certificate())).isEqualTo(Reason.NOT_YET_VALID);
  }

  @Test
  void theLeafMustBeForClientAuthentication() throws Exception {
    TestPki.Issued server = TestPki.client(ca, "a server", TestPki.Profile.client().serverAuthOnly());
    TestPki.Issued noSig = TestPki.client(ca, "no signing", TestPki.Profile.client().keyAgreementOnly());
    assertThat(refusal(server.certificate())).isEqualTo(Reason.WRONG_USAGE);
    assertThat(refusal(noSig.certificate())).isEqualTo(Reason.WRONG_USAGE);
    // the CA certificate itself is no client identity
    assertThat(refusal(ca.certificate())).isEqualTo(Reason.WRONG_USAGE);
  }

  @Test
  void refusalsCarryAStableCodeAndAnEmptyChainIsRefused() {
    assertThat(refusal()).isEqualTo(Reason.UNTRUSTED);
    assertThat(Reason.EXPIRED.code()).isEqualTo("CLIENT_CERT_EXPIRED");
  }

  @Test
  void theTrustManagerFailsTheHandshakeAndNamesOnlyTheBundleAsIssuers() throws Exception {
    TestPki.Issued c = TestPki.client(otherCa, "ops", TestPki.Profile.client());
    var tm = verifier.trustManager();
    assertThat(tm.getAcceptedIssuers()).containsExactly(ca.certificate());
    assertThatThrownBy(() -> tm.checkClientTrusted(new X509Certificate[] {c.certificate()}, "EC"))
        .isInstanceOf(ClientCertificateException.class).hasMessageStartingWith("CLIENT_CERT_UNTRUSTED");
    TestPki.Issued good = TestPki.client(ca, "ops", TestPki.Profile.client());
    assertThatThrownBy(() -> tm.checkServerTrusted(new X509Certificate[] {good.certificate()}, "EC")).isInstanceOf(CertificateException.class);
  }

  @Test
  void aBundleWithoutCertificatesIsAConfigurationError() throws Exception {
    Path empty = dir.resolve("empty.pem");
    Files.writeString(empty, "");
    assertThatThrownBy(() -> ClientCertificateVerifier.fromPem(empty, Clock.systemUTC())).hasMessageContaining("no certificate");
    Path junk = dir.resolve("junk.pem");
    Files.writeString(junk, "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");
    assertThatThrownBy(() -> ClientCertificateVerifier.fromPem(junk, Clock.systemUTC())).isInstanceOf(CertificateException.class);
  }
}
