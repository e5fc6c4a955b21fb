package io.guestmem.tdx.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Reason;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.ear.VerdictJson;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.policy.AppraisalPolicy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every real TDX vector in ../shared/vectors gives the result MANIFEST.md records at its fixed time
 * (§3 computed and source results), and each MANIFEST negative case its specific reason. All
 * disagreements are collected before asserting.
 */
class RealTdxVectorsTest {
  static final Instant GTG_V4 = Instant.parse("2023-07-01T01:00:00Z");
  static final Instant GTG_V5 = Instant.parse("2026-02-03T01:00:00Z");
  static final Instant GTG_FUTURE = Instant.parse("2053-07-01T01:00:00Z");
  static final Instant QVL_TDX = Instant.ofEpochSecond(1752919234L);
  static final Instant QVL_OUTDATED = Instant.ofEpochSecond(1774003274L);
  static final String SPR = "go-tdx-guest/tdx_prod_quote_SPR_E4.dat";
  static final String V5 = "go-tdx-guest/quote_v5_sample.dat";

  enum Coll { NONE, GTG_2023, GTG_V5_TCB, QVL_TDX, QVL_OUTDATED, QVL_OUTDATED_TCB_FILE }

  record Case(String name, String quote, Coll collateral, Instant at, String policy, Consumer<byte[]> mutation,
      TrustStatus status, String tcbStatus, List<String> failures) {}

  static Case c(String name, String quote, Coll coll, Instant at, TrustStatus status, String tcb, String... failures) {
    return new Case(name, quote, coll, at, "{}", b -> {}, status, tcb, List.of(failures));
  }

  static Case flip(String name, int offset, Consumer<byte[]> m, String... failures) {
    return new Case(name, SPR, Coll.NONE, GTG_V4, "{}", m, TrustStatus.CONTRAINDICATED, null, List.of(failures));
  }

  static Consumer<byte[]> base64Char(int offset) {
    return b -> b[offset] = (byte) (b[offset] == 'A' ? 'B' : 'A');
  }

  @TempDir Path tmp;

