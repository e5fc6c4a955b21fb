package io.guestmem.tdx.emu;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.tdx.abi.Bytes;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.junit.jupiter.api.Test;

/** The PKI and QE knobs added for the certificate-profile negatives each change exactly what they name. */
class PkiProfileKnobsTest {
  static final Instant ISSUED = Instant.parse("2026-03-01T00:00:00Z");

  private static EmulatedEvidence generate(EmulationKnobs.Builder knobs) throws Exception {
    TdxEmulation.Options o = TdxEmulation.Options.defaults(Path.of("unused")).withSeed(5).withIssueTime(ISSUED)
        .withKnobs(knobs.build());
    return TdxEmulation.generate(new RecordingMemory(1L << 20), o, new ArrayList<>());
  }

  private static List<X509CertificateHolder> pckChain(EmulatedEvidence e) throws Exception {
    List<X509CertificateHolder> out = new ArrayList<>();
    for (X509Certificate c : e.quote().pckCertChain().orElseThrow().certificates()) {
      out.add(new X509CertificateHolder(c.getEncoded()));
    }
    return out;
  }

  @Test
  void defaults_areV3EcdsaSha256P256WithIntelNames() throws Exception {
    List<X509CertificateHolder> chain = pckChain(generate(EmulationKnobs.builder()));
    assertThat(chain).hasSize(3);
    for (X509CertificateHolder c : chain) {
      assertThat(c.getVersionNumber()).isEqualTo(3);
      assertThat(c.getSignatureAlgorithm().getAlgorithm()).isEqualTo(X9ObjectIdentifiers.ecdsa_with_SHA256);
    }
    assertThat(chain.get(0).getSubject().toString()).contains("CN=Intel SGX PCK Certificate");
  }

  @Test
  void certificateKnobs_changeOneCertificate() throws Exception {
    List<X509CertificateHolder> sha384 = pckChain(generate(EmulationKnobs.builder().sha384Certificate(EmulationKnobs.CertRole.PCK)));
    assertThat(sha384.get(0).getSignatureAlgorithm().getAlgorithm()).isEqualTo(X9ObjectIdentifiers.ecdsa_with_SHA384);
    assertThat(sha384.get(1).getSignatureAlgorithm().getAlgorithm()).isEqualTo(X9ObjectIdentifiers.ecdsa_with_SHA256);
    List<X509CertificateHolder> p384 = pckChain(generate(EmulationKnobs.builder().platformCaP384(true)));
    assertThat(p384.get(1).getSubjectPublicKeyInfo().getAlgorithm().getParameters())
        .isEqualTo(org.bouncycastle.asn1.sec.SECObjectIdentifiers.secp384r1);
    assertThat(p384.get(0).getSignatureAlgorithm().getAlgorithm()).isEqualTo(X9ObjectIdentifiers.ecdsa_with_SHA256);
    EmulatedEvidence v1 = generate(EmulationKnobs.builder().version1Certificate(EmulationKnobs.CertRole.TCB_SIGNING));
    assertThat(new X509CertificateHolder(v1.tcbInfoIssuerChain().get(0).getEncoded()).getVersionNumber()).isEqualTo(1);
    assertThat(pckChain(generate(EmulationKnobs.builder().pckChainWithoutRoot(true)))).hasSize(2);
    List<X509CertificateHolder> names = pckChain(generate(EmulationKnobs.builder().pckSubjectCn("X").pckIssuerCn("Y")));
    assertThat(names.get(0).getSubject().toString()).contains("CN=X");
    assertThat(names.get(0).getIssuer().toString()).contains("CN=Y");
  }

  @Test
  void crlKnobs_issuerNameAndSigningKey() throws Exception {
    EmulatedEvidence plain = generate(EmulationKnobs.builder());
    EmulatedEvidence other = generate(EmulationKnobs.builder().pckCrlIssuerCn("Intel SGX PCK Processor CA"));
    assertThat(new X509CRLHolder(other.pckCrl().toByteArray()).getIssuer().toString()).contains("Processor CA");
    EmulatedEvidence stranger = generate(EmulationKnobs.builder().crlsSignedWithWrongKey(true));
    assertThat(stranger.pckCrl()).isNotEqualTo(plain.pckCrl());
    assertThat(stranger.rootCrl()).isNotEqualTo(plain.rootCrl());
    assertThat(new X509CRLHolder(stranger.pckCrl().toByteArray()).getIssuer())
        .isEqualTo(new X509CRLHolder(plain.pckCrl().toByteArray()).getIssuer());
  }

  @Test
  void qeKnobs_changeTheQeReportOrTheQeIdentity() throws Exception {
    EmulatedEvidence e = generate(EmulationKnobs.builder().qeIsvProdId(1).qeMiscSelect(1)
        .qeAttributes(Bytes.fromHex("13000000000000000000000000000000")).qeIdentityId("QE"));
    var qe = e.quote().qeReportCertificationData().orElseThrow().qeReport();
    assertThat(qe.isvProdId()).isEqualTo(1);
    assertThat(qe.miscSelect()).isEqualTo(1);
    assertThat(qe.attributes().hex()).startsWith("13");
    assertThat(new String(e.qeIdentityResponse().toByteArray(), java.nio.charset.StandardCharsets.UTF_8)).contains("\"id\":\"QE\"");
  }
}
