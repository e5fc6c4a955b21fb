package io.guestmem.tdx.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.VerifiedCache;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bonus SGX v3 plug-in on dcap-qvl's real SGX quote and collateral (MANIFEST §3). */
class SgxQuoteTest {
  static final Instant AT = Instant.ofEpochSecond(1752919277L);
  @TempDir Path tmp;

  private Verdict verify(byte[] quote, boolean withCollateral) throws Exception {
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC())
        .register(new TdxVerifier()).register(new SgxVerifier());
    VerificationRequest.Builder b = VerificationRequest.builder().evidence(quote).at(AT);
    if (withCollateral) {
      Path d = TdxVectors.bundleDirectory("dcap-qvl/sgx_quote_collateral.json", tmp.resolve("sgx-" + System.nanoTime()));
      Path tcb;
      try (Stream<Path> s = Files.list(d.resolve("tdx/certification/v4/tcb"))) {
        tcb = s.filter(p -> !p.toString().endsWith(".issuer-chain")).findFirst().orElseThrow();
      }
      b.tcbInfoFile(tcb).tcbInfoChainFile(Path.of(tcb + ".issuer-chain"))
          .qeIdentityFile(d.resolve("tdx/certification/v4/qe/identity"))
          .qeIdentityChainFile(d.resolve("tdx/certification/v4/qe/identity.issuer-chain"))
          .crlFile(d.resolve("sgx/certification/v4/pckcrl/platform")).crlFile(d.resolve("sgx/certification/v4/rootcacrl"));
    }
    return verifiers.verify(b.build());
  }

  @Test
  void dcapQvlSgxQuote_isConfigurationAndSwHardeningNeeded_withItsAdvisories() throws Exception {
    Verdict v = verify(TdxVectors.read("dcap-qvl/sgx_quote"), true);
    assertThat(v.tee()).isEqualTo("sgx");
    assertThat(v.failures()).isEmpty();
    assertThat(v.notRun()).isEmpty();
    assertThat(v.status()).isEqualTo(TrustStatus.WARNING);
    assertThat(v.signatureValid()).isTrue();
    assertThat(v.tcb().status()).isEqualTo("ConfigurationAndSWHardeningNeeded");
    assertThat(v.tcb().advisories()).containsExactlyInAnyOrder("INTEL-SA-00289", "INTEL-SA-00615");
    assertThat(v.tcb().componentStatuses()).containsEntry("qe", "UpToDate");
  }

  @Test
  void sgxQuoteWithoutCollateral_isCheckedAsFarAsItsChainAllows() throws Exception {
    Verdict v = verify(TdxVectors.read("dcap-qvl/sgx_quote"), false);
    assertThat(v.status()).isEqualTo(TrustStatus.WARNING);
    assertThat(v.notRun()).extracting(n -> n.id()).containsExactly("sgx.tcb_info", "sgx.qe_identity", "sgx.pck_crl", "sgx.root_crl");
  }

  @Test
  void flippedEnclaveReportByte_breaksTheQuoteSignature() throws Exception {
    byte[] q = TdxVectors.read("dcap-qvl/sgx_quote");
    q[0x40] ^= 1;
    assertThat(verify(q, false).failures()).extracting(f -> f.id() + ":" + f.reason())
        .isEqualTo(List.of("sgx.quote.signature:signature_invalid"));
  }

  @Test
  void passingRootVendorCheckSaysTheRootIsIntels() throws Exception {
    Verdict v = verify(TdxVectors.read("dcap-qvl/sgx_quote"), false);
    assertThat(v.check("sgx.pck_chain.root_vendor")).hasValueSatisfying(c -> {
      assertThat(c.ok()).isTrue();
      assertThat(c.detail()).isEqualTo("root Intel SGX Root CA is Intel's").doesNotContain("not");
    });
  }

  /** A truncated PCK CRL in the collateral directory fails on its own; the Root CA CRL is still checked. */
  @Test
  void malformedPckCrlFileDoesNotHideTheRootCaCrl() throws Exception {
    Path d = TdxVectors.bundleDirectory("dcap-qvl/sgx_quote_collateral.json", tmp.resolve("sgx-trunc"));
    Path pckCrl = d.resolve("sgx/certification/v4/pckcrl/platform");
    // the quote's PCK is issued by the Processor CA, so its CRL is read from pckcrl/processor
    TdxVectors.writeFirstHalf(pckCrl, pckCrl.resolveSibling("processor"));
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC())
        .register(new TdxVerifier()).register(new SgxVerifier());
    Verdict v = verifiers.verify(VerificationRequest.builder().evidence(TdxVectors.read("dcap-qvl/sgx_quote")).at(AT)
        .collateralDir(d).build());
    assertThat(v.failures()).extracting(f -> f.id() + ":" + f.reason())
        .containsExactly("sgx.collateral.pck_crl:collateral_malformed");
    assertThat(v.check("sgx.root_crl.signature")).hasValueSatisfying(c -> assertThat(c.ok()).isTrue());
    assertThat(v.notRun()).extracting(n -> n.id() + ":" + n.reason())
        .contains("sgx.pck_crl:collateral_malformed").doesNotContain("sgx.root_crl:collateral_missing");
  }
}