  List<Case> cases() {
    return List.of(
        c("SPR_E4 signature and PCK chain only", SPR, Coll.NONE, GTG_V4, TrustStatus.WARNING, null),
        c("SPR_E4 with the 2023 collateral: no matching TCB level", SPR, Coll.GTG_2023, GTG_V4,
            TrustStatus.CONTRAINDICATED, null, "tdx.tcb_level:no_matching_tcb_level"),
        c("trustee q4 (debug TD) with the 2023 collateral: UpToDate", "trustee/tdx_quote_4.dat", Coll.GTG_2023, GTG_V4,
            TrustStatus.AFFIRMING, "UpToDate"),
        c("v5 sample signature and PCK chain only", V5, Coll.NONE, GTG_V5, TrustStatus.WARNING, null),
        c("v5 sample with the v5 TCB Info signed by the expired 2018 signer", V5, Coll.GTG_V5_TCB, GTG_V5,
            TrustStatus.CONTRAINDICATED, null, "tdx.tcb_info.chain.tcb_signing.validity:cert_expired",
            "tdx.tcb_info.signer_at_issue:collateral_signer_expired"),
        c("v5 sample with the dcap-qvl outdated bundle: UpToDate", V5, Coll.QVL_OUTDATED, QVL_OUTDATED,
            TrustStatus.AFFIRMING, "UpToDate"),
        c("dcap-qvl tdx_quote with its bundle: UpToDate, no advisories", "dcap-qvl/tdx_quote", Coll.QVL_TDX, QVL_TDX,
            TrustStatus.AFFIRMING, "UpToDate"),
        c("dcap-qvl outdated quote: no matching TCB level", "dcap-qvl/tdx_quote_outdated", Coll.QVL_OUTDATED, QVL_OUTDATED,
            TrustStatus.CONTRAINDICATED, null, "tdx.tcb_level:no_matching_tcb_level"),
        c("trustee q5 with the dcap-qvl outdated bundle: no matching TCB level", "trustee/tdx_quote_5.dat",
            Coll.QVL_OUTDATED, QVL_OUTDATED, TrustStatus.CONTRAINDICATED, null, "tdx.tcb_level:no_matching_tcb_level"),
        c("cos-113 (8000-byte buffer, zero padding) signature and chain only", "go-tdx-guest/cos-113-tdx-quote.dat",
            Coll.NONE, Instant.parse("2025-01-01T00:00:00Z"), TrustStatus.WARNING, null),
        c("dcap-qvl tdx_quote given the TCB Info of another FMSPC", "dcap-qvl/tdx_quote", Coll.QVL_OUTDATED_TCB_FILE,
            QVL_OUTDATED, TrustStatus.CONTRAINDICATED, null, "tdx.tcb_info.fmspc:collateral_mismatch"),

        // go-tdx-guest TestNegativeVerification (SPR_E4, byte patched at offset).
        flip("0x00 := 3: quote format not supported", 0, b -> b[0] = 3, "tdx.quote.structure:unsupported_version"),
        flip("0x278 := 0x10: signature data length", 0x278, b -> b[0x278] = 0x10, "tdx.quote.structure:malformed_evidence"),
        flip("0x1343 := 0x32: PEM chain no longer parses", 0x1343, b -> b[0x1343] = 0x32,
            "tdx.quote.structure:chain_malformed"),
        flip("0x1E header byte: quote signature", 0x1E, b -> b[0x1E] ^= 1, "tdx.quote.signature:signature_invalid"),
        flip("0x3C body byte: quote signature", 0x3C, b -> b[0x3C] ^= 1, "tdx.quote.signature:signature_invalid"),
        flip("0xB77 PCK leaf byte", 0xB77, base64Char(0xB77), "tdx.pck_chain.pck.signature:cert_signature_invalid"),
        flip("0xF5F intermediate byte", 0xF5F, base64Char(0xF5F),
            "tdx.pck_chain.intermediate.signature:cert_signature_invalid"),
        flip("0x1329 root byte", 0x1329, base64Char(0x1329), "tdx.pck_chain.root_pinned:untrusted_root",
            "tdx.pck_chain.root.signature:cert_signature_invalid"),
        new Case("whole chain at 2053", SPR, Coll.NONE, GTG_FUTURE, "{}", b -> {}, TrustStatus.CONTRAINDICATED, null,
            List.of("tdx.pck_chain.pck.validity:cert_expired", "tdx.pck_chain.intermediate.validity:cert_expired",
                "tdx.pck_chain.root.validity:cert_expired")),
        new Case("trustee q4 is a debug TD", "trustee/tdx_quote_4.dat", Coll.GTG_2023, GTG_V4,
            "{\"tdx\":{\"allowDebug\":false}}", b -> {}, TrustStatus.CONTRAINDICATED, "UpToDate",
            List.of("tdx.policy.debug:debug_not_allowed")),
        new Case("SPR_E4 trailing garbage rejected by policy", SPR, Coll.NONE, GTG_V4,
            "{\"tdx\":{\"rejectNonZeroTrailingBytes\":true}}", b -> {}, TrustStatus.CONTRAINDICATED, null,
            List.of("tdx.policy.trailing_bytes:trailing_data")));
  }

