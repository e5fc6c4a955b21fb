package io.guestmem.attestation.pki;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.Appraisal;
import io.guestmem.attestation.Ar4siClaim;
import io.guestmem.attestation.TestVectors;
import io.guestmem.attestation.trust.TestCerts;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509v1CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

class CertificateProfileTest {
  private static final Instant AT = Instant.parse("2024-01-01T00:00:00Z");
  private static final CertificateProfile INTEL_LIKE = CertificateProfile.of("test-intel",
      CertificateProfile.SignatureAlgorithm.ECDSA_SHA256, CertificateProfile.PublicKeyType.EC_P256,
      Set.of("Test Leaf"), Map.of(), Optional.empty());

  private static List<String> run(CertificateProfile p, X509CertificateHolder c) {
    Appraisal a = new Appraisal("test", AT);
    p.check("chain.leaf", c, a, Ar4siClaim.HARDWARE);
    return a.toVerdict("").checks().stream().map(x -> x.id() + ":" + (x.ok() ? "ok" : x.reason())).toList();
  }

  private static KeyPair ec(String curve) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec(curve));
    return g.generateKeyPair();
  }

  private static X509CertificateHolder v3(String subject, KeyPair subjectKey, KeyPair issuerKey, String alg,
      String... cdps) throws Exception {
    JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name("CN=Test CA"), BigInteger.TWO,
        new Date(1_600_000_000_000L), new Date(2_600_000_000_000L), new X500Name(subject), subjectKey.getPublic());
    if (cdps.length > 0) {
      DistributionPoint[] dps = new DistributionPoint[cdps.length];
      for (int i = 0; i < cdps.length; i++) {
        dps[i] = new DistributionPoint(new DistributionPointName(new GeneralNames(
            new GeneralName(GeneralName.uniformResourceIdentifier, cdps[i]))), null, null);
      }
      b.addExtension(Extension.cRLDistributionPoints, false, new CRLDistPoint(dps));
    }
    return b.build(new JcaContentSignerBuilder(alg).build(issuerKey.getPrivate()));
  }

  @Test
  void conformingCertificate_givesOnePassingProfileCheck() throws Exception {
    KeyPair ca = TestCerts.p256();
    assertThat(run(INTEL_LIKE, v3("CN=Test Leaf, O=Anyone", TestCerts.p256(), ca, "SHA256withECDSA")))
        .containsExactly("chain.leaf.profile:ok");
  }

  @Test
  void version1Certificate_failsVersion() throws Exception {
    KeyPair k = TestCerts.p256();
    X509CertificateHolder v1 = new JcaX509v1CertificateBuilder(new X500Name("CN=Test CA"), BigInteger.ONE,
        new Date(1_600_000_000_000L), new Date(2_600_000_000_000L), new X500Name("CN=Test Leaf"), k.getPublic())
        .build(new JcaContentSignerBuilder("SHA256withECDSA").build(k.getPrivate()));
    assertThat(run(INTEL_LIKE, v1)).containsExactly("chain.leaf.version:cert_profile_invalid");
  }

  @Test
  void otherSignatureAlgorithm_isUnsupported() throws Exception {
    assertThat(run(INTEL_LIKE, v3("CN=Test Leaf", TestCerts.p256(), TestCerts.p256(), "SHA384withECDSA")))
        .containsExactly("chain.leaf.signature_algorithm:unsupported_algorithm");
  }

  @Test
  void keyOnAnotherCurve_isUnsupported() throws Exception {
    assertThat(run(INTEL_LIKE, v3("CN=Test Leaf", ec("secp384r1"), TestCerts.p256(), "SHA256withECDSA")))
        .containsExactly("chain.leaf.public_key:unsupported_algorithm");
  }

  @Test
  void wrongCommonName_failsSubject() throws Exception {
    assertThat(run(INTEL_LIKE, v3("CN=Test Leaf 2", TestCerts.p256(), TestCerts.p256(), "SHA256withECDSA")))
        .containsExactly("chain.leaf.subject:cert_profile_invalid");
  }

  @Test
  void fixedAttributesAndDistributionPoints_areExact() throws Exception {
    CertificateProfile amdLike = CertificateProfile.of("test-amd-like", CertificateProfile.SignatureAlgorithm.ECDSA_SHA256,
        CertificateProfile.PublicKeyType.EC_P256, Set.of("ARK-Test"), CertificateProfile.AMD_NAME,
        Optional.of(List.of("https://kds.example/crl")));
    String good = "OU=Engineering, C=US, L=Santa Clara, ST=CA, O=Advanced Micro Devices, CN=ARK-Test";
    KeyPair ca = TestCerts.p256();
    assertThat(run(amdLike, v3(good, TestCerts.p256(), ca, "SHA256withECDSA", "https://kds.example/crl")))
        .containsExactly("chain.leaf.profile:ok");
    assertThat(run(amdLike, v3(good.replace("ST=CA", "ST=TX"), TestCerts.p256(), ca, "SHA256withECDSA",
        "https://kds.example/crl"))).containsExactly("chain.leaf.subject:cert_profile_invalid");
    assertThat(run(amdLike, v3(good, TestCerts.p256(), ca, "SHA256withECDSA", "https://kds.example/crl",
        "https://kds.example/crl"))).containsExactly("chain.leaf.crl_distribution_points:cert_profile_invalid");
    assertThat(run(amdLike, v3(good, TestCerts.p256(), ca, "SHA256withECDSA", "https://elsewhere.example/crl")))
        .containsExactly("chain.leaf.crl_distribution_points:cert_profile_invalid");
  }

  @Test
  void realAmdMilanChain_meetsTheAmdProfile() throws Exception {
    List<X509CertificateHolder> chain = Certificates.parseAll(TestVectors.read("go-sev-guest/ask_ark_milan.pem"), "chain");
    CertificateProfile ask = CertificateProfile.of("test-amd-ask", CertificateProfile.SignatureAlgorithm.RSASSA_PSS_SHA384,
        CertificateProfile.PublicKeyType.RSA_4096, Set.of("SEV-Milan"), CertificateProfile.AMD_NAME,
        Optional.of(List.of("https://kdsintf.amd.com/vcek/v1/Milan/crl")));
    assertThat(run(ask, chain.get(0))).containsExactly("chain.leaf.profile:ok");
    CertificateProfile wrongKey = CertificateProfile.of("test-amd-ask-p384", CertificateProfile.SignatureAlgorithm.RSASSA_PSS_SHA384,
        CertificateProfile.PublicKeyType.EC_P384, Set.of("SEV-Milan"), CertificateProfile.AMD_NAME, Optional.empty());
    assertThat(run(wrongKey, chain.get(0))).containsExactly("chain.leaf.public_key:unsupported_algorithm");
  }
}
