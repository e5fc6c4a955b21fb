package io.guestmem.tdx.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.VerifiedCache;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * evidence-formats.md §2.1 on the real SPR_E4 (v4) and v5 sample quotes: each structural defect is a
 * contraindicated verdict with one failed check and a specific reason, never an exception.
 */
class QuoteStructureNegativesTest {
  record Case(String name, String quote, UnaryOperator<byte[]> mutate, String failure) {}

  static byte[] set(byte[] b, int offset, int value) {
    b[offset] = (byte) value;
    return b;
  }

  static final String SPR = "go-tdx-guest/tdx_prod_quote_SPR_E4.dat";
  static final String V5 = "go-tdx-guest/quote_v5_sample.dat";

  static List<Case> cases() {
    return List.of(
        new Case("truncated to 100 bytes", SPR, b -> Arrays.copyOf(b, 100), "tdx.quote.structure:malformed_evidence"),
        new Case("header version 1", SPR, b -> set(b, 0, 1), "tdx.quote.structure:unsupported_version"),
        new Case("attestation key type 1", SPR, b -> set(b, 2, 1), "tdx.quote.structure:unsupported_algorithm"),
        new Case("TEE type 0x80", SPR, b -> set(b, 4, 0x80), "tdx.quote.structure:unsupported_version"),
        new Case("v5 truncated to 1025 bytes", V5, b -> Arrays.copyOf(b, 1025), "tdx.quote.structure:malformed_evidence"),
        new Case("v5 body type 1 (SGX)", V5, b -> set(b, 0x30, 1), "tdx.quote.structure:unsupported_version"),
        new Case("v5 body size 999", V5, b -> set(set(b, 0x32, 0xE7), 0x33, 0x03), "tdx.quote.structure:malformed_evidence"),
        new Case("v5 body type 2 with size 648", V5, b -> set(b, 0x30, 2), "tdx.quote.structure:malformed_evidence"),
        new Case("outer certification data type 7", SPR, b -> set(b, 0x27C + 128, 7), "tdx.quote.certification_data:malformed_evidence"),
        new Case("QE auth data size larger than the data", SPR, b -> set(b, 0x4C2 + 1, 0x7F), "tdx.quote.structure:malformed_evidence"));
  }

  @Test
  void everyStructuralDefect_isContraindicatedWithItsReason() throws Exception {
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new TdxVerifier());
    List<String> disagreements = new ArrayList<>();
    for (Case c : cases()) {
      byte[] q = c.mutate().apply(TdxVectors.read(c.quote()));
      Verdict v = verifiers.verify(VerificationRequest.builder().evidence(q).at(Instant.parse("2026-02-03T01:00:00Z")).build());
      List<String> f = v.failures().stream().map(x -> x.id() + ":" + x.reason()).toList();
      if (v.status() != TrustStatus.CONTRAINDICATED || !f.equals(List.of(c.failure())) || v.signatureValid()) {
        disagreements.add(c.name() + ": " + v.status() + " " + f + " "
            + v.failures().stream().map(x -> x.detail()).toList());
      }
    }
    assertThat(disagreements).isEmpty();
  }

  @Test
  void foreignQeVendor_isIdentityMismatch_andBreaksTheSignedHeader() throws Exception {
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new TdxVerifier());
    byte[] q = set(TdxVectors.read(SPR), 0x0C, 0x00);
    Verdict v = verifiers.verify(VerificationRequest.builder().evidence(q).at(Instant.parse("2023-07-01T01:00:00Z")).build());
    assertThat(v.failures()).extracting(x -> x.id() + ":" + x.reason())
        .containsExactly("tdx.quote.qe_vendor:identity_mismatch", "tdx.quote.signature:signature_invalid");
  }
}
