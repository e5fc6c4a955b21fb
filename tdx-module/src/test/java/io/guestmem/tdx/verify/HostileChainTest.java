package io.guestmem.tdx.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.InvalidRequestException;
import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.VerifiedCache;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Mutations inside the PEM chain embedded in a real quote that keep the PEM decodable (one base64
 * character replaced by another), so the DER of a certificate — names, times, extensions, keys —
 * changes: the verifier never lets an exception escape and never affirms. (Seed 42 once found a
 * BER BOOLEAN — critical = 0xEB — that BouncyCastle re-encodes as DER 0xFF, so the signature over
 * the re-encoded TBS verified; certificates must now be canonical DER.)
 */
class HostileChainTest {
  private static final String B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

  private static boolean sameCertificates(byte[] a, byte[] b) {
    try {
      var x = io.guestmem.tdx.abi.Quote.parse(a).pckCertChain().orElseThrow().certificates();
      var y = io.guestmem.tdx.abi.Quote.parse(b).pckCertChain().orElseThrow().certificates();
      for (int i = 0; i < x.size(); i++) {
        if (!java.util.Arrays.equals(x.get(i).getEncoded(), y.get(i).getEncoded())) {
          return false;
        }
      }
      return x.size() == y.size();
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void base64MutationsInsideTheEmbeddedPckChain_neverEscapeNorAffirm() throws Exception {
    byte[] good = TdxVectors.read("go-tdx-guest/quote_v5_sample.dat");
    String text = new String(good, StandardCharsets.ISO_8859_1);
    int begin = text.indexOf("-----BEGIN CERTIFICATE-----");
    int end = text.lastIndexOf("-----END CERTIFICATE-----");
    List<Integer> positions = new ArrayList<>();
    for (int i = begin; i < end; i++) {
      if (B64.indexOf(text.charAt(i)) >= 0 && !text.startsWith("CERTIFICATE", i - 10) && text.charAt(i - 1) != '-') {
        positions.add(i);
      }
    }
    Verifiers verifiers = new Verifiers(VerifiedCache.defaultCache(), Clock.systemUTC()).register(new TdxVerifier());
    Random random = new Random(42);
    List<String> escaped = new ArrayList<>();
    for (int k = 0; k < 300; k++) {
      byte[] b = good.clone();
      int at = positions.get(random.nextInt(positions.size()));
      char c;
      do {
        c = B64.charAt(random.nextInt(64));
      } while (c == b[at]);
      b[at] = (byte) c;
      if (sameCertificates(good, b)) {
        continue; // base64 padding bits: the DER did not change
      }
      try {
        Verdict v = verifiers.verify(VerificationRequest.builder().evidence(b).at(Instant.parse("2026-02-03T01:00:00Z")).build());
        if (v.status() == TrustStatus.AFFIRMING || v.signatureValid()) {
          escaped.add("mutation at 0x" + Integer.toHexString(at) + " verified");
        }
      } catch (InvalidRequestException e) {
        escaped.add("mutation at 0x" + Integer.toHexString(at) + " refused as a request: " + e.getMessage());
      } catch (RuntimeException e) {
        escaped.add("mutation at 0x" + Integer.toHexString(at) + ": " + e);
      }
    }
    assertThat(escaped).isEmpty();
  }
}
