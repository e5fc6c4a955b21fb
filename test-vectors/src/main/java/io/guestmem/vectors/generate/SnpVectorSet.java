package io.guestmem.vectors.generate;

import io.guestmem.memory.Lease;
import io.guestmem.memory.LeaseRequest;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryException;
import io.guestmem.snp.abi.AttestationReport;
import io.guestmem.snp.abi.Bytes;
import io.guestmem.snp.abi.MalformedLayoutException;
import io.guestmem.snp.abi.SnpProduct;
import io.guestmem.snp.abi.TcbVersion;
import io.guestmem.snp.abi.VekExtensions;
import io.guestmem.snp.emu.EmulatedKds;
import io.guestmem.snp.emu.SnpEmulation;
import io.guestmem.vectors.format.AttestationCase;
import io.guestmem.vectors.format.AttestationInputs;
import io.guestmem.vectors.format.Evidence;
import io.guestmem.vectors.format.FileRef;
import io.guestmem.vectors.format.InputRoot;
import io.guestmem.vectors.format.Mutation;
import io.guestmem.vectors.format.Provenance;
import io.guestmem.vectors.format.VectorCase;
import io.guestmem.vectors.format.VectorGroup;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.UnaryOperator;

/**
 * The {@code snp-emulated} group: ATTESTATION_REPORTs v2, v3 and v5 for Milan, Genoa and Turin,
 * signed by VCEKs and VLEKs of the emulated AMD hierarchy (seed 1, KDS issued
 * {@link EmulatedKds#DEFAULT_ISSUED_AT}), with KDS-layout collateral; appraised at {@link #AT} with
 * the emulated ARK trusted. Positives for every product, report version and signer, both hwID
 * encodings; one-mutation negatives for evidence-formats.md §2.6–2.9 and §2.11.
 */
final class SnpVectorSet {
  static final long SEED = 1;
  static final Instant AT = Instant.parse("2026-07-01T00:00:00Z");
  static final String GROUP = "snp-emulated";

  /** How the VEK reaches the verifier in a variant. */
  enum Delivery {
    /** The KDS directory (VCEK by its KDS path): exercises the verifier's KDS URL construction. */
    KDS,
    /** The VCEK, the ASK/ARK cert_chain and the CRL from the KDS tree, each given as a file (small, deduplicated). */
    FILES,
    /** The extended-request certificate table appended to the report, plus the product's CRL. */
    CERT_TABLE,
    /** A VCEK issued here with a hwID encoding, certified TCB or product name of the variant's choosing. */
    CUSTOM_VCEK,
    /** The VLEK file with the VCEK chain (ASK and ARK) and the CRL: no ASVK. */
    VLEK_WITHOUT_ASVK
  }

  record Variant(SnpEmulation.Options options, Delivery delivery, UnaryOperator<EmulatedKds.VekRequest> customVcek) {}

  private final Map<String, Variant> variants = new LinkedHashMap<>();
  private final Map<CaseSpec, String> variantOf = new LinkedHashMap<>();
  private final List<CaseSpec> specs = new ArrayList<>();

  private static SnpEmulation.Options base(SnpProduct p, int version) {
    return SnpEmulation.Options.defaults(Path.of("unused")).withProduct(p).withReportVersion(version).withSeed(SEED);
  }

  private String variant(String name, SnpEmulation.Options o) {
    return variant(name, o, Delivery.FILES, r -> r);
  }

  private String variant(String name, SnpEmulation.Options o, Delivery d, UnaryOperator<EmulatedKds.VekRequest> custom) {
    variants.put(name, new Variant(o, d, custom));
    return name;
  }

  private CaseSpec c(String variant, String id, String comment) {
    CaseSpec s = new CaseSpec(id, comment, AT);
    specs.add(s);
    variantOf.put(s, variant);
    return s;
  }

  private static String p(SnpProduct p) {
    return p.kdsName().toLowerCase(Locale.ROOT);
  }

