package io.guestmem.tdx.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.Reason;
import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.ear.VerdictJson;
import io.guestmem.tdx.emu.EmulatedEvidence;
import io.guestmem.tdx.emu.EmulationKnobs;
import io.guestmem.tdx.emu.TdxEmulation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Caching never changes a verdict: with a warm cache (per-platform results verified before, the
 * attestation key's ECDSA table built) an emulated quote gets exactly the verdict it gets cold,
 * at the issue time and after the collateral expired; and a tampered quote from the same platform
 * is still rejected by its own signature.
 */
class WarmCacheEmulatedTdxTest {
  static final Instant ISSUED = Instant.parse("2026-03-01T00:00:00Z");

  @TempDir Path tmp;

  private static VerificationRequest request(Path out, byte[] quote, Instant at) throws Exception {
    return VerificationRequest.builder().evidence(quote).at(at)
        .tcbInfoFile(out.resolve(EmulatedEvidence.TCB_INFO)).tcbInfoChainFile(out.resolve(EmulatedEvidence.TCB_INFO_CHAIN))
        .qeIdentityFile(out.resolve(EmulatedEvidence.QE_IDENTITY))
        .qeIdentityChainFile(out.resolve(EmulatedEvidence.QE_IDENTITY_CHAIN))
        .crlFile(out.resolve(EmulatedEvidence.PCK_CRL)).crlFile(out.resolve(EmulatedEvidence.ROOT_CRL))
        .trustedEmulatedRootsDir(out.resolve("roots")).build();
  }

  @Test
  void emulatedQuotes_verifyIdenticallyWarmAndCold_andATamperedOneFailsWarm() throws Exception {
    Verifiers cold = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new TdxVerifier());
    Verifiers warm = new Verifiers(VerifiedCache.defaultCache(), Clock.systemUTC()).register(new TdxVerifier());
    for (int version : new int[] {4, 5}) {
      Path out = tmp.resolve("v" + version);
      TdxEmulation.run(new PageMapMemory(256 * 1024), TdxEmulation.Options.defaults(out).withQuoteVersion(version)
          .withIssueTime(ISSUED).withKnobs(EmulationKnobs.builder().build()));
      byte[] quote = Files.readAllBytes(out.resolve(EmulatedEvidence.QUOTE));
      for (Instant at : new Instant[] {ISSUED.plus(Duration.ofDays(1)), ISSUED.plus(Duration.ofDays(400))}) {
        VerificationRequest request = request(out, quote, at);
        Verdict expected = cold.verify(request);
        for (int call = 1; call <= RealTdxVectorsTest.WARM_CALLS; call++) {
          assertThat(VerdictJson.toJson(warm.verify(request))).as("v%d at %s, warm call %d", version, at, call)
              .isEqualTo(VerdictJson.toJson(expected));
        }
      }
      assertThat(cold.verify(request(out, quote, ISSUED.plus(Duration.ofDays(1)))).status())
          .isEqualTo(TrustStatus.AFFIRMING);
      assertThat(cold.verify(request(out, quote, ISSUED.plus(Duration.ofDays(400)))).status())
          .as("collateral expired").isEqualTo(TrustStatus.CONTRAINDICATED);

      byte[] tampered = quote.clone();
      tampered[0x30 + 136] ^= 0x40; // MRTD
      VerificationRequest bad = request(out, tampered, ISSUED.plus(Duration.ofDays(1)));
      Verdict w = warm.verify(bad);
      assertThat(w.status()).isEqualTo(TrustStatus.CONTRAINDICATED);
      assertThat(w.signatureValid()).isFalse();
      assertThat(w.failures()).extracting(f -> f.id() + ":" + f.reason())
          .containsExactly("tdx.quote.signature:" + Reason.SIGNATURE_INVALID);
      assertThat(VerdictJson.toJson(w)).isEqualTo(VerdictJson.toJson(cold.verify(bad)));
    }
  }
}
