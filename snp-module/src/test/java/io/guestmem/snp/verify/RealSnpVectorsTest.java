package io.guestmem.snp.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.InvalidRequestException;
import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.ear.VerdictJson;
import io.guestmem.attestation.policy.AppraisalPolicy;
import io.guestmem.attestation.policy.PolicyException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import io.guestmem.attestation.pki.Certificates;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every real SNP vector in ../shared/vectors gives the result MANIFEST.md records, at a fixed time,
 * and each MANIFEST negative case gives its specific reason. All disagreements are collected and
 * reported together.
 */
class RealSnpVectorsTest {
  /** Inside every VCEK's validity and every KDS CRL's window (MANIFEST §2). */
  static final Instant T = Instant.parse("2026-04-12T00:00:00Z");
  /** Inside the AWS VLEK's one-year validity and the Milan CRL window. */
  static final Instant T_VLEK = Instant.parse("2025-06-01T00:00:00Z");

  record Case(String name, String report, List<String> certs, String crl, Instant at, String policy,
      Consumer<byte[]> mutation, TrustStatus status, List<String> failures) {}

  static Case ok(String name, String report, List<String> certs, String crl, Instant at) {
    return new Case(name, report, certs, crl, at, "{}", b -> {}, TrustStatus.AFFIRMING, List.of());
  }

  static Case neg(String name, String report, List<String> certs, String crl, Instant at, String policy,
      Consumer<byte[]> mutation, String... failures) {
    return new Case(name, report, certs, crl, at, policy, mutation, TrustStatus.CONTRAINDICATED, List.of(failures));
  }

  static final List<String> MILAN_GSG = List.of("go-sev-guest/vcek.testcer", "go-sev-guest/ask_ark_milan.pem");
  static final List<String> MILAN_VIRTEE = List.of("virtee-sev/vcek_milan.der", "go-sev-guest/ask_ark_milan.pem");
  static final List<String> MILAN_TRUSTEE = List.of("trustee/snp/test-vcek.der", "go-sev-guest/ask_ark_milan.pem");
  static final List<String> MILAN_VLEK = List.of("trustee/snp/test-vlek.der", "go-sev-guest/ask_ark_milan_vlek.pem");
  static final String MILAN_CRL = "cyntrisec-kds/Milan/crl.der";
  static final String GENOA_CRL = "cyntrisec-kds/Genoa/crl.der";
  static final String TURIN_CRL = "cyntrisec-kds/Turin/crl.der";
  static final String GENOA_V5 = "routex-client-lua/DERIVED.attestation_spec.genoa-v5.report.bin";
  static final List<String> GENOA_V5_CHAIN = List.of("routex-client-lua/vcek-chain-genoa-v5.pem");
  static final String ROUTEX_GENOA_POLICY = "{\"snp\":{\"minimumCommittedVersion\":\"1.55.49\","
      + "\"minimumCommittedTcb\":{\"snp\":27},\"maxVmpl\":3,\"signingKey\":\"vcek\","
      + "\"platformInfoRequired\":[\"ALIAS_CHECK_COMPLETE\"],\"guestPolicyForbidden\":[\"DEBUG\"]}}";

