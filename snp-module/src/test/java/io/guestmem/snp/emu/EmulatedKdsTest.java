package io.guestmem.snp.emu;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.snp.abi.Bytes;
import io.guestmem.snp.abi.KdsUrl;
import io.guestmem.snp.abi.SnpProduct;
import io.guestmem.snp.abi.TcbVersion;
import io.guestmem.snp.abi.VekExtensions;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509CertificateHolder;
import org.junit.jupiter.api.Test;

/** Certificate profile of the emulated AMD hierarchy, and its negative-test knobs. */
class EmulatedKdsTest {
  static X509Certificate x509(Bytes der) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(der.toByteArray()));
  }

  @Test
  void hierarchy_namesSerialsKeyUsageAndOneCrlDistributionPoint_perProduct() throws Exception {
    EmulatedKds kds = TestKds.of(SnpProduct.TURIN);
    X509Certificate ark = x509(kds.ark());
    X509Certificate ask = x509(kds.ask());
    X509Certificate asvk = x509(kds.asvk());
    assertThat(ark.getSubjectX500Principal().getName())
        .isEqualTo("CN=ARK-Turin,O=Advanced Micro Devices,ST=CA,L=Santa Clara,C=US,OU=Engineering");
    assertThat(ask.getSubjectX500Principal().getName()).startsWith("CN=SEV-Turin,");
    assertThat(asvk.getSubjectX500Principal().getName()).startsWith("CN=SEV-VLEK-Turin,");
    assertThat(ark.getSerialNumber()).isEqualTo(BigInteger.valueOf(0x30000));
    assertThat(ask.getSerialNumber()).isEqualTo(BigInteger.valueOf(0x30001));
    assertThat(asvk.getSerialNumber()).isEqualTo(BigInteger.valueOf(0x30101));
    assertThat(ark.getBasicConstraints()).isEqualTo(Integer.MAX_VALUE);
    assertThat(ask.getBasicConstraints()).isZero();
    assertThat(ask.getKeyUsage()[5]).as("keyCertSign").isTrue();
    String[] urls = {"https://kdsintf.amd.com/vcek/v1/Turin/crl", "https://kdsintf.amd.com/vcek/v1/Turin/crl",
        "https://kdsintf.amd.com/vlek/v1/Turin/crl"};
    List<X509Certificate> cas = List.of(ark, ask, asvk);
    for (int i = 0; i < cas.size(); i++) {
      CRLDistPoint cdp = CRLDistPoint.fromExtensions(new X509CertificateHolder(cas.get(i).getEncoded()).getExtensions());
      assertThat(cdp.getDistributionPoints()).hasSize(1);
      GeneralName uri = GeneralNames.getInstance(cdp.getDistributionPoints()[0].getDistributionPoint().getName())
          .getNames()[0];
      assertThat(uri.getTagNo()).isEqualTo(GeneralName.uniformResourceIdentifier);
      assertThat(uri.getName().toString()).isEqualTo(urls[i]);
    }
    assertThat(kds.certChainPem(KdsUrl.Family.VLEK)).startsWith("-----BEGIN CERTIFICATE-----\n");
  }

  @Test
  void vcek_profile_and_determinism() throws Exception {
    EmulatedKds kds = TestKds.of(SnpProduct.MILAN);
    Bytes hw = Bytes.fromHex("42".repeat(64));
    TcbVersion tcb = TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 3, 0, 8, 115);
    EmulatedKds.IssuedVek a = kds.issue(EmulatedKds.VekRequest.vcek(SnpProduct.MILAN, hw, tcb));
    EmulatedKds.IssuedVek b = kds.issue(EmulatedKds.VekRequest.vcek(SnpProduct.MILAN, hw, tcb));
    assertThat(a.certificate()).isEqualTo(b.certificate());
    X509Certificate c = x509(a.certificate());
    assertThat(c.getSerialNumber()).isZero();
    assertThat(c.getIssuerX500Principal().getName()).startsWith("CN=SEV-Milan,");
    assertThat(Duration.between(c.getNotBefore().toInstant(), c.getNotAfter().toInstant()).toDays()).isEqualTo(7 * 365);
    assertThat(a.kdsPath()).isEqualTo("/vcek/v1/Milan/" + hw.hex() + "?blSPL=3&teeSPL=0&snpSPL=8&ucodeSPL=115");
    VekExtensions e = VekExtensions.fromCertificate(a.certificate().toByteArray());
    assertThat(e.productName()).isEqualTo("Milan-B0");
    assertThat(e.hwIdEncoding()).contains(VekExtensions.HwIdEncoding.OCTET_STRING);
    assertThat(e.tcbVersion()).isEqualTo(tcb);
  }

  @Test
  void knobs_validitySerialProductNameEncodingAndCertifiedTcb() throws Exception {
    EmulatedKds kds = TestKds.of(SnpProduct.GENOA);
    Bytes hw = Bytes.fromHex("43".repeat(64));
    TcbVersion tcb = TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 9, 0, 27, 84);
    Instant future = Instant.parse("2040-01-01T00:00:00Z");
    EmulatedKds.VekRequest req = EmulatedKds.VekRequest.vcek(SnpProduct.GENOA, hw, tcb)
        .withValidity(EmulatedKds.Validity.of(future, Duration.ofDays(1)))
        .withSerial(BigInteger.valueOf(77))
        .withProductName("Genoa-XX")
        .withHwIdEncoding(VekExtensions.HwIdEncoding.RAW)
        .withCertifiedTcb(TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 9, 0, 28, 84));
    EmulatedKds.IssuedVek v = kds.issue(req, hw, tcb);
    X509Certificate c = x509(v.certificate());
    assertThat(c.getNotBefore().toInstant()).as("not yet valid").isEqualTo(future);
    assertThat(c.getSerialNumber()).isEqualTo(77);
    VekExtensions e = VekExtensions.fromCertificate(v.certificate().toByteArray());
    assertThat(e.productName()).isEqualTo("Genoa-XX");
    assertThat(e.hwIdEncoding()).contains(VekExtensions.HwIdEncoding.RAW);
    assertThat(e.tcbVersion().snp()).as("certificate states another TCB than the key's").isEqualTo(28);
    // The key is still the one the firmware signs with at the real TCB.
    EmulatedKds.IssuedVek matching = kds.issue(EmulatedKds.VekRequest.vcek(SnpProduct.GENOA, hw, tcb));
    assertThat(c.getPublicKey()).isEqualTo(x509(matching.certificate()).getPublicKey());
  }

  @Test
  void caValidityAndCrlWindowAndRevokedSerials_areConfigurable() throws Exception {
    Instant past = Instant.parse("2000-01-01T00:00:00Z");
    EmulatedKds.Config cfg = EmulatedKds.Config.defaults(TestKds.SEED, SnpProduct.MILAN)
        .withAskValidity(EmulatedKds.Validity.of(past, Duration.ofDays(10)))
        .withCrlWindow(past, past.plus(Duration.ofDays(30)))
        .withRevokedSerials(List.of(BigInteger.valueOf(0x10001)));
    EmulatedKds kds = EmulatedKds.create(cfg);
    assertThat(x509(kds.ask()).getNotAfter().toInstant()).isEqualTo(past.plus(Duration.ofDays(10)));
    X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509")
        .generateCRL(new ByteArrayInputStream(kds.crl().toByteArray()));
    assertThat(crl.getNextUpdate().toInstant()).isEqualTo(past.plus(Duration.ofDays(30)));
    assertThat(crl.isRevoked(x509(kds.ask()))).isTrue();
    assertThat(crl.isRevoked(x509(kds.ark()))).isFalse();
    assertThat(x509(kds.ark()).getPublicKey()).as("same seed, same ARK key").isEqualTo(x509(TestKds.of(SnpProduct.MILAN).ark()).getPublicKey());
  }
}
