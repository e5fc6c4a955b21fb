package io.guestmem.attestation.pki;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.Appraisal;
import io.guestmem.attestation.Ar4siClaim;
import io.guestmem.attestation.Check;
import io.guestmem.attestation.Reason;
import io.guestmem.attestation.TestVectors;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.trust.TestCerts;
import io.guestmem.attestation.trust.TrustAnchors;
import java.math.BigInteger;
import java.security.KeyPair;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.cert.X509CertificateHolder;
import org.junit.jupiter.api.Test;

class CertPathValidatorTest {
  private static final Instant AT_2023 = Instant.parse("2023-07-01T01:00:00Z");
  private static final List<String> LEVELS = List.of("vcek", "ask", "ark");

  private static List<X509CertificateHolder> milanPath(byte[] vcekDer) throws Exception {
    List<X509CertificateHolder> path = new ArrayList<>(Certificates.parseAll(vcekDer, "vcek"));
    path.addAll(Certificates.parseAll(TestVectors.read("go-sev-guest/ask_ark_milan.pem"), "chain"));
    return path;
  }

  private static Appraisal run(List<X509CertificateHolder> path, Instant at) {
    Appraisal a = new Appraisal("test", at);
    CertPathValidator.validate("chain", LEVELS, path, TrustAnchors.pinned(), at, VerifiedCache.disabled(), a,
        Ar4siClaim.HARDWARE);
    return a;
  }

  private static List<String> failures(Appraisal a) {
    return a.toVerdict("").failures().stream().map(c -> c.id() + ":" + c.reason()).toList();
  }

  @Test
  void realMilanPath_validates_atAFixedTime() throws Exception {
    Appraisal a = run(milanPath(TestVectors.read("go-sev-guest/vcek.testcer")), AT_2023);
    assertThat(failures(a)).isEmpty();
    assertThat(a.toVerdict("").checks()).extracting(Check::id).contains("chain.root_pinned", "chain.vcek.signature",
        "chain.ask.ca", "chain.ark.validity");
  }

  @Test
  void farFuture_reportsEveryExpiredLevel() throws Exception {
    Appraisal a = run(milanPath(TestVectors.read("go-sev-guest/vcek.testcer")), Instant.parse("2053-07-01T01:00:00Z"));
    assertThat(failures(a)).containsExactly("chain.vcek.validity:cert_expired", "chain.ask.validity:cert_expired",
        "chain.ark.validity:cert_expired");
  }

  @Test
  void beforeIssue_isNotYetValid() throws Exception {
    Appraisal a = run(milanPath(TestVectors.read("go-sev-guest/vcek.testcer")), Instant.parse("2021-01-01T00:00:00Z"));
    assertThat(failures(a)).containsExactly("chain.vcek.validity:cert_not_yet_valid");
  }

  @Test
  void flippedByteInVcek_failsTheSignatureAtThatLevel() throws Exception {
    byte[] vcek = TestVectors.read("go-sev-guest/vcek.testcer");
    vcek[40] ^= (byte) 0xFF; // virtee milan_chain_invalid
    Appraisal a = run(milanPath(vcek), AT_2023);
    assertThat(failures(a)).containsExactly("chain.vcek.signature:cert_signature_invalid");
  }

  @Test
  void vcekAgainstTheAsvk_isIssuerMismatchAndBadSignature() throws Exception {
    List<X509CertificateHolder> path = new ArrayList<>(Certificates.parseAll(TestVectors.read("go-sev-guest/vcek.testcer"), "v"));
    path.addAll(Certificates.parseAll(TestVectors.read("go-sev-guest/ask_ark_milan_vlek.pem"), "vlek chain"));
    assertThat(failures(run(path, AT_2023))).containsExactly("chain.vcek.issuer:issuer_mismatch",
        "chain.vcek.signature:cert_signature_invalid");
  }

  @Test
  void chainToAnUnpinnedRoot_isUntrustedRoot() throws Exception {
    KeyPair rootKey = TestCerts.p256();
    KeyPair midKey = TestCerts.p256();
    KeyPair leafKey = TestCerts.p256();
    X509CertificateHolder root = TestCerts.issue("CN=Root", rootKey, "CN=Root", rootKey, BigInteger.ONE, true);
    X509CertificateHolder mid = TestCerts.issue("CN=Mid", midKey, "CN=Root", rootKey, BigInteger.TWO, true);
    X509CertificateHolder leaf = TestCerts.issue("CN=Leaf", leafKey, "CN=Mid", midKey, BigInteger.TEN, false);
    assertThat(failures(run(List.of(leaf, mid, root), AT_2023))).containsExactly("chain.root_pinned:untrusted_root");
    X509CertificateHolder notCa = TestCerts.issue("CN=Mid", midKey, "CN=Root", rootKey, BigInteger.TWO, false);
    assertThat(failures(run(List.of(leaf, notCa, root), AT_2023))).contains("chain.ask.ca:not_a_ca");
  }

  @Test
  void signatureResults_areCached_butValidityIsRecheckedEveryTime() throws Exception {
    VerifiedCache cache = VerifiedCache.defaultCache();
    List<X509CertificateHolder> path = milanPath(TestVectors.read("go-sev-guest/vcek.testcer"));
    Appraisal first = new Appraisal("t", AT_2023);
    CertPathValidator.validate("chain", LEVELS, path, TrustAnchors.pinned(), AT_2023, cache, first, Ar4siClaim.HARDWARE);
    assertThat(cache.size()).isEqualTo(3);
    Instant later = AT_2023.plusSeconds(3600);
    Appraisal second = new Appraisal("t", later);
    CertPathValidator.validate("chain", LEVELS, path, TrustAnchors.pinned(), later, cache, second, Ar4siClaim.HARDWARE);
    assertThat(failures(second)).isEmpty();
    Instant expired = Instant.parse("2030-01-01T00:00:00Z");
    Appraisal third = new Appraisal("t", expired);
    CertPathValidator.validate("chain", LEVELS, path, TrustAnchors.pinned(), expired, cache, third, Ar4siClaim.HARDWARE);
    assertThat(failures(third)).containsExactly("chain.vcek.validity:cert_expired");
  }
}