  static List<Case> cases() {
    return List.of(
        ok("go-sev-guest Milan v2 happy path", "go-sev-guest/attestation.bin", MILAN_GSG, MILAN_CRL, T),
        ok("virtee Milan v2", "virtee-sev/report_milan.hex", MILAN_VIRTEE, MILAN_CRL, T),
        ok("trustee Milan v2", "trustee/snp/test-report.bin", MILAN_TRUSTEE, MILAN_CRL, T),
        ok("trustee AWS VLEK, VMPL 1, within the VLEK's year", "trustee/snp/test-vlek-report.bin", MILAN_VLEK,
            MILAN_CRL, T_VLEK),
        ok("routex Milan v3 signature and chain", "routex-client-lua/DERIVED.attestation_spec.milan-v3.report.bin",
            List.of("routex-client-lua/vcek-chain-milan.pem"), MILAN_CRL, T),
        ok("routex Genoa v3 signature and chain", "routex-client-lua/DERIVED.attestation_spec.genoa-v3.report.bin",
            List.of("routex-client-lua/vcek-chain-genoa.pem"), GENOA_CRL, T),
        new Case("routex Genoa v5 passes the routex policy", GENOA_V5, GENOA_V5_CHAIN, GENOA_CRL, T,
            ROUTEX_GENOA_POLICY, b -> {}, TrustStatus.AFFIRMING, List.of()),
        ok("routex Turin v5 (8-byte hwID, FMC-first TCB)", "routex-client-lua/DERIVED.attestation_spec.turin-v5.report.bin",
            List.of("routex-client-lua/vcek-chain-turin.pem"), TURIN_CRL, T),
        new Case("without a CRL, revocation is not run: warning", "go-sev-guest/attestation.bin", MILAN_GSG, null, T,
            "{}", b -> {}, TrustStatus.WARNING, List.of()),

        // Policy negatives with valid signatures (routex attestation_spec.lua).
        neg("routex Milan v3 committed version below 1.55.35",
            "routex-client-lua/DERIVED.attestation_spec.milan-v3.report.bin", List.of("routex-client-lua/vcek-chain-milan.pem"),
            MILAN_CRL, T, "{\"snp\":{\"minimumCommittedVersion\":\"1.55.35\"}}", b -> {},
            "snp.policy.minimum_committed_version:below_minimum"),
        neg("routex Genoa v3 committed version below 1.55.49",
            "routex-client-lua/DERIVED.attestation_spec.genoa-v3.report.bin", List.of("routex-client-lua/vcek-chain-genoa.pem"),
            GENOA_CRL, T, "{\"snp\":{\"minimumCommittedVersion\":\"1.55.49\"}}", b -> {},
            "snp.policy.minimum_committed_version:below_minimum"),
        neg("routex Turin v5 committed version below 1.55.65",
            "routex-client-lua/DERIVED.attestation_spec.turin-v5.report.bin", List.of("routex-client-lua/vcek-chain-turin.pem"),
            TURIN_CRL, T, "{\"snp\":{\"minimumCommittedVersion\":\"1.55.65\",\"minimumCommittedTcb\":{\"snp\":4}}}", b -> {},
            "snp.policy.minimum_committed_tcb:below_minimum", "snp.policy.minimum_committed_version:below_minimum"),
        neg("go-sev-guest VMPL 1 required", "go-sev-guest/attestation.bin", MILAN_GSG, MILAN_CRL, T,
            "{\"snp\":{\"vmpl\":1}}", b -> {}, "snp.policy.vmpl:policy_violation"),
        neg("go-sev-guest debug forbidden (report policy 0xb0000 allows debug)", "go-sev-guest/attestation.bin",
            MILAN_GSG, MILAN_CRL, T, "{\"snp\":{\"guestPolicyForbidden\":[\"DEBUG\"]}}", b -> {},
            "snp.policy.guest_policy:debug_not_allowed"),
        neg("go-sev-guest minimum launch TCB + 1", "go-sev-guest/attestation.bin", MILAN_GSG, MILAN_CRL, T,
            "{\"snp\":{\"minimumLaunchTcb\":{\"bootLoader\":2,\"tee\":0,\"snp\":6,\"microcode\":68}}}", b -> {},
            "snp.policy.minimum_launch_tcb:below_minimum"),
        neg("go-sev-guest author key required", "go-sev-guest/attestation.bin", MILAN_GSG, MILAN_CRL, T,
            "{\"snp\":{\"requireAuthorKey\":true}}", b -> {}, "snp.policy.author_key_required:policy_violation"),
        neg("go-sev-guest platform info must not have SMT", "go-sev-guest/attestation.bin", MILAN_GSG, MILAN_CRL, T,
            "{\"snp\":{\"platformInfoForbidden\":[\"SMT_EN\"]}}", b -> {}, "snp.policy.platform_info:policy_violation"),
        neg("Milan v2 has no mitigation vectors", "go-sev-guest/attestation.bin", MILAN_GSG, MILAN_CRL, T,
            "{\"snp\":{\"requiredLaunchMitigationVector\":\"0x1\"}}", b -> {},
            "snp.policy.launch_mitigation_vector:below_minimum"),

        // Byte flips (virtee milan_report_invalid, trustee check_report_*_failure, routex Genoa v5 mutations).
        neg("virtee report byte 21 ^= 0x80 (FAMILY_ID)", "virtee-sev/report_milan.hex", MILAN_VIRTEE, MILAN_CRL, T, "{}",
            b -> b[21] ^= (byte) 0x80, "snp.report.signature:signature_invalid"),
        neg("trustee report byte 42 += 1", "trustee/snp/test-report.bin", MILAN_TRUSTEE, MILAN_CRL, T, "{}",
            b -> b[42] += 1, "snp.report.signature:signature_invalid"),
        neg("trustee REPORTED_TCB byte 384 += 1", "trustee/snp/test-report.bin", MILAN_TRUSTEE, MILAN_CRL, T, "{}",
            b -> b[384] += 1, "snp.report.signature:signature_invalid", "snp.report.reported_tcb:tcb_mismatch"),
        neg("trustee VLEK REPORTED_TCB byte 384 += 1", "trustee/snp/test-vlek-report.bin", MILAN_VLEK, MILAN_CRL, T_VLEK,
            "{}", b -> b[384] += 1, "snp.report.signature:signature_invalid", "snp.report.reported_tcb:tcb_mismatch"),
        neg("routex Genoa v5 signature R overwritten", GENOA_V5, GENOA_V5_CHAIN, GENOA_CRL, T, "{}",
            b -> java.util.Arrays.fill(b, 0x2A0, 0x2D0, (byte) 'W'), "snp.report.signature:signature_invalid"),
        neg("routex Genoa v5 REPORTED_TCB.tee + 1", GENOA_V5, GENOA_V5_CHAIN, GENOA_CRL, T, "{}",
            b -> b[0x181] += 1, "snp.report.signature:signature_invalid", "snp.report.reported_tcb:tcb_mismatch"),
        neg("routex Genoa v5 committed build - 1", GENOA_V5, GENOA_V5_CHAIN, GENOA_CRL, T, ROUTEX_GENOA_POLICY,
            b -> b[0x1EC] -= 1, "snp.report.signature:signature_invalid",
            "snp.policy.minimum_committed_version:below_minimum"),
        neg("routex Genoa v5 VMPL 4", GENOA_V5, GENOA_V5_CHAIN, GENOA_CRL, T, ROUTEX_GENOA_POLICY,
            b -> b[0x30] = 4, "snp.report.vmpl:reserved_value", "snp.report.signature:signature_invalid",
            "snp.policy.max_vmpl:policy_violation"),
        neg("routex Genoa v5 signing key none", GENOA_V5, GENOA_V5_CHAIN, GENOA_CRL, T, "{}",
            b -> b[0x48] = 7 << 2, "snp.report.signing_key:unsigned_evidence"),
        neg("routex Genoa v5 debug policy bit", GENOA_V5, GENOA_V5_CHAIN, GENOA_CRL, T, ROUTEX_GENOA_POLICY,
            b -> b[0x0A] |= 0x08, "snp.report.signature:signature_invalid", "snp.policy.guest_policy:debug_not_allowed"),
        neg("non-zero byte in the 368 unsigned reserved bytes (TAV#141)", GENOA_V5, GENOA_V5_CHAIN, GENOA_CRL, T, "{}",
            b -> b[0x400] = 1, "snp.report.structure:must_be_zero_violation"),
        neg("unknown report version 6", GENOA_V5, GENOA_V5_CHAIN, GENOA_CRL, T, "{}",
            b -> b[0] = 6, "snp.report.structure:unsupported_version"),
        neg("guest policy bit 17 clear", GENOA_V5, GENOA_V5_CHAIN, GENOA_CRL, T, "{}",
            b -> b[0x0A] &= ~0x02, "snp.report.guest_policy:reserved_value", "snp.report.signature:signature_invalid"),

        // Chains and time.
        neg("VLEK report at 2026: the VLEK expired 2025-12-10", "trustee/snp/test-vlek-report.bin", MILAN_VLEK, MILAN_CRL,
            Instant.parse("2026-01-15T00:00:00Z"), "{}", b -> {}, "snp.chain.vlek.validity:cert_expired"),
        neg("far future 2053: VCEK, ASK, ARK and CRL expired", "go-sev-guest/attestation.bin", MILAN_GSG, MILAN_CRL,
            Instant.parse("2053-07-01T01:00:00Z"), "{}", b -> {}, "snp.chain.vcek.validity:cert_expired",
            "snp.chain.ask.validity:cert_expired", "snp.chain.ark.validity:cert_expired", "snp.crl.validity:crl_expired"),
        neg("Milan CRL after its nextUpdate", "go-sev-guest/attestation.bin", MILAN_GSG, MILAN_CRL,
            Instant.parse("2026-06-01T00:00:00Z"), "{}", b -> {}, "snp.crl.validity:crl_expired"),
        neg("VCEK checked against the ASVK", "go-sev-guest/attestation.bin",
            List.of("go-sev-guest/vcek.testcer", "go-sev-guest/ask_ark_milan_vlek.pem"), MILAN_CRL, T, "{}", b -> {},
            "snp.chain.vcek.issuer:issuer_mismatch", "snp.chain.vcek.signature:cert_signature_invalid"),
        neg("Genoa CRL for a Milan chain", "go-sev-guest/attestation.bin", MILAN_GSG, GENOA_CRL, T, "{}", b -> {},
            "snp.crl.issuer:crl_issuer_mismatch", "snp.crl.signature:crl_signature_invalid"),
        neg("VLEK report without a VLEK certificate", "trustee/snp/test-vlek-report.bin",
            List.of("go-sev-guest/ask_ark_milan_vlek.pem"), MILAN_CRL, T_VLEK, "{}", b -> {},
            "snp.vek.present:chain_missing"),
        neg("VCEK of another chip (virtee VCEK for the go-sev-guest report)", "go-sev-guest/attestation.bin",
            MILAN_VIRTEE, MILAN_CRL, T, "{}", b -> {}, "snp.report.signature:signature_invalid",
            "snp.report.reported_tcb:tcb_mismatch", "snp.report.chip_id:identity_mismatch"));
  }