  private void define() {
    // Positives: every product x report version (VCEK), VLEK per product, both hwID encodings.
    for (SnpProduct prod : SnpProduct.values()) {
      for (int version : new int[] {2, 3, 5}) {
        String name = p(prod) + "-v" + version + "-vcek";
        c(variant(name, base(prod, version), Delivery.KDS, r -> r), name, prod.kdsName() + " report v" + version + " signed by the VCEK, "
            + "VCEK from the KDS directory" + (version == 2 ? " (v2: no CPUID fields; product from the VCEK)" : ""))
            .affirming();
      }
      String vlek = p(prod) + "-v5-vlek";
      c(variant(vlek, base(prod, 5).withSigner(SnpEmulation.Signer.VLEK), Delivery.CERT_TABLE, r -> r), vlek,
          prod.kdsName() + " report v5 signed by a VLEK, certificates from the extended-request certificate table").affirming();
      String raw = p(prod) + "-v5-hwid-raw";
      c(variant(raw, base(prod, 5), Delivery.CUSTOM_VCEK, r -> r.withHwIdEncoding(VekExtensions.HwIdEncoding.RAW)), raw,
          prod.kdsName() + " VCEK whose hwID extension is the raw " + prod.hwIdLength() + " bytes without a DER tag (older KDS certificates)")
          .affirming();
    }
    String milan = "milan-v5-vcek";
    String milanV2 = "milan-v2-vcek";

    c(milan, "milan-v5-emulated-ark-not-trusted", "the emulated ARK is trusted only when configured").untrusted()
        .contraindicated("snp.chain.root_pinned:untrusted_root");
    String nonce = "67756573746d656d2d736e702d6e6f6e6365";
    String withNonce = variant("milan-v5-nonce", base(SnpProduct.MILAN, 5).withReportData(Bytes.fromHex(nonce)));
    c(withNonce, "milan-v5-nonce-bound", "REPORT_DATA carries the relying party's nonce").nonce(nonce).affirming();
    c(withNonce, "milan-v5-nonce-mismatch", "Nonce != REPORT_DATA (Veraison)").nonce("6f74686572")
        .contraindicated("policy.nonce:nonce_mismatch");

    // §2.6 structure: must-be-zero ranges one at a time, versions, reserved values, truncation, trailing data.
    for (int[] mbz : new int[][] {{0x04C, 0}, {0x18B, 0}, {0x1EB, 0}, {0x1EF, 0}, {0x208, 0}, {0x29F, 0}, {0x2D0, 0},
        {0x318, 0}, {0x330, 0}, {0x49F, 0}}) {
      int off = mbz[0];
      c(milan, String.format("milan-v5-mbz-0x%03x", off), String.format("must-be-zero byte 0x%03x set%s", off,
          off >= 0x330 ? " (unsigned reserved area after the signature, Microsoft TAV#141)" : off >= 0x2A0 ? " (signature zero padding)" : ""))
          .mutate(Mutation.set(off, 1)).contraindicated("snp.report.structure:must_be_zero_violation");
    }
    c(milanV2, "milan-v2-mbz-cpuid-bytes", "v2 has no CPUID fields: byte 0x188 is reserved and must be zero")
        .mutate(Mutation.set(0x188, 0x19)).contraindicated("snp.report.structure:must_be_zero_violation");
    for (int v : new int[] {1, 6, 31}) {
      c(milan, "milan-v5-version-" + v, "report version " + v + " is rejected explicitly (not treated as v5)")
          .mutate(Mutation.set(0, v)).contraindicated("snp.report.structure:unsupported_version");
    }
    for (int v : new int[] {0, 0xFF}) {
      c(milan, "milan-v5-version-" + v, "report version " + v + ": not recognised as an SNP report at all, the request is refused")
          .mutate(Mutation.set(0, v)).requestError("unknown_evidence");
    }
    c(milan, "milan-v5-policy-bit-17-clear", "guest policy reserved bit 17 (must be one) clear")
        .mutate(Mutation.xor(0x0A, 0x02)).contraindicated("snp.report.guest_policy:reserved_value", "snp.report.signature:signature_invalid");
    c(milan, "milan-v5-signing-key-reserved", "KEY_INFO.SIGNING_KEY 3 (reserved)").mutate(Mutation.set(0x48, 3 << 2))
        .contraindicated("snp.report.signing_key:reserved_value");
    c(milan, "milan-v5-signing-key-none", "KEY_INFO.SIGNING_KEY 7 (none): unsigned").mutate(Mutation.set(0x48, 7 << 2))
        .contraindicated("snp.report.signing_key:unsigned_evidence");
    c(milan, "milan-v5-vmpl-4", "VMPL 4 is not a VMPL").mutate(Mutation.set(0x30, 4))
        .contraindicated("snp.report.vmpl:reserved_value", "snp.report.signature:signature_invalid");
    c(milan, "milan-v5-signature-algo-2", "SIGNATURE_ALGO 2 (not ECDSA P-384 with SHA-384) on a v5 report: not recognised, refused")
        .mutate(Mutation.set(0x34, 2)).requestError("unknown_evidence");
    c(milan, "milan-v5-truncated-1183", "report one byte short: refused").mutate(Mutation.truncate(1183))
        .requestError("unknown_evidence");
    c(milan, "milan-v5-truncated-signed-region", "report cut at the end of the signed region (0x2A0): refused")
        .mutate(Mutation.truncate(0x2A0)).requestError("unknown_evidence");

    // §2.7 signatures and chain.
    c(milan, "milan-v5-family-id-byte", "byte 21 (FAMILY_ID) changed: signature").mutate(Mutation.xor(21, 0x80))
        .contraindicated("snp.report.signature:signature_invalid");
    c(milan, "milan-v5-measurement-byte", "MEASUREMENT byte changed: signature").mutate(Mutation.xor(0x90, 0x01))
        .contraindicated("snp.report.signature:signature_invalid");
    c(milan, "milan-v5-signature-r-zero", "SIGNATURE.R all zero").mutate(Mutation.fill(0x2A0, 48, 0))
        .contraindicated("snp.report.signature:signature_invalid");
    String milanVcekFile = variant("milan-v5-vcek-file", base(SnpProduct.MILAN, 5), Delivery.FILES, r -> r);
    c(milan, "milan-v5-reported-tcb-byte-kds", "REPORTED_TCB.SNP + 1 with the KDS directory: the VCEK for that TCB is not there")
        .mutate(Mutation.add(0x186, 1)).contraindicated("snp.vek.present:chain_missing");
    c(milanVcekFile, "milan-v5-reported-tcb-byte", "REPORTED_TCB.SNP + 1: signature, and the VCEK's TCB no longer matches")
        .mutate(Mutation.add(0x186, 1)).contraindicated("snp.report.signature:signature_invalid", "snp.report.reported_tcb:tcb_mismatch");
    c(variant("milan-v5-vlek-no-vlek", base(SnpProduct.MILAN, 5).withSigner(SnpEmulation.Signer.VLEK), Delivery.KDS, r -> r),
        "milan-v5-vlek-missing",
        "report says VLEK but no VLEK certificate is available (ErrMissingVlek)").contraindicated("snp.vek.present:chain_missing");
    c(variant("milan-v5-vlek-no-asvk", base(SnpProduct.MILAN, 5).withSigner(SnpEmulation.Signer.VLEK), Delivery.VLEK_WITHOUT_ASVK,
        r -> r), "milan-v5-vlek-without-asvk", "VLEK certificate given with the VCEK chain (ASK and ARK) but no ASVK: the VLEK is checked against the ASK and fails")
        .contraindicated("snp.chain.vlek.issuer:issuer_mismatch", "snp.chain.vlek.signature:cert_signature_invalid");

    // §2.8 metadata and revocation; time.
    c(variant("milan-v5-ask-revoked", base(SnpProduct.MILAN, 5).withRevokedSerials(List.of(BigInteger.valueOf(0x10001)))),
        "milan-v5-ask-revoked", "the ASK serial is on the ARK-signed CRL").contraindicated("snp.crl.revocation.ask:revoked");
    c(variant("milan-v5-vcek-revoked", base(SnpProduct.MILAN, 5).withRevokedSerials(List.of(BigInteger.ZERO))),
        "milan-v5-vcek-revoked", "the VCEK serial (0) is on the CRL").contraindicated("snp.crl.revocation.vcek:revoked");
    c(variant("milan-v5-vcek-expired", base(SnpProduct.MILAN, 5).withVekValidity(
        EmulatedKds.Validity.of(Instant.parse("2025-01-01T00:00:00Z"), Duration.ofDays(365)))), "milan-v5-vcek-expired",
        "VCEK expired at the injected now (Dstack#1140)").contraindicated("snp.chain.vcek.validity:cert_expired");
    c(variant("milan-v5-vcek-not-yet-valid", base(SnpProduct.MILAN, 5).withVekValidity(
        EmulatedKds.Validity.of(Instant.parse("2026-08-01T00:00:00Z"), Duration.ofDays(7 * 365)))), "milan-v5-vcek-not-yet-valid",
        "VCEK valid only from a month after now").contraindicated("snp.chain.vcek.validity:cert_not_yet_valid");
    c(milan, "milan-v5-crl-expired", "the KDS CRL after its nextUpdate (one year)").at(Instant.parse("2027-06-02T00:00:00Z"))
        .contraindicated("snp.crl.validity:crl_expired");
    c(milan, "milan-v5-crl-not-yet-valid", "the KDS CRL before its thisUpdate").at(Instant.parse("2026-05-31T00:00:00Z"))
        .contraindicated("snp.chain.vcek.validity:cert_not_yet_valid", "snp.crl.validity:crl_not_yet_valid");
    c(variant("milan-v5-hwid-other-chip", base(SnpProduct.MILAN, 5).withCertifiedHwId(Bytes.zeros(64)), Delivery.FILES, r -> r),
        "milan-v5-vcek-other-chip", "the VCEK names another chip (hwID != CHIP_ID)").contraindicated("snp.report.chip_id:identity_mismatch");
    c(variant("milan-v5-vcek-tcb-differs", base(SnpProduct.MILAN, 5), Delivery.CUSTOM_VCEK, r -> r.withCertifiedTcb(
        TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, r.tcb().bootLoader(), r.tcb().tee(), r.tcb().snp() + 1, r.tcb().microcode()))),
        "milan-v5-vcek-tcb-differs", "VCEK TCB extensions differ from REPORTED_TCB although the key signs the report")
        .contraindicated("snp.report.reported_tcb:tcb_mismatch");
    c(variant("milan-v5-vcek-genoa-product", base(SnpProduct.MILAN, 5), Delivery.CUSTOM_VCEK, r -> r.withProductName("Genoa-B1")),
        "milan-v5-vcek-product-genoa", "a Milan chip's VCEK whose productName says Genoa").contraindicated("snp.vek.product:product_mismatch");
    String turinVcekFile = variant("turin-v5-vcek-file", base(SnpProduct.TURIN, 5), Delivery.FILES, r -> r);
    c(turinVcekFile, "turin-v5-cpuid-says-milan", "Turin report whose CPUID family byte says Zen 3 (0x19): Milan layout on a Turin VCEK")
        .mutate(Mutation.set(0x188, 0x19)).contraindicated("snp.vek.product:product_mismatch", "snp.report.signature:signature_invalid");