  Verdict run(Case c) throws Exception {
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new TdxVerifier());
    return verifiers.verify(request(c, verifiers));
  }

  VerificationRequest request(Case c, Verifiers verifiers) throws Exception {
    byte[] quote = TdxVectors.read(c.quote());
    c.mutation().accept(quote);
    VerificationRequest.Builder b = VerificationRequest.builder().evidence(quote).at(c.at())
        .policy(AppraisalPolicy.parse(c.policy().getBytes(StandardCharsets.UTF_8), verifiers.plugins()));
    switch (c.collateral()) {
      case GTG_2023 -> b.tcbInfoFile(TdxVectors.path("go-tdx-guest/sample_tcbInfo_response"))
          .tcbInfoChainFile(TdxVectors.path("go-tdx-guest/tcbinfo_issuer_chain.pem"))
          .qeIdentityFile(TdxVectors.path("go-tdx-guest/sample_qeIdentity_response"))
          .qeIdentityChainFile(TdxVectors.path("go-tdx-guest/qeidentity_issuer_chain.pem"))
          .crlFile(TdxVectors.path("go-tdx-guest/pckcrl")).crlFile(TdxVectors.path("go-tdx-guest/rootcrl.der"));
      case GTG_V5_TCB -> b.tcbInfoFile(TdxVectors.path("go-tdx-guest/sample_tcbinfo_response_v5"))
          .tcbInfoChainFile(TdxVectors.path("go-tdx-guest/tcbinfo_issuer_chain.pem"));
      case QVL_TDX -> b.collateralDir(TdxVectors.bundleDirectory("dcap-qvl/tdx_quote_collateral.json",
          tmp.resolve("qvl-tdx-" + System.nanoTime())));
      case QVL_OUTDATED -> b.collateralDir(TdxVectors.bundleDirectory("dcap-qvl/tdx_quote_outdated_collateral.json",
          tmp.resolve("qvl-outdated-" + System.nanoTime())));
      case QVL_OUTDATED_TCB_FILE -> {
        Path d = TdxVectors.bundleDirectory("dcap-qvl/tdx_quote_outdated_collateral.json", tmp.resolve("f-" + System.nanoTime()));
        b.tcbInfoFile(d.resolve("tdx/certification/v4/tcb/90C06F000000"))
            .tcbInfoChainFile(d.resolve("tdx/certification/v4/tcb/90C06F000000.issuer-chain"));
      }
      case NONE -> { }
    }
    return b.build();
  }

  /** Enough calls for the attestation key to get its ECDSA table, and two more with it. */
  static final int WARM_CALLS = io.guestmem.attestation.pki.Ecdsa.TABLE_AFTER_VERIFICATIONS + 2;

  @Test
  void everyRealTdxVector_givesTheSameVerdictWithWarmCachesAsCold() throws Exception {
    // Warm: one shared cache across calls, and keys used repeatedly get their ECDSA tables.
    Verifiers cold = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new TdxVerifier());
    Verifiers warm = new Verifiers(VerifiedCache.defaultCache(), Clock.systemUTC()).register(new TdxVerifier());
    List<String> disagreements = new ArrayList<>();
    for (Case c : cases()) {
      VerificationRequest request = request(c, cold);
      String expected = VerdictJson.toJson(cold.verify(request));
      for (int call = 1; call <= WARM_CALLS; call++) {
        String got = VerdictJson.toJson(warm.verify(request));
        if (!got.equals(expected)) {
          disagreements.add(c.name() + ", warm call " + call + ":\n" + got + "\ncold:\n" + expected);
        }
      }
    }
    assertThat(disagreements).isEmpty();
  }

  @Test
  void aTamperedQuoteIsRejectedWhileThePlatformsResultsAreCached() throws Exception {
    Verifiers warm = new Verifiers(VerifiedCache.defaultCache(), Clock.systemUTC()).register(new TdxVerifier());
    Verifiers cold = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new TdxVerifier());
    Case good = c("dcap-qvl tdx_quote", "dcap-qvl/tdx_quote", Coll.QVL_TDX, QVL_TDX, TrustStatus.AFFIRMING, "UpToDate");
    VerificationRequest request = request(good, warm);
    for (int call = 0; call < 3; call++) {
      assertThat(warm.verify(request).status()).isEqualTo(TrustStatus.AFFIRMING);
    }
    for (int offset : new int[] {0x30 + 136, 0x30 + 520, 0x30 + 583, 0x10}) {
      // MRTD, REPORTDATA (first and last byte), and the header's QE vendor ID.
      Case tampered = new Case("flip " + offset, good.quote(), good.collateral(), good.at(), "{}",
          b -> b[offset] ^= 0x01, TrustStatus.CONTRAINDICATED, null, List.of());
      VerificationRequest bad = request(tampered, warm);
      Verdict w = warm.verify(bad);
      assertThat(w.status()).as("offset 0x%x", offset).isEqualTo(TrustStatus.CONTRAINDICATED);
      assertThat(w.signatureValid()).isFalse();
      assertThat(w.check("tdx.quote.signature")).hasValueSatisfying(ch -> {
        assertThat(ch.ok()).isFalse();
        assertThat(ch.reason()).isEqualTo(Reason.SIGNATURE_INVALID);
      });
      assertThat(VerdictJson.toJson(w)).isEqualTo(VerdictJson.toJson(cold.verify(bad)));
    }
    assertThat(warm.verify(request).status()).as("the genuine quote still verifies").isEqualTo(TrustStatus.AFFIRMING);
  }

  @Test
  void everyRealTdxVector_givesTheManifestResult() throws Exception {
    List<String> disagreements = new ArrayList<>();
    for (Case c : cases()) {
      Verdict v = run(c);
      List<String> failures = v.failures().stream().map(f -> f.id() + ":" + f.reason()).toList();
      String tcb = v.tcb() == null ? null : v.tcb().status();
      if (v.status() != c.status() || !failures.equals(c.failures()) || (c.tcbStatus() != null && !c.tcbStatus().equals(tcb))) {
        disagreements.add(c.name() + ": expected " + c.status() + " " + c.tcbStatus() + " " + c.failures() + ", got "
            + v.status() + " " + tcb + " " + failures + " notRun " + v.notRun().stream().map(n -> n.id()).toList());
      }
    }
    assertThat(disagreements).as("disagreements with MANIFEST.md").isEmpty();
  }

  @Test
  void reissuedTcbSigningCertificate_theOneValidAtIssueDateIsUsed() throws Exception {
    // trustee's TCB Info / QE Identity (issued 2025-10) are signed by Intel's TCB signing key; the 2018
    // certificate for that key expired 2025-05-21, the re-issued one (same serial and key) is valid.
    com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(TdxVectors.read("dcap-qvl/tdx_quote_collateral.json"));
    Path renewed = java.nio.file.Files.writeString(tmp.resolve("renewed-chain.pem"), j.get("tcb_info_issuer_chain").textValue());
    Instant at = Instant.parse("2025-11-01T00:00:00Z");
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new TdxVerifier());
    VerificationRequest.Builder both = VerificationRequest.builder().evidence(TdxVectors.read("dcap-qvl/tdx_quote")).at(at)
        .tcbInfoFile(TdxVectors.path("trustee/tcbInfo.json")).qeIdentityFile(TdxVectors.path("trustee/enclaveIdentity.json"))
        .certificateFile(TdxVectors.path("go-tdx-guest/tcbinfo_issuer_chain.pem")).certificateFile(renewed);
    Verdict v = verifiers.verify(both.build());
    assertThat(v.failures()).extracting(f -> f.id() + ":" + f.reason())
        .containsExactly("tdx.tcb_info.fmspc:collateral_mismatch");
    assertThat(v.check("tdx.tcb_info.signature")).hasValueSatisfying(c -> assertThat(c.ok()).isTrue());
    assertThat(v.check("tdx.qe_identity.signature")).hasValueSatisfying(c -> assertThat(c.ok()).isTrue());

    Verdict oldOnly = verifiers.verify(VerificationRequest.builder().evidence(TdxVectors.read("dcap-qvl/tdx_quote")).at(at)
        .tcbInfoFile(TdxVectors.path("trustee/tcbInfo.json"))
        .certificateFile(TdxVectors.path("go-tdx-guest/tcbinfo_issuer_chain.pem")).build());
    assertThat(oldOnly.failures()).extracting(f -> f.id() + ":" + f.reason()).containsExactly(
        "tdx.tcb_info.chain.tcb_signing.validity:cert_expired", "tdx.tcb_info.signer_at_issue:collateral_signer_expired",
        "tdx.tcb_info.fmspc:collateral_mismatch");
  }

  @Test
  void passingRootVendorCheckSaysTheRootIsIntels() throws Exception {
    Verdict v = run(c("dcap-qvl tdx_quote", "dcap-qvl/tdx_quote", Coll.NONE, QVL_TDX, TrustStatus.WARNING, null));
    assertThat(v.check("tdx.pck_chain.root_vendor")).hasValueSatisfying(c -> {
      assertThat(c.ok()).isTrue();
      assertThat(c.detail()).isEqualTo("root Intel SGX Root CA is Intel's").doesNotContain("not");
    });
  }

  /** A malformed CRL file in the collateral directory fails its own check and does not hide the other CRL. */
  @Test
  void malformedPckCrlFileDoesNotHideTheRootCaCrl() throws Exception {
    Path d = TdxVectors.bundleDirectory("dcap-qvl/tdx_quote_collateral.json", tmp.resolve("pckcrl-trunc"));
    Path pckCrl = d.resolve("sgx/certification/v4/pckcrl/platform");
    TdxVectors.writeFirstHalf(pckCrl, pckCrl);
    Verdict v = verifyWithDirectory(d);
    assertThat(v.failures()).extracting(f -> f.id() + ":" + f.reason())
        .containsExactly("tdx.collateral.pck_crl:collateral_malformed");
    assertThat(v.check("tdx.collateral.pck_crl").orElseThrow().detail()).contains("pckcrl/platform");
    assertThat(v.check("tdx.root_crl.signature")).hasValueSatisfying(c -> assertThat(c.ok()).isTrue());
    assertThat(v.check("tdx.root_crl.revocation.intermediate")).hasValueSatisfying(c -> assertThat(c.ok()).isTrue());
    assertThat(v.notRun()).extracting(n -> n.id() + ":" + n.reason()).containsExactly("tdx.pck_crl:collateral_malformed");
  }

  @Test
  void malformedRootCaCrlFileDoesNotHideThePckCrl() throws Exception {
    Path d = TdxVectors.bundleDirectory("dcap-qvl/tdx_quote_collateral.json", tmp.resolve("rootcrl-trunc"));
    Path rootCrl = d.resolve("sgx/certification/v4/rootcacrl");
    TdxVectors.writeFirstHalf(rootCrl, rootCrl);
    Verdict v = verifyWithDirectory(d);
    assertThat(v.failures()).extracting(f -> f.id() + ":" + f.reason())
        .containsExactly("tdx.collateral.root_crl:collateral_malformed");
    assertThat(v.check("tdx.pck_crl.signature")).hasValueSatisfying(c -> assertThat(c.ok()).isTrue());
    assertThat(v.check("tdx.pck_crl.revocation.pck")).hasValueSatisfying(c -> assertThat(c.ok()).isTrue());
    assertThat(v.notRun()).extracting(n -> n.id() + ":" + n.reason()).containsExactly("tdx.root_crl:collateral_malformed");
  }

  @Test
  void malformedTcbInfoIssuerChainDoesNotHideTheQeIdentity() throws Exception {
    Path d = TdxVectors.bundleDirectory("dcap-qvl/tdx_quote_collateral.json", tmp.resolve("tcb-chain-garbage"));
    Path chain;
    try (var files = java.nio.file.Files.list(d.resolve("tdx/certification/v4/tcb"))) {
      chain = files.filter(p -> p.toString().endsWith(".issuer-chain")).findFirst().orElseThrow();
    }
    java.nio.file.Files.writeString(chain, "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n");
    Verdict v = verifyWithDirectory(d);
    assertThat(v.failures()).extracting(f -> f.id() + ":" + f.reason())
        .containsExactly("tdx.collateral.tcb_info:collateral_malformed");
    assertThat(v.check("tdx.qe_identity.signature")).hasValueSatisfying(c -> assertThat(c.ok()).isTrue());
    assertThat(v.check("tdx.root_crl.revocation.qe_identity_signer")).hasValueSatisfying(c -> assertThat(c.ok()).isTrue());
    assertThat(v.notRun()).extracting(n -> n.id() + ":" + n.reason()).contains("tdx.tcb_info:collateral_malformed");
  }

  private Verdict verifyWithDirectory(Path d) throws Exception {
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new TdxVerifier());
    return verifiers.verify(VerificationRequest.builder().evidence(TdxVectors.read("dcap-qvl/tdx_quote")).at(QVL_TDX)
        .collateralDir(d).build());
  }
}
