package io.guestmem.snp.emu;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.snp.abi.SnpProduct;
import io.guestmem.snp.abi.Vectors;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The emulated AMD hierarchy has the profile of the real one (../shared/vectors, MANIFEST §2):
 * names, serials, algorithms and parameters, key sizes, CA constraints, VCEK extension order.
 */
class EmulatedProfileMatchesRealTest {

  static List<X509Certificate> chain(byte[] pem) throws Exception {
    List<X509Certificate> out = new ArrayList<>();
    for (byte[] der : Vectors.pemCertificates(pem)) {
      out.add(x509(der));
    }
    return out;
  }

  static X509Certificate x509(byte[] der) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
  }

  static List<String> extensionOids(X509Certificate c) throws Exception {
    org.bouncycastle.asn1.x509.Certificate bc = org.bouncycastle.asn1.x509.Certificate.getInstance(c.getEncoded());
    return Arrays.stream(bc.getTBSCertificate().getExtensions().getExtensionOIDs()).map(Object::toString).toList();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
      "MILAN, go-sev-guest/ask_ark_milan.pem, 22e62f8d2c21a156470145fc75f7b5a377cb053ced3e97f0bd3f8d8ca5941ce6, "
          + "go-sev-guest/ask_ark_milan_vlek.pem, 3098f7e90ee7049b8cf116448d1bdf33b08847b4250bd99507cf73b5c49d3467, "
          + "virtee-sev/vcek_milan.der, 3bbfb6ee259f75a95d13168cfdf2e034181bb93c7c016825731cbe8ea16c95e1",
      "GENOA, go-sev-guest/ask_ark_genoa.pem, e6ecc853fa56d3170a624d40851f98a1036f974b50204ea69e6aec91d777aca3, "
          + "go-sev-guest/ask_ark_genoa_vlek.pem, 95f8b0deab936fe5d44a7cd6ed32590ad360581da2858a27dc2e59ac6eacb2e8, , ",
      "TURIN, go-sev-guest/ask_ark_turin_vcek.pem, cc9a52fbed3fbc6e4a0a50149a541a75938f975658909c2a6084767829b36e85, "
          + "go-sev-guest/ask_ark_turin_vlek.pem, 5928f39615a10790e4c3d985fbe5b025524eab50c0801c2b69d2031e476cdfe5, "
          + "virtee-sev/vcek_turin.der, a4a6abff1c435f214cfbc35e4dadae55e467454d53dc417251b3ff1a169fd7fb"})
  void emulatedCertificates_haveTheRealProfile(SnpProduct product, String vcekChain, String vcekChainSha,
      String vlekChain, String vlekChainSha, String vcekFile, String vcekSha) throws Exception {
    List<X509Certificate> real = chain(Vectors.read(vcekChain, vcekChainSha));
    List<X509Certificate> realVlek = chain(Vectors.read(vlekChain, vlekChainSha));
    EmulatedKds kds = TestKds.of(product);
    X509Certificate[] emulated = {x509(kds.ask().toByteArray()), x509(kds.ark().toByteArray())};
    X509Certificate emulatedAsvk = x509(kds.asvk().toByteArray());

    for (int i = 0; i < 2; i++) {
      X509Certificate r = real.get(i);
      X509Certificate e = emulated[i];
      assertThat(e.getSubjectX500Principal()).isEqualTo(r.getSubjectX500Principal());
      assertThat(e.getIssuerX500Principal()).isEqualTo(r.getIssuerX500Principal());
      assertThat(e.getSerialNumber()).isEqualTo(r.getSerialNumber());
      assertThat(e.getSigAlgOID()).isEqualTo(r.getSigAlgOID());
      assertThat(((RSAPublicKey) e.getPublicKey()).getModulus().bitLength())
          .isEqualTo(((RSAPublicKey) r.getPublicKey()).getModulus().bitLength()).isEqualTo(4096);
      assertThat(e.getBasicConstraints()).isEqualTo(r.getBasicConstraints());
      assertThat(e.getKeyUsage()).isEqualTo(r.getKeyUsage());
      assertThat(e.getCriticalExtensionOIDs()).isEqualTo(r.getCriticalExtensionOIDs());
    }
    assertThat(emulatedAsvk.getSubjectX500Principal()).isEqualTo(realVlek.get(0).getSubjectX500Principal());
    assertThat(emulatedAsvk.getSerialNumber()).isEqualTo(realVlek.get(0).getSerialNumber());

    if (vcekFile != null) {
      X509Certificate realVcek = x509(Vectors.read(vcekFile, vcekSha));
      SnpFirmware.Config c = SnpFirmware.Config.defaults(TestKds.SEED, product, kds);
      X509Certificate e = x509(kds.issue(EmulatedKds.VekRequest.vcek(product, c.hwId(), c.reportedTcb()))
          .certificate().toByteArray());
      assertThat(e.getSubjectX500Principal()).isEqualTo(realVcek.getSubjectX500Principal());
      assertThat(e.getIssuerX500Principal()).isEqualTo(realVcek.getIssuerX500Principal());
      assertThat(e.getSigAlgOID()).isEqualTo(realVcek.getSigAlgOID());
      assertThat(e.getPublicKey().getAlgorithm()).isEqualTo(realVcek.getPublicKey().getAlgorithm());
      assertThat(extensionOids(e)).as("same AMD extensions in the same order").isEqualTo(extensionOids(realVcek));
    }
  }
}
