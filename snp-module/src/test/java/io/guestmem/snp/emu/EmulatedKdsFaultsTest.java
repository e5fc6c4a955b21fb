package io.guestmem.snp.emu;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.snp.abi.Bytes;
import io.guestmem.snp.abi.SnpProduct;
import io.guestmem.snp.abi.TcbVersion;
import io.guestmem.snp.abi.VekExtensions;
import java.security.cert.X509Certificate;
import java.util.List;
import org.bouncycastle.asn1.pkcs.RSASSAPSSparams;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.cert.X509CertificateHolder;
import org.junit.jupiter.api.Test;

/** Each {@link EmulatedKds.Faults} knob changes exactly the certificate property it names, and nothing when unset. */
class EmulatedKdsFaultsTest {
  private static final long SEED = 1;
  private static final SnpProduct P = SnpProduct.MILAN;
  private static final TcbVersion TCB = TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 4, 0, 24, 219);
  private static final Bytes HW_ID = Bytes.copyOf(new byte[64]);

  private static EmulatedKds kds(EmulatedKds.Faults f) {
    return EmulatedKds.create(EmulatedKds.Config.defaults(SEED, P).withFaults(f));
  }

  private static X509CertificateHolder holder(Bytes der) throws Exception {
    return new X509CertificateHolder(der.toByteArray());
  }

  private static Bytes vcek(EmulatedKds kds) {
    return kds.issue(EmulatedKds.VekRequest.vcek(P, HW_ID, TCB)).certificate();
  }

  @Test
  void noFaults_isByteIdenticalToTheDefaultConfig() {
    EmulatedKds plain = EmulatedKds.create(EmulatedKds.Config.defaults(SEED, P));
    EmulatedKds none = kds(EmulatedKds.Faults.NONE);
    assertThat(none.ark()).isEqualTo(plain.ark());
    assertThat(none.ask()).isEqualTo(plain.ask());
    assertThat(vcek(none)).isEqualTo(vcek(plain));
  }

  @Test
  void nameFaults_changeOnlyTheNamedAttribute() throws Exception {
    X509Certificate ask = EmulatedKdsTest.x509(kds(EmulatedKds.Faults.NONE.withAskSubjectState("TX")).ask());
    assertThat(ask.getSubjectX500Principal().getName()).contains("ST=TX").contains("CN=SEV-Milan");
    X509CertificateHolder ark = holder(kds(EmulatedKds.Faults.NONE.withArkIssuerCountry("DE")).ark());
    assertThat(ark.getIssuer().toString()).contains("C=DE");
    assertThat(ark.getSubject().toString()).contains("C=US");
    X509CertificateHolder arkDe = holder(kds(EmulatedKds.Faults.NONE.withArkCountry("DE")).ark());
    assertThat(arkDe.getIssuer()).isEqualTo(arkDe.getSubject());
    assertThat(arkDe.getSubject().toString()).contains("C=DE");
  }

  @Test
  void distributionPointFaults_setExactlyTheGivenUris() throws Exception {
    X509CertificateHolder ask = holder(kds(EmulatedKds.Faults.NONE.withAskCrlDistributionPoints(
        List.of("https://a.example.invalid/crl", "https://b.example.invalid/crl"))).ask());
    assertThat(CRLDistPoint.fromExtensions(ask.getExtensions()).getDistributionPoints()).hasSize(2);
  }

  @Test
  void vekFaults_saltHwIdBlSplAndSignature() throws Exception {
    X509CertificateHolder salt = holder(vcek(kds(EmulatedKds.Faults.NONE.withVekPssSaltLength(32))));
    assertThat(RSASSAPSSparams.getInstance(salt.getSignatureAlgorithm().getParameters()).getSaltLength().intValue())
        .isEqualTo(32);
    X509CertificateHolder noHwId = holder(vcek(kds(EmulatedKds.Faults.NONE.withVekWithoutHwId(true))));
    assertThat(noHwId.getExtension(VekExtensions.HW_ID)).isNull();
    X509CertificateHolder octets = holder(vcek(kds(EmulatedKds.Faults.NONE.withVekBlSplOctetString(true))));
    assertThat(octets.getExtension(VekExtensions.BL_SPL).getExtnValue().getOctets()[0]).as("OCTET STRING tag").isEqualTo((byte) 0x04);
    byte[] good = vcek(kds(EmulatedKds.Faults.NONE)).toByteArray();
    byte[] bad = vcek(kds(EmulatedKds.Faults.NONE.withVekSignatureCorrupted(true))).toByteArray();
    assertThat(bad).hasSameSizeAs(good);
    assertThat(bad[bad.length - 1]).isEqualTo((byte) (good[good.length - 1] ^ 1));
  }
}