  static Verdict run(Case c) throws InvalidRequestException, PolicyException {
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new SnpVerifier());
    return verifiers.verify(request(c, verifiers));
  }

  static VerificationRequest request(Case c, Verifiers verifiers) throws InvalidRequestException, PolicyException {
    byte[] report = SnpVectors.report(c.report());
    c.mutation().accept(report);
    VerificationRequest.Builder b = VerificationRequest.builder().evidence(report).at(c.at())
        .policy(AppraisalPolicy.parse(c.policy().getBytes(StandardCharsets.UTF_8), verifiers.plugins()));
    c.certs().forEach(f -> b.certificateFile(SnpVectors.path(f)));
    if (c.crl() != null) {
      b.crlFile(SnpVectors.path(c.crl()));
    }
    return b.build();
  }

  @Test
  void everyRealSnpVector_givesTheManifestResult() throws Exception {
    List<String> disagreements = new ArrayList<>();
    for (Case c : cases()) {
      Verdict v = run(c);
      List<String> failures = v.failures().stream().map(f -> f.id() + ":" + f.reason()).toList();
      boolean ok = v.status() == c.status() && (c.failures().isEmpty() && c.status() == TrustStatus.CONTRAINDICATED
          ? !failures.isEmpty() : failures.equals(c.failures()));
      if (!ok) {
        disagreements.add(c.name() + ": expected " + c.status() + " " + c.failures() + ", got " + v.status() + " "
            + failures + (v.notRun().isEmpty() ? "" : " notRun " + v.notRun()));
      }
    }
    assertThat(disagreements).as("disagreements with MANIFEST.md").isEmpty();
  }

  @Test
  void genoaVcekWithOnlyTheTurinChain_isIssuerMismatchAndWrongProductRoot(@TempDir Path tmp) throws Exception {
    // routex vcek_spec.lua: "Expected issuer SEV-Genoa, got: SEV-Turin". The VCEK alone is written to a
    // temporary file (outside the project) so the Genoa ASK of its PEM bundle is not available.
    byte[] bundle = Files.readAllBytes(SnpVectors.path("routex-client-lua/vcek-chain-genoa-v5.pem"));
    Path vcek = tmp.resolve("genoa-vcek.der");
    Files.write(vcek, Certificates.parseAll(bundle, "bundle").get(0).getEncoded());
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new SnpVerifier());
    Verdict v = verifiers.verify(VerificationRequest.builder().evidence(SnpVectors.report(GENOA_V5)).at(T)
        .certificateFile(vcek).certificateFile(SnpVectors.path("go-sev-guest/ask_ark_turin_vcek.pem")).build());
    assertThat(v.failures()).extracting(f -> f.id() + ":" + f.reason()).containsExactly(
        "snp.chain.vcek.issuer:issuer_mismatch", "snp.chain.vcek.signature:cert_signature_invalid",
        "snp.chain.root_product:product_mismatch");
    assertThat(v.signatureValid()).isFalse();
  }

  @Test
  void turinReport_claimsTheTurinLayoutAndIsAffirming() throws Exception {
    Verdict v = run(ok("turin", "routex-client-lua/DERIVED.attestation_spec.turin-v5.report.bin",
        List.of("routex-client-lua/vcek-chain-turin.pem"), TURIN_CRL, T));
    assertThat(v.status()).isEqualTo(TrustStatus.AFFIRMING);
    assertThat(v.trustAnchor()).isEqualTo("ARK-Turin");
    assertThat(v.claims().get("product")).isEqualTo("Turin");
    assertThat((String) v.claims().get("reportedTcb")).startsWith("TCB{fmc=");
    assertThat(v.check("snp.report.chip_id").orElseThrow().detail()).contains("8-byte");
    String json = VerdictJson.toJson(v);
    assertThat(json).contains("\"status\" : \"affirming\"", "\"signatureValid\" : true");
  }

  @Test
  void unknownGuestPolicyBits_areSurfacedAsClaims_notParseFailures_andPolicyDecides() throws Exception {
    Consumer<byte[]> bit30 = b -> b[0x0B] |= 0x40;
    Verdict lenient = run(new Case("bit 30", GENOA_V5, GENOA_V5_CHAIN, GENOA_CRL, T, "{}", bit30,
        TrustStatus.CONTRAINDICATED, List.of()));
    assertThat(lenient.claims().get("policy.unknownBits")).isEqualTo("0x0000000040000000");
    assertThat(lenient.check("snp.report.structure")).hasValueSatisfying(c -> assertThat(c.ok()).isTrue());
    Verdict strict = run(new Case("bit 30", GENOA_V5, GENOA_V5_CHAIN, GENOA_CRL, T,
        "{\"snp\":{\"allowUnknownPolicyBits\":false}}", bit30, TrustStatus.CONTRAINDICATED, List.of()));
    assertThat(strict.failures()).extracting(f -> f.id() + ":" + f.reason()).containsExactly(
        "snp.report.signature:signature_invalid", "snp.policy.guest_policy_unknown_bits:policy_violation");
  }
}
