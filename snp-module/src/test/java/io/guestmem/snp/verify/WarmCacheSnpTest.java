package io.guestmem.snp.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.Reason;
import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.ear.VerdictJson;
import io.guestmem.attestation.pki.Ecdsa;
import io.guestmem.snp.abi.SnpProduct;
import io.guestmem.snp.emu.SnpEmulation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Caching never changes a verdict: with a warm cache (chain and CRL signatures verified before,
 * the VEK's ECDSA table built after repeated use) every real and emulated report gets exactly the
 * verdict it gets cold, and a tampered report is still rejected by its own signature.
 */
class WarmCacheSnpTest {
  /** Enough calls for the VEK to get its ECDSA table, and two more with it. */
  static final int WARM_CALLS = Ecdsa.TABLE_AFTER_VERIFICATIONS + 2;

  @TempDir Path tmp;

  private static Verifiers cold() {
    return new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new SnpVerifier());
  }

  private static Verifiers warm() {
    return new Verifiers(VerifiedCache.defaultCache(), Clock.systemUTC()).register(new SnpVerifier());
  }

  @Test
  void everyRealSnpVector_givesTheSameVerdictWithWarmCachesAsCold() throws Exception {
    Verifiers cold = cold();
    Verifiers warm = warm();
    List<String> disagreements = new ArrayList<>();
    for (RealSnpVectorsTest.Case c : RealSnpVectorsTest.cases()) {
      VerificationRequest request = RealSnpVectorsTest.request(c, cold);
      String expected = VerdictJson.toJson(cold.verify(request));
      int calls = c.name().startsWith("routex Genoa v5") ? WARM_CALLS : 3;
      for (int call = 1; call <= calls; call++) {
        String got = VerdictJson.toJson(warm.verify(request));
        if (!got.equals(expected)) {
          disagreements.add(c.name() + ", warm call " + call + ":\n" + got + "\ncold:\n" + expected);
          break;
        }
      }
    }
    assertThat(disagreements).isEmpty();
  }

  @Test
  void aTamperedReportIsRejectedWhileTheVeksResultsAreCached() throws Exception {
    Verifiers cold = cold();
    Verifiers warm = warm();
    RealSnpVectorsTest.Case good = new RealSnpVectorsTest.Case("routex Genoa v5", RealSnpVectorsTest.GENOA_V5,
        RealSnpVectorsTest.GENOA_V5_CHAIN, RealSnpVectorsTest.GENOA_CRL, RealSnpVectorsTest.T, "{}", b -> {},
        TrustStatus.AFFIRMING, List.of());
    VerificationRequest request = RealSnpVectorsTest.request(good, warm);
    for (int call = 0; call < WARM_CALLS; call++) {
      assertThat(warm.verify(request).status()).isEqualTo(TrustStatus.AFFIRMING);
    }
    for (int offset : new int[] {0x50, 0x90, 0x140}) {
      // REPORT_DATA, MEASUREMENT, REPORT_ID.
      RealSnpVectorsTest.Case tampered = new RealSnpVectorsTest.Case("flip " + offset, good.report(), good.certs(),
          good.crl(), good.at(), "{}", b -> b[offset] ^= 0x01, TrustStatus.CONTRAINDICATED, List.of());
      VerificationRequest bad = RealSnpVectorsTest.request(tampered, warm);
      Verdict w = warm.verify(bad);
      assertThat(w.status()).as("offset 0x%x: %s", offset, w.failures()).isEqualTo(TrustStatus.CONTRAINDICATED);
      assertThat(w.signatureValid()).isFalse();
      assertThat(w.check("snp.report.signature")).as("offset 0x%x: %s", offset, w.failures()).hasValueSatisfying(ch -> {
        assertThat(ch.ok()).isFalse();
        assertThat(ch.reason()).isEqualTo(Reason.SIGNATURE_INVALID);
      });
      assertThat(VerdictJson.toJson(w)).isEqualTo(VerdictJson.toJson(cold.verify(bad)));
    }
    assertThat(warm.verify(request).status()).as("the genuine report still verifies").isEqualTo(TrustStatus.AFFIRMING);
  }

  @Test
  void emulatedReports_verifyIdenticallyWarmAndCold() throws Exception {
    Verifiers cold = cold();
    Verifiers warm = warm();
    for (SnpProduct p : new SnpProduct[] {SnpProduct.MILAN, SnpProduct.TURIN}) {
      Path out = tmp.resolve(p.name());
      SnpEmulation.run(SnpEmulation.Options.defaults(out).withProduct(p), new PageMapMemory(64 * 4096));
      VerificationRequest request = VerificationRequest.builder().evidence(Files.readAllBytes(out.resolve("report.bin")))
          .collateralDir(out.resolve("kds")).at(EmulatedSnpEvidenceTest.AT).trustedEmulatedRootsDir(out.resolve("roots"))
          .build();
      Verdict expected = cold.verify(request);
      assertThat(expected.status()).as(p.name()).isEqualTo(TrustStatus.AFFIRMING);
      for (int call = 1; call <= WARM_CALLS; call++) {
        assertThat(VerdictJson.toJson(warm.verify(request))).as("%s warm call %d", p, call)
            .isEqualTo(VerdictJson.toJson(expected));
      }
    }
  }
}