    // Regression inputs found by fuzzing.
    c("genoa-v5-vlek", "genoa-v5-vlek-fuzz-cert-table-name-byte", "fuzz regression: byte 0x663 of report + certificate table "
        + "(inside the VLEK's issuer name) := 0x02, so an AttributeTypeAndValue holds an INTEGER: the VLEK is unusable "
        + "(it once escaped as IllegalArgumentException)").mutate(Mutation.set(0x663, 0x02)).tag(GeneratedTags.FUZZ_REGRESSION)
        .contraindicated("snp.vek.present:chain_missing");

    // Wrong chains and CRLs: genuine certificates of another product's hierarchy.
    String milanFiles = variant("milan-v5-files", base(SnpProduct.MILAN, 5));
    String genoaFiles = variant("genoa-v5-files", base(SnpProduct.GENOA, 5));
    c(milanFiles, "milan-v5-vcek-files", "Milan v5 with the VCEK, ASK/ARK and CRL given as files").affirming();
    c(milanFiles, "milan-v5-vcek-with-genoa-chain", "a Milan VCEK checked against the Genoa ASK and ARK (wrong issuer, "
        + "cross-generation)").chainFrom(genoaFiles).crlFrom(genoaFiles)
        .contraindicated("snp.chain.root_pinned:untrusted_root", "snp.chain.vcek.issuer:issuer_mismatch",
            "snp.chain.vcek.signature:cert_signature_invalid");
    c(milanFiles, "milan-v5-genoa-crl", "the Genoa CRL for a Milan chain: not signed by this ARK").crlFrom(genoaFiles)
        .contraindicated("snp.crl.issuer:crl_issuer_mismatch", "snp.crl.signature:crl_signature_invalid");
    c(variant("milan-v5-vcek-unknown-product", base(SnpProduct.MILAN, 5), Delivery.CUSTOM_VCEK, r -> r.withProductName("Rome-B0")),
        "milan-v5-vcek-product-unknown", "a VCEK whose productName names no SEV-SNP product (Rome-B0)")
        .contraindicated("snp.vek.product:product_mismatch");

