package io.guestmem.attestation.pki;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.Appraisal;
import io.guestmem.attestation.Ar4siClaim;
import io.guestmem.attestation.TestVectors;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.trust.TestCerts;
import java.math.BigInteger;
import java.security.KeyPair;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.junit.jupiter.api.Test;

class CrlValidatorTest {
  private static final Instant IN_WINDOW = Instant.parse("2026-04-12T00:00:00Z");

  private static X509CRLHolder crl(String product) throws Exception {
    return Certificates.parseCrls(TestVectors.read("cyntrisec-kds/" + product + "/crl.der"), product).get(0);
  }

  private static List<X509CertificateHolder> chain(String file) throws Exception {
    return Certificates.parseAll(TestVectors.read("go-sev-guest/" + file), file);
  }

  private static List<String> run(X509CRLHolder crl, X509CertificateHolder issuer,
      Map<String, X509CertificateHolder> subjects, Instant at) {
    Appraisal a = new Appraisal("t", at);
    CrlValidator.check("crl", crl, issuer, subjects, at, VerifiedCache.disabled(), a, Ar4siClaim.HARDWARE);
    return a.toVerdict("").failures().stream().map(c -> c.id() + ":" + c.reason()).toList();
  }

  @Test
  void realGenoaCrl_signedByArkGenoa_doesNotListTheCurrentAsk() throws Exception {
    List<X509CertificateHolder> genoa = chain("ask_ark_genoa.pem");
    assertThat(run(crl("Genoa"), genoa.get(1), Map.of("ask", genoa.get(0)), IN_WINDOW)).isEmpty();
  }

  @Test
  void previousGenoaAskSerial_isRevoked() throws Exception {
    List<X509CertificateHolder> genoa = chain("ask_ark_genoa.pem");
    KeyPair k = TestCerts.p256();
    X509CertificateHolder oldAsk = TestCerts.issue("CN=SEV-Genoa", k, "CN=ARK-Genoa", k, BigInteger.valueOf(0x20001), true);
    assertThat(run(crl("Genoa"), genoa.get(1), Map.of("ask", oldAsk), IN_WINDOW))
        .containsExactly("crl.revocation.ask:revoked");
  }

  @Test
  void genoaCrlAgainstTheMilanArk_isIssuerMismatchAndBadSignature() throws Exception {
    List<X509CertificateHolder> milan = chain("ask_ark_milan.pem");
    assertThat(run(crl("Genoa"), milan.get(1), Map.of(), IN_WINDOW))
        .containsExactly("crl.issuer:crl_issuer_mismatch", "crl.signature:crl_signature_invalid");
  }

  @Test
  void milanCrl_afterNextUpdate_isExpired_andBeforeThisUpdate_notYetValid() throws Exception {
    List<X509CertificateHolder> milan = chain("ask_ark_milan.pem");
    assertThat(run(crl("Milan"), milan.get(1), Map.of(), Instant.parse("2026-05-13T00:00:00Z")))
        .containsExactly("crl.validity:crl_expired");
    assertThat(run(crl("Milan"), milan.get(1), Map.of(), Instant.parse("2025-01-01T00:00:00Z")))
        .containsExactly("crl.validity:crl_not_yet_valid");
  }

  @Test
  void choose_prefersTheCrlWhoseWindowContainsTheTime_elseTheNewest() throws Exception {
    List<X509CertificateHolder> milan = chain("ask_ark_milan.pem");
    List<X509CertificateHolder> genoa = chain("ask_ark_genoa.pem");
    X509CRLHolder m = crl("Milan");
    X509CRLHolder g = crl("Genoa");
    assertThat(CrlValidator.choose(List.of(g, m), milan.get(1).getSubject(), IN_WINDOW)).containsSame(m);
    assertThat(CrlValidator.choose(List.of(m), genoa.get(1).getSubject(), IN_WINDOW)).isEmpty();
    assertThat(CrlValidator.choose(List.of(m), milan.get(1).getSubject(), Instant.parse("2030-01-01T00:00:00Z")))
        .as("expired but the only one: still chosen, so the window check reports it").containsSame(m);
  }
}
