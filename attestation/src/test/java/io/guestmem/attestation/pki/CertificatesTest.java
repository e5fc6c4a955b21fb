package io.guestmem.attestation.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guestmem.attestation.TestVectors;
import java.math.BigInteger;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CertificatesTest {

  @Test
  void pemChain_parsesInOrder() throws Exception {
    var chain = Certificates.parseAll(TestVectors.read("go-sev-guest/ask_ark_milan.pem"), "milan");
    assertThat(chain).hasSize(2);
    assertThat(Certificates.commonName(chain.get(0).getSubject())).isEqualTo("SEV-Milan");
    assertThat(Certificates.commonName(chain.get(1).getSubject())).isEqualTo("ARK-Milan");
  }

  @Test
  void urlEncodedPem_asPcsSendsItInHeaders_parses() throws Exception {
    byte[] pem = TestVectors.read("go-tdx-guest/tcbinfo_issuer_chain.pem");
    byte[] encoded = URLEncoder.encode(new String(pem, StandardCharsets.US_ASCII), StandardCharsets.US_ASCII)
        .replace("+", "%20").getBytes(StandardCharsets.US_ASCII);
    assertThat(Certificates.parseAll(encoded, "header")).hasSize(2);
  }

  @Test
  void derCertificateWithSerialZero_parses() throws Exception {
    var vcek = Certificates.parseAll(TestVectors.read("go-sev-guest/vcek.testcer"), "vcek");
    assertThat(vcek.get(0).getSerialNumber()).isEqualTo(BigInteger.ZERO);
  }

  @Test
  void trailingNul_isTolerated_butOtherTrailingText_isNot() throws Exception {
    byte[] pem = TestVectors.read("go-sev-guest/ask_ark_milan.pem");
    byte[] nul = Arrays.copyOf(pem, pem.length + 1);
    assertThat(Certificates.parseAll(nul, "nul")).hasSize(2);
    byte[] junk = Arrays.copyOf(pem, pem.length + 1);
    junk[pem.length] = 0x01;
    assertThatThrownBy(() -> Certificates.parseAll(junk, "junk")).isInstanceOf(CertificateParseException.class)
        .hasMessageContaining("after last PEM block");
  }

  @Test
  void derCrl_parses_andGarbage_isACheckedException() throws Exception {
    var crl = Certificates.parseCrls(TestVectors.read("cyntrisec-kds/Genoa/crl.der"), "genoa crl");
    assertThat(crl).hasSize(1);
    assertThatThrownBy(() -> Certificates.parseCrls(new byte[] {0x30, 0x05, 1, 2}, "bad"))
        .isInstanceOf(CertificateParseException.class);
    assertThatThrownBy(() -> Certificates.parseAll("hello".getBytes(StandardCharsets.US_ASCII), "text"))
        .isInstanceOf(CertificateParseException.class);
  }

  @Test
  void berBooleanInACertificate_isRejected_soSignaturesAreNeverCheckedOverARencoding() throws Exception {
    byte[] der = TestVectors.read("dcap-qvl/TrustedRootCA.der");
    int at = -1;
    for (int i = 0; i + 2 < der.length; i++) {
      if (der[i] == 0x01 && der[i + 1] == 0x01 && der[i + 2] == (byte) 0xFF) {
        at = i + 2;
        break;
      }
    }
    assertThat(at).as("a DER BOOLEAN TRUE (critical flag) in the root").isPositive();
    byte[] ber = der.clone();
    ber[at] = 0x01; // BER allows any non-zero TRUE; DER requires 0xFF
    assertThatThrownBy(() -> Certificates.certificate(ber, "ber root")).isInstanceOf(CertificateParseException.class)
        .hasMessageContaining("not canonical DER");
    assertThat(Certificates.certificate(der, "der root")).isNotNull();
  }
}
