package io.guestmem.attestation.trust;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.TestVectors;
import io.guestmem.attestation.pki.Certificates;
import java.util.List;
import org.bouncycastle.cert.X509CertificateHolder;
import org.junit.jupiter.api.Test;

class TrustAnchorsTest {

  @Test
  void pinnedIntelRoot_matchesTheRealRootCertificate() throws Exception {
    X509CertificateHolder root = Certificates.parseAll(TestVectors.read("dcap-qvl/TrustedRootCA.der"), "root").get(0);
    assertThat(TrustAnchors.pinned().match(root)).contains(TrustAnchors.INTEL_SGX_ROOT_CA);
    X509CertificateHolder pem = Certificates.parseAll(TestVectors.read("go-tdx-guest/trusted_root.pem"), "root").get(0);
    assertThat(TrustAnchors.pinned().match(pem)).contains(TrustAnchors.INTEL_SGX_ROOT_CA);
  }

  @Test
  void pinnedArks_matchTheKdsCertChains() throws Exception {
    for (var e : List.of(
        List.of("go-sev-guest/ask_ark_milan.pem", "ARK-Milan"),
        List.of("go-sev-guest/ask_ark_genoa.pem", "ARK-Genoa"),
        List.of("go-sev-guest/ask_ark_turin_vcek.pem", "ARK-Turin"),
        List.of("go-sev-guest/ask_ark_turin_vlek.pem", "ARK-Turin"))) {
      List<X509CertificateHolder> chain = Certificates.parseAll(TestVectors.read(e.get(0)), e.get(0));
      assertThat(TrustAnchors.pinned().match(chain.get(1))).map(TrustAnchor::name).contains(e.get(1));
      assertThat(TrustAnchors.pinned().match(chain.get(0))).as("an ASK is not an anchor").isEmpty();
    }
  }

  @Test
  void emulatedRoot_isTrustedOnlyWhenConfigured() throws Exception {
    X509CertificateHolder self = TestCerts.selfSigned("CN=Emulated Root");
    assertThat(TrustAnchors.pinned().match(self)).isEmpty();
    TrustAnchors withEmulated = TrustAnchors.pinned().withEmulated(List.of(self));
    assertThat(withEmulated.match(self)).hasValueSatisfying(a -> {
      assertThat(a.emulated()).isTrue();
      assertThat(a.vendor()).isEqualTo("emulated");
    });
    assertThat(withEmulated.trustsEmulated()).isTrue();
    assertThat(TrustAnchors.pinned().trustsEmulated()).isFalse();
  }
}
