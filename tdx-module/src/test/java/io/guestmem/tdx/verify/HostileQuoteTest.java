package io.guestmem.tdx.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.InvalidRequestException;
import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.VerifiedCache;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile quotes never escape as unchecked exceptions and are never affirmed: random byte flips,
 * truncations and extensions of the real dcap-qvl quote, verified with its full collateral.
 */
class HostileQuoteTest {
  @TempDir Path tmp;

  @Test
  void randomMutationsOfARealQuote_alwaysEndInAVerdictOrARequestError() throws Exception {
    byte[] good = TdxVectors.read("dcap-qvl/tdx_quote");
    Path dir = TdxVectors.bundleDirectory("dcap-qvl/tdx_quote_collateral.json", tmp.resolve("c"));
    Verifiers verifiers = new Verifiers(VerifiedCache.defaultCache(), Clock.systemUTC()).register(new TdxVerifier());
    Random random = new Random(20261126L);
    List<String> escaped = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      byte[] b;
      int kind = random.nextInt(3);
      if (kind == 0) {
        b = good.clone();
        for (int k = 0; k < 1 + random.nextInt(3); k++) {
          // Mostly inside the signed region and the certification data, where parsing happens.
          b[random.nextInt(b.length)] ^= (byte) (1 + random.nextInt(255));
        }
      } else if (kind == 1) {
        b = Arrays.copyOf(good, random.nextInt(good.length));
      } else {
        b = good.clone();
        int at = 0x278 + random.nextInt(0x300);
        b[at] = (byte) random.nextInt(256);
        b[at + 1] = (byte) random.nextInt(256);
      }
      try {
        Verdict v = verifiers.verify(VerificationRequest.builder().evidence(b).at(Instant.ofEpochSecond(1752919234L))
            .collateralDir(dir).build());
        // The quote is followed by 70 bytes of zero padding that nothing signs.
        int signedEnd = good.length - 70;
        boolean trailingOnly = b.length == good.length && Arrays.equals(Arrays.copyOf(b, signedEnd), Arrays.copyOf(good, signedEnd));
        if (!Arrays.equals(b, good) && !trailingOnly && v.status() == TrustStatus.AFFIRMING) {
          escaped.add("mutation " + i + " affirmed");
        }
      } catch (InvalidRequestException e) {
        // bytes no plug-in recognizes: a request error, as documented
      } catch (RuntimeException e) {
        escaped.add("mutation " + i + ": " + e);
      }
    }
    assertThat(escaped).isEmpty();
  }
}