    // §2.9 TCB and policy, §2.11.
    c(variant("milan-v5-vmpl-2", base(SnpProduct.MILAN, 5).withVmpl(2)), "milan-v5-vmpl-2-policy-0",
        "report at VMPL 2, policy requires VMPL 0 (CCF#6583)").policy("{\"snp\":{\"vmpl\":0}}")
        .contraindicated("snp.policy.vmpl:policy_violation");
    c("milan-v5-vmpl-2", "milan-v5-vmpl-2-max-1", "report at VMPL 2 above a maximum of 1").policy("{\"snp\":{\"maxVmpl\":1}}")
        .contraindicated("snp.policy.max_vmpl:policy_violation");
    c(variant("milan-v5-debug", base(SnpProduct.MILAN, 5).withDebugPolicy(true)), "milan-v5-debug-forbidden",
        "guest policy DEBUG set, forbidden by policy").policy("{\"snp\":{\"guestPolicyForbidden\":[\"DEBUG\"]}}")
        .contraindicated("snp.policy.guest_policy:debug_not_allowed");
    c(variant("milan-v5-no-id-block", base(SnpProduct.MILAN, 5).withIdBlock(false)), "milan-v5-author-key-required",
        "no ID block and no author key, author key required").policy("{\"snp\":{\"requireAuthorKey\":true}}")
        .contraindicated("snp.policy.author_key_required:policy_violation");
    c(milan, "milan-v5-minimum-reported-tcb", "REPORTED_TCB.SNP below the policy minimum")
        .policy("{\"snp\":{\"minimumReportedTcb\":{\"snp\":250}}}").contraindicated("snp.policy.minimum_reported_tcb:below_minimum");
    c(milan, "milan-v5-minimum-committed-version", "committed firmware version below the policy minimum")
        .policy("{\"snp\":{\"minimumCommittedVersion\":\"99.0.0\"}}")
        .contraindicated("snp.policy.minimum_committed_version:below_minimum");
    c(milan, "milan-v5-signing-key-vlek-required", "policy requires a VLEK, the report is VCEK-signed")
        .policy("{\"snp\":{\"signingKey\":\"vlek\"}}").contraindicated("snp.policy.signing_key:policy_violation");
    c(milan, "milan-v5-platform-info-smt-forbidden", "PLATFORM_INFO.SMT_EN set, forbidden by policy")
        .policy("{\"snp\":{\"platformInfoForbidden\":[\"SMT_EN\"]}}").contraindicated("snp.policy.platform_info:policy_violation");
    c(milan, "milan-v5-launch-mitigation-vector", "launch mitigation vector lacks a required bit")
        .policy("{\"snp\":{\"requiredLaunchMitigationVector\":\"0x8000000000000000\"}}")
        .contraindicated("snp.policy.launch_mitigation_vector:below_minimum");
    defineKnobCases(milan, milanFiles);
  }

  private static SnpEmulation.Options knobs(SnpEmulation.Options o, UnaryOperator<SnpEmulation.Knobs> k) {
    return o.withKnobs(k.apply(o.knobs()));
  }

  private static SnpEmulation.Options faults(SnpEmulation.Options o, UnaryOperator<EmulatedKds.Faults> f) {
    return knobs(o, k -> k.withKdsFaults(f.apply(k.kdsFaults())));
  }

  /**
   * Negatives that need a knob of the emulated KDS or firmware (the gaps an earlier generator
   * left: certificate signatures and AMD's certificate profile, provisional firmware, untrusted ID
   * block keys) and policy rules not yet exercised (every verbatim-compared field, minimum build,
   * ABI and guest SVN, current mitigation vector, collateral age and required revocation).
   */
  private void defineKnobCases(String milan, String milanFiles) {
    SnpEmulation.Options m5 = base(SnpProduct.MILAN, 5);
    SnpEmulation.Options vlek = m5.withSigner(SnpEmulation.Signer.VLEK);

    // §2.7: one flipped byte in the report signed by a VLEK, and in the VCEK and VLEK certificates.
    c("milan-v5-vlek", "milan-v5-vlek-measurement-byte", "VLEK-signed report with a MEASUREMENT byte changed: signature")
        .mutate(Mutation.xor(0x90, 0x01)).contraindicated("snp.report.signature:signature_invalid");
    c(variant("milan-v5-vcek-signature-byte", faults(m5, f -> f.withVekSignatureCorrupted(true))), "milan-v5-vcek-certificate-signature-byte",
        "last byte of the VCEK certificate's RSASSA-PSS signature flipped").contraindicated("snp.chain.vcek.signature:cert_signature_invalid");
    c(variant("milan-v5-vlek-signature-byte", faults(vlek, f -> f.withVekSignatureCorrupted(true)), Delivery.CERT_TABLE, r -> r),
        "milan-v5-vlek-certificate-signature-byte", "last byte of the VLEK certificate's signature flipped (certificate table)")
        .contraindicated("snp.chain.vlek.signature:cert_signature_invalid");

    // §2.8: AMD certificate metadata.
    c(variant("milan-v5-ark-issuer-country", faults(m5, f -> f.withArkIssuerCountry("DE"))), "milan-v5-ark-issuer-country-wrong",
        "ARK whose issuer name says C=DE (its subject C=US): not self-issued").contraindicated("snp.chain.ark.issuer:issuer_mismatch");
    c(variant("milan-v5-ask-subject-state", faults(m5, f -> f.withAskSubjectState("TX"))), "milan-v5-ask-subject-state-wrong",
        "ASK subject ST=TX (the VCEK names it so as issuer): not AMD's name").contraindicated("snp.chain.ask.subject:cert_profile_invalid");
    c(variant("milan-v5-ark-country", faults(m5, f -> f.withArkCountry("DE"))), "milan-v5-ark-country-wrong",
        "self-issued ARK whose subject and issuer say C=DE (go-sev-guest: country not expected for AMD)")
        .contraindicated("snp.chain.ark.subject:cert_profile_invalid");
    c(variant("milan-v5-ark-cdp-other", faults(m5, f -> f.withArkCrlDistributionPoints(List.of("https://crl.example.invalid/ark")))),
        "milan-v5-ark-crl-distribution-point-wrong", "ARK whose CRL distribution point is not the KDS CRL URL")
        .contraindicated("snp.chain.ark.crl_distribution_points:cert_profile_invalid");
    c(variant("milan-v5-ark-two-cdps", faults(m5, f -> f.withArkCrlDistributionPoints(List.of("https://kdsintf.amd.com/vcek/v1/Milan/crl",
        "https://crl.example.invalid/ark")))), "milan-v5-ark-two-crl-distribution-points", "ARK with two CRL distribution points")
        .contraindicated("snp.chain.ark.crl_distribution_points:cert_profile_invalid");
    String genoaCrl = "https://kdsintf.amd.com/vcek/v1/Genoa/crl";
    String milanCrl = "https://kdsintf.amd.com/vcek/v1/Milan/crl";
    c(variant("milan-v5-ask-cdp-genoa", faults(m5, f -> f.withAskCrlDistributionPoints(List.of(genoaCrl)))),
        "milan-v5-ask-crl-distribution-point-wrong", "Milan ASK whose CRL distribution point is the Genoa CRL URL")
        .contraindicated("snp.chain.ask.crl_distribution_points:cert_profile_invalid");
    c(variant("milan-v5-ask-two-cdps", faults(m5, f -> f.withAskCrlDistributionPoints(List.of(milanCrl, milanCrl)))),
        "milan-v5-ask-two-crl-distribution-points", "ASK with two CRL distribution points instead of one")
        .contraindicated("snp.chain.ask.crl_distribution_points:cert_profile_invalid");
    c(variant("milan-v5-ask-key-usage", faults(m5, f -> f.withAskKeyUsage(org.bouncycastle.asn1.x509.KeyUsage.digitalSignature))),
        "milan-v5-ask-key-usage-wrong", "ASK keyUsage digitalSignature without keyCertSign")
        .contraindicated("snp.chain.ask.ca:key_usage_invalid");
    c(variant("milan-v5-ask-not-ca", faults(m5, f -> f.withAskNotCa(true))), "milan-v5-ask-basic-constraints-not-ca",
        "ASK basicConstraints cA=FALSE").contraindicated("snp.chain.ask.ca:not_a_ca");
    c(variant("milan-v5-vcek-pss-salt-32", faults(m5, f -> f.withVekPssSaltLength(32))), "milan-v5-vcek-rsassa-pss-salt-32",
        "VCEK validly signed with RSASSA-PSS salt length 32: not AMD's parameters (salt 48)")
        .contraindicated("snp.chain.vcek.signature_algorithm:unsupported_algorithm");
    c(variant("milan-v5-vcek-no-hwid", faults(m5, f -> f.withVekWithoutHwId(true))), "milan-v5-vcek-without-hwid",
        "VCEK without the hwID extension: not the shape of a VCEK").contraindicated("snp.vek.kind:cert_profile_invalid");
    c(variant("milan-v5-vcek-blspl-octets", faults(m5, f -> f.withVekBlSplOctetString(true))), "milan-v5-vcek-blspl-malformed",
        "VCEK blSPL extension an OCTET STRING instead of an INTEGER").contraindicated("snp.vek.extensions:cert_profile_invalid");
    c(variant("milan-v5-vcek-product-no-stepping", m5, Delivery.CUSTOM_VCEK, r -> r.withProductName("Milan")),
        "milan-v5-vcek-product-name-without-stepping", "VCEK productName \"Milan\" without a stepping suffix (as VLEKs carry it): "
            + "the product is still Milan").affirming();

    // §2.9: provisional firmware, by TCB, by version and by build.
    TcbVersion milanTcb = TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 4, 0, 24, 219);
    String provTcb = variant("milan-v5-provisional-tcb", knobs(m5, k -> k.withCurrent(
        Optional.of(TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 4, 0, milanTcb.snp() + 1, 219)), Optional.empty())));
    String noProvisional = "{\"snp\":{\"permitProvisionalFirmware\":false}}";
    c(provTcb, "milan-v5-provisional-by-tcb-rejected", "CURRENT_TCB.SNP one above COMMITTED_TCB, provisional firmware not permitted")
        .policy(noProvisional).contraindicated("snp.policy.provisional_firmware:policy_violation");
    c(provTcb, "milan-v5-provisional-by-tcb-permitted", "the same report with provisional firmware permitted")
        .policy("{\"snp\":{\"permitProvisionalFirmware\":true}}").affirming();
    c(variant("milan-v5-provisional-version", knobs(m5, k -> k.withCurrent(Optional.empty(),
        Optional.of(new io.guestmem.snp.abi.AttestationReport.FirmwareVersion(1, 56, 50))))), "milan-v5-provisional-by-version-rejected",
        "current firmware 1.56.50, committed 1.55.50").policy(noProvisional)
        .contraindicated("snp.policy.provisional_firmware:policy_violation");
    c(variant("milan-v5-provisional-build", knobs(m5, k -> k.withCurrent(Optional.empty(),
        Optional.of(new io.guestmem.snp.abi.AttestationReport.FirmwareVersion(1, 55, 51))))), "milan-v5-provisional-by-build-rejected",
        "current firmware build 51, committed build 50").policy(noProvisional)
        .contraindicated("snp.policy.provisional_firmware:policy_violation");

    // §2.9: ID block keys the policy does not trust.
    String idKey = io.guestmem.snp.emu.GuestOwnerKey.derive(SEED, "id-key").digest().hex();
    String authorKey = io.guestmem.snp.emu.GuestOwnerKey.derive(SEED, "author-key").digest().hex();
    String trusted = "{\"snp\":{\"idKeyDigests\":[\"" + idKey + "\"],\"authorKeyDigests\":[\"" + authorKey + "\"]}}";
    c(milan, "milan-v5-id-and-author-key-trusted", "ID block signed by the ID key and author key the policy lists").policy(trusted)
        .affirming();
    c(variant("milan-v5-untrusted-id-key", knobs(m5, k -> k.withIdKeyLabel("id-key-of-someone-else"))), "milan-v5-id-block-untrusted-id-key",
        "ID block signed by an ID key the policy does not list").policy(trusted)
        .contraindicated("snp.policy.id_key_digest:reference_value_mismatch");
    c(variant("milan-v5-untrusted-author-key", knobs(m5, k -> k.withAuthorKeyLabel("author-key-of-someone-else"))),
        "milan-v5-id-block-untrusted-author-key", "ID key certified by an author key the policy does not list").policy(trusted)
        .contraindicated("snp.policy.author_key_digest:reference_value_mismatch");

    // §2.9: every verbatim-compared field wrong, one at a time; minimums not met.
    for (String[] f : new String[][] {{"measurements", "[\"" + "11".repeat(48) + "\"]", "measurement"},
        {"hostData", "\"" + "22".repeat(32) + "\"", "host_data"}, {"familyId", "\"" + "33".repeat(16) + "\"", "family_id"},
        {"imageId", "\"" + "44".repeat(16) + "\"", "image_id"}, {"reportData", "\"" + "55".repeat(64) + "\"", "report_data"},
        {"chipId", "\"" + "66".repeat(64) + "\"", "chip_id"}, {"reportId", "\"" + "77".repeat(32) + "\"", "report_id"},
        {"reportIdMa", "\"" + "88".repeat(32) + "\"", "report_id_ma"}}) {
      c(milan, "milan-v5-policy-" + f[2].replace('_', '-'), f[0] + " differs from the policy's reference value")
          .policy("{\"snp\":{\"" + f[0] + "\":" + f[1] + "}}").contraindicated("snp.policy." + f[2] + ":reference_value_mismatch");
    }
    c(milan, "milan-v5-minimum-current-build", "current firmware build 50 below a policy minimum of 51")
        .policy("{\"snp\":{\"minimumCurrentBuild\":51}}").contraindicated("snp.policy.minimum_current_build:below_minimum");
    c(milan, "milan-v5-minimum-abi", "guest policy ABI 0.0 below a policy minimum of 1.0")
        .policy("{\"snp\":{\"minimumAbi\":\"1.0\"}}").contraindicated("snp.policy.minimum_abi:below_minimum");
    c(milan, "milan-v5-minimum-guest-svn", "GUEST_SVN 1 below a policy minimum of 2")
        .policy("{\"snp\":{\"minimumGuestSvn\":2}}").contraindicated("snp.policy.minimum_guest_svn:below_minimum");
    c(milan, "milan-v5-current-mitigation-vector", "current mitigation vector lacks a required bit")
        .policy("{\"snp\":{\"requiredCurrentMitigationVector\":\"0x8000000000000000\"}}")
        .contraindicated("snp.policy.current_mitigation_vector:below_minimum");

    // §2.10: collateral age; revocation required without a CRL.
    c(milanFiles, "milan-v5-crl-older-than-max-age", "KDS CRL issued 30 days before appraisal, policy maxCollateralAge 7 days")
        .policy("{\"maxCollateralAge\":\"P7D\"}").contraindicated("policy.collateral_age.snp.crl:collateral_too_old");
    c(milanFiles, "milan-v5-revocation-required-without-crl", "no CRL given while the policy requires collateral").withoutCrls()
        .policy("{\"requireCollateral\":true}").contraindicated("policy.collateral_required.snp.crl:collateral_missing");
  }

  /** Emulates every variant, writes the files and returns the group. */
  VectorGroup write(Path dir, MemoryEngine engine, Path scratch) throws IOException, MemoryException,
      SnpEmulation.EmulationException, MalformedLayoutException {
    define();
    Files.createDirectories(dir);
    GeneratedFiles store = new GeneratedFiles(dir);
    Map<String, Written> written = new LinkedHashMap<>();
    java.util.Set<String> used = new java.util.HashSet<>(variantOf.values());
    specs.forEach(sp -> {
      sp.chainFrom.ifPresent(used::add);
      sp.crlFrom.ifPresent(used::add);
    });
    for (var e : variants.entrySet()) {
      if (!used.contains(e.getKey())) {
        continue;
      }
      Variant v = e.getValue();
      Path out = scratch.resolve("snp-" + e.getKey());
      Lease lease = engine.openLease(LeaseRequest.owned(64 * 4096, "snp"));
      try {
        SnpEmulation.run(new SnpEmulation.Options(out, v.options().product(), v.options().reportVersion(),
            v.options().signer(), v.options().reportData(), v.options().seed(), v.options().vmpl(), v.options().debugPolicy(),
            v.options().idBlock(), v.options().tcb(), v.options().vekValidity(), v.options().revokedSerials(),
            v.options().certifiedHwIdOverride(), v.options().knobs()), lease);
      } finally {
        lease.release();
      }
      written.put(e.getKey(), store(store, "snp/" + e.getKey() + "/", out, v));
    }
    List<VectorCase> cases = new ArrayList<>();
    for (CaseSpec s : specs) {
      Written w = written.get(variantOf.get(s));
      if (s.chainFrom.isPresent()) {
        List<String> certs = new ArrayList<>(w.certificates);
        certs.set(1, written.get(s.chainFrom.get()).certificates.get(1));
        w = new Written(w.report, w.certTable, certs, w.crl, w.kds, w.roots);
      }
      if (s.crlFrom.isPresent()) {
        w = new Written(w.report, w.certTable, w.certificates, written.get(s.crlFrom.get()).crl, w.kds, w.roots);
      }
      if (!s.crls) {
        w = new Written(w.report, w.certTable, w.certificates, null, w.kds, w.roots);
      }
      Evidence ev = new Evidence(Optional.of(FileRef.of(w.report)), Optional.empty(),
          w.certTable == null ? List.of() : List.of(FileRef.of(w.certTable)), s.mutations);
      AttestationInputs in = new AttestationInputs(ev, w.certificates.stream().map(FileRef::of).toList(),
          w.crl == null ? List.of() : List.of(FileRef.of(w.crl)), Optional.empty(), Optional.empty(), Optional.empty(),
          Optional.empty(), Optional.ofNullable(w.kds).map(FileRef::of), Optional.empty(), false,
          s.trustEmulatedRoot ? Optional.of(FileRef.of(w.roots)) : Optional.empty(), s.nonceHex);
      cases.add(new AttestationCase(s.id, s.comment, s.tags, s.at, in, s.policy, s.expected));
    }
    return new VectorGroup(dir.resolve(GROUP + ".vectors.json"), GROUP, VectorGroup.Kind.ATTESTATION,
        "AMD SEV-SNP attestation reports v2, v3 and v5 for Milan, Genoa and Turin, VCEK- and VLEK-signed, with KDS-format "
            + "collateral from the guestmem SNP emulator: positives for every product, version and signer, one-mutation negatives",
        List.of("AMD SEV-SNP Firmware ABI spec 56860 (ATTESTATION_REPORT, guest policy, TCB_VERSION)",
            "AMD VCEK Certificate and KDS Interface spec 57230 (VCEK/VLEK extensions, ARK/ASK/ASVK, CRL)",
            "AMD GHCB spec 56421 (extended guest request certificate table)",
            "shared/docs/evidence-formats.md §1.4-1.7, §2.6-2.9, §2.11"),
        new Provenance("emulated", "io.guestmem.vectors.generate.VectorGenerator (SnpEmulation on an emulated-backend lease, "
            + "KDS issued " + EmulatedKds.DEFAULT_ISSUED_AT + ")", Optional.of(SEED),
            Optional.of("Regenerate with VectorGenerator.generate(dir); the test GeneratedVectorsTest checks byte identity.")),
        InputRoot.GROUP_DIR, cases);
  }

  private record Written(String report, String certTable, List<String> certificates, String crl, String kds, String roots) {}

  private static Written store(GeneratedFiles store, String base, Path out, Variant v) throws IOException,
      MalformedLayoutException {
    SortedMap<String, byte[]> files = GeneratedFiles.readTree(out);
    SnpProduct prod = v.options().product();
    String report = store.put(base + "report.bin", files.get("report.bin"));
    SortedMap<String, byte[]> roots = new TreeMap<>(Map.of("ark.pem", files.get("roots/ark.pem")));
    String rootsDir = store.putDir(base + "roots", roots);
    SortedMap<String, byte[]> kds = new TreeMap<>();
    files.forEach((k, b) -> {
      if (k.startsWith("kds/")) {
        kds.put(k.substring(4), b);
      }
    });
    String crlName = "vcek/v1/" + prod.kdsName() + "/crl";
    switch (v.delivery()) {
      case KDS:
        return new Written(report, null, List.of(), null, store.putDir(base + "kds", kds), rootsDir);
      case FILES: {
        String vcek = kds.keySet().stream().filter(k -> k.contains("%3F")).findFirst().orElseThrow();
        return new Written(report, null, List.of(store.put(base + "vcek.der", kds.get(vcek)),
            store.put(base + "ask-ark.pem", kds.get("vcek/v1/" + prod.kdsName() + "/cert_chain"))),
            store.put(base + "crl.der", kds.get(crlName)), null, rootsDir);
      }
      case CERT_TABLE:
        return new Written(report, store.put(base + "certs.bin", files.get("certs.bin")), List.of(),
            store.put(base + "crl.der", kds.get(crlName)), null, rootsDir);
      case CUSTOM_VCEK: {
        AttestationReport r = AttestationReport.parse(files.get("report.bin"));
        TcbVersion tcb = r.reportedTcb();
        EmulatedKds.VekRequest req = v.customVcek().apply(EmulatedKds.VekRequest.vcek(prod, r.hwId(), tcb));
        byte[] vcek = EmulatedKds.create(EmulatedKds.Config.defaults(v.options().seed(), prod)).issue(req, r.hwId(), tcb)
            .certificate().toByteArray();
        return new Written(report, null, List.of(store.put(base + "vcek.der", vcek),
            store.put(base + "ask-ark.pem", kds.get("vcek/v1/" + prod.kdsName() + "/cert_chain"))),
            store.put(base + "crl.der", kds.get(crlName)), null, rootsDir);
      }
      case VLEK_WITHOUT_ASVK: {
        return new Written(report, null, List.of(store.put(base + "vlek.der", files.get("vlek.der")),
            store.put(base + "ask-ark.pem", kds.get("vcek/v1/" + prod.kdsName() + "/cert_chain"))),
            store.put(base + "crl.der", kds.get(crlName)), null, rootsDir);
      }
      default:
        throw new AssertionError(v.delivery());
    }
  }
}
