package io.guestmem.vectors.generate;

import io.guestmem.memory.Lease;
import io.guestmem.memory.LeaseRequest;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryException;
import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.QeIdentity;
import io.guestmem.tdx.abi.TcbInfo;
import io.guestmem.tdx.abi.TcbStatus;
import io.guestmem.tdx.emu.EmulatedEvidence;
import io.guestmem.tdx.emu.EmulationException;
import io.guestmem.tdx.emu.EmulationKnobs;
import io.guestmem.tdx.emu.PlatformConfig;
import io.guestmem.tdx.emu.Seed;
import io.guestmem.tdx.emu.TdxEmulation;
import io.guestmem.vectors.format.AttestationCase;
import io.guestmem.vectors.format.AttestationInputs;
import io.guestmem.vectors.format.Evidence;
import io.guestmem.vectors.format.FileRef;
import io.guestmem.vectors.format.InputRoot;
import io.guestmem.vectors.format.Mutation;
import io.guestmem.vectors.format.VectorCase;
import io.guestmem.vectors.format.VectorGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.function.UnaryOperator;

/**
 * The {@code tdx-emulated} group: quotes v4 and v5 and Intel-format collateral from the TDX
 * emulator (seed 0, collateral issued {@link #ISSUED}), appraised one day later with the emulated
 * root trusted. Positives for both quote versions and both TDX module generations; one negative
 * per item of evidence-formats.md §2.1–2.5 that an emulator knob or a single byte change can
 * express, each with the reason the specification calls for.
 */
final class TdxVectorSet {
  static final long SEED = 0;
  static final Instant ISSUED = Instant.parse("2026-03-01T00:00:00Z");
  static final Instant AT = ISSUED.plus(Duration.ofDays(1));
  static final String GROUP = "tdx-emulated";

  /** One emulator run: quote version, knobs, REPORTDATA. */
  record Variant(int version, EmulationKnobs knobs, Bytes reportData) {}

  private final Map<String, Variant> variants = new LinkedHashMap<>();
  private final Map<CaseSpec, String> variantOf = new LinkedHashMap<>();
  private final List<CaseSpec> specs = new ArrayList<>();

  private static final PlatformConfig PLATFORM = PlatformConfig.defaults(new Seed(SEED));
  private static final Bytes CPUSVN = PLATFORM.cpuSvn();
  private static final int PCESVN = EmulationKnobs.defaults().pceSvn();
  private static final Bytes TEE_TCB_SVN = PLATFORM.teeTcbSvn();

  private String variant(String name, int version, UnaryOperator<EmulationKnobs.Builder> knobs) {
    return variant(name, version, knobs, Bytes.zeros(64));
  }

  private String variant(String name, int version, UnaryOperator<EmulationKnobs.Builder> knobs, Bytes reportData) {
    variants.put(name, new Variant(version, knobs.apply(EmulationKnobs.builder()).build(), reportData));
    return name;
  }

  private CaseSpec c(String variant, String id, String comment) {
    CaseSpec s = new CaseSpec(id, comment, AT);
    specs.add(s);
    variantOf.put(s, variant);
    return s;
  }

  private static List<TcbInfo.TcbComponent> comps(Bytes svns) {
    List<TcbInfo.TcbComponent> out = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      out.add(TcbInfo.TcbComponent.of(svns.get(i) & 0xff));
    }
    return out;
  }

  private static Bytes bump(Bytes b, int i) {
    byte[] a = b.toByteArray();
    a[i]++;
    return Bytes.of(a);
  }

  private static TcbInfo.TcbLevel level(Bytes sgx, int pce, Bytes tdx, TcbStatus s, List<String> adv) {
    return new TcbInfo.TcbLevel(comps(sgx), pce, comps(tdx), ISSUED, s, adv);
  }

  /** Levels where the UpToDate level is one above the platform in one place; the next level is the platform's, OutOfDate. */
  private static List<TcbInfo.TcbLevel> aboveIn(Bytes sgx, int pce, Bytes tdx, String advisory) {
    return List.of(level(sgx, pce, tdx, TcbStatus.UP_TO_DATE, List.of()),
        new TcbInfo.TcbLevel(comps(CPUSVN), PCESVN, comps(TEE_TCB_SVN), ISSUED.minus(Duration.ofDays(60)),
            TcbStatus.OUT_OF_DATE, List.of(advisory)));
  }

  private void define() {
    String v4 = variant("v4", 4, k -> k);
    String v5 = variant("v5", 5, k -> k);
    String tdx10 = variant("v4-tdx10-module", 4, k -> k.platform(PLATFORM.withTeeTcbSvn(Bytes.fromHex("03000000000000000000000000000000"))
        .withTeeTcbSvn2(Bytes.zeros(16))));

    // Positives: every quote version and module generation.
    c(v4, "v4-td10-tdx15-module", "quote v4 (TD 1.0 body) from a TDX 1.5 module (TEE_TCB_SVN[1] = 1): module identity TDX_01 UpToDate, "
        + "platform UpToDate, QE UpToDate").affirming("UpToDate");
    c(v5, "v5-td15", "quote v5 with body type 3 (TD 1.5, 648 bytes; TEE_TCB_SVN2 and MRSERVICETD present)").affirming("UpToDate");
    c(tdx10, "v4-td10-tdx10-module", "quote v4 from a TDX 1.0 module (TEE_TCB_SVN[1] = 0): TDX components matched from index 0, no module identity")
        .affirming("UpToDate");
    c(v4, "v4-emulated-root-not-trusted", "the emulated root is trusted only when configured: untrusted_root otherwise").untrusted()
        .contraindicated("tdx.pck_chain.root_pinned:untrusted_root", "tdx.tcb_info.chain.root_pinned:untrusted_root",
            "tdx.qe_identity.chain.root_pinned:untrusted_root");
    String nonce = "67756573746d656d2d6e6f6e6365";
    String withNonce = variant("v4-report-data-nonce", 4, k -> k, Bytes.fromHex(nonce + "00".repeat(64 - nonce.length() / 2)));
    c(withNonce, "v4-nonce-bound", "REPORTDATA carries the relying party's nonce").nonce(nonce).affirming("UpToDate");
    c(withNonce, "v4-nonce-mismatch", "Nonce != REPORTDATA (Veraison)").nonce("6f74686572")
        .contraindicated("policy.nonce:nonce_mismatch");

    // §2.1 quote structure, one byte change (or truncation) each on the v4 / v5 positives.
    c(v4, "v4-truncated-100", "quote truncated to 100 bytes (below the v4 minimum 0x3FC)").mutate(Mutation.truncate(100))
        .contraindicated("tdx.quote.structure:malformed_evidence");
    c(v4, "v4-truncated-below-minimum", "quote truncated to 0x3FB bytes, one below the v4 minimum")
        .mutate(Mutation.truncate(0x3FB)).contraindicated("tdx.quote.structure:malformed_evidence");
    c(v5, "v5-truncated-1025", "v5 quote truncated to 1025 bytes (below the 1026-byte minimum)").mutate(Mutation.truncate(1025))
        .contraindicated("tdx.quote.structure:malformed_evidence");
    c(v4, "v4-version-3", "header version 3 (SGX) on a TDX quote").mutate(Mutation.set(0, 3))
        .contraindicated("tdx.quote.structure:unsupported_version");
    c(v4, "v4-version-1", "header version 1").mutate(Mutation.set(0, 1)).contraindicated("tdx.quote.structure:unsupported_version");
    c(v4, "v4-version-6", "unknown header version 6").mutate(Mutation.set(0, 6)).contraindicated("tdx.quote.structure:unsupported_version");
    c(v4, "v4-att-key-type-1", "attestation key type 1 (not ECDSA-256-with-P-256)")
        .mutate(Mutation.set(2, 1)).contraindicated("tdx.quote.structure:unsupported_algorithm");
    c(v4, "v4-att-key-type-3", "attestation key type 3 (ECDSA-384-with-P-384: defined, not accepted)")
        .mutate(Mutation.set(2, 3)).contraindicated("tdx.quote.structure:unsupported_algorithm");
    c(v4, "v4-tee-type-sgx", "TEE type 0x00000000 (SGX) on a quote carrying a TD report").mutate(Mutation.set(4, 0))
        .contraindicated("tdx.quote.structure:unsupported_version");
    c(v4, "v4-tee-type-1", "TEE type 0x00000001 (neither SGX nor TDX)").mutate(Mutation.set(4, 1))
        .contraindicated("tdx.quote.structure:unsupported_version");
    c(v4, "v4-qe-vendor-id", "QE vendor ID not Intel's").mutate(Mutation.xor(0x0C, 0x01))
        .contraindicated("tdx.quote.qe_vendor:identity_mismatch", "tdx.quote.signature:signature_invalid");
    c(v5, "v5-body-type-1", "v5 body type 1 (SGX report) where a TD body is expected").mutate(Mutation.set(0x30, 1))
        .contraindicated("tdx.quote.structure:unsupported_version");
    c(v5, "v5-body-type-2-size-648", "v5 body type 2 (TD 1.0) with size 648").mutate(Mutation.set(0x30, 2))
        .contraindicated("tdx.quote.structure:malformed_evidence");
    c(v5, "v5-body-type-3-size-584", "v5 body type 3 (TD 1.5) with size 584 (0x288 -> 0x248)").mutate(Mutation.set(0x32, 0x48))
        .contraindicated("tdx.quote.structure:malformed_evidence");
    c(v5, "v5-body-size-999", "v5 body size 999 for type 3 (648 expected)").mutate(Mutation.set(0x32, 0xE7))
        .mutate(Mutation.set(0x33, 0x03)).contraindicated("tdx.quote.structure:malformed_evidence");
    c(v4, "v4-missing-evidence", "no evidence at all (an empty buffer): the request is refused, never affirmed (cmcp#290)")
        .mutate(Mutation.truncate(0)).requestError("bad_offset");
    c(v5, "v5-body-type-4", "v5 body type 4 (unknown)").mutate(Mutation.set(0x30, 4))
        .contraindicated("tdx.quote.structure:unsupported_version");
    c(v4, "v4-signature-data-length", "signature-data length low byte := 0x10 at 0x278 (as go-tdx-guest): "
        + "certification-data size no longer matches").mutate(Mutation.set(0x278, 0x10)).contraindicated("tdx.quote.structure:malformed_evidence");
    c(v4, "v4-trailing-zero-bytes", "70 zero bytes after the signature data (configfs padding): accepted")
        .mutate(Mutation.append("00".repeat(70))).affirming("UpToDate");
    c(v4, "v4-trailing-garbage-by-policy", "non-zero bytes after the quote, rejected by rejectNonZeroTrailingBytes")
        .mutate(Mutation.append("6578747261")).policy("{\"tdx\":{\"rejectNonZeroTrailingBytes\":true}}")
        .contraindicated("tdx.policy.trailing_bytes:trailing_data");

    // §2.1 signature data and certification data (v4 offsets: signature data 0x27C, attestation key 0x2BC,
    // certification data type 0x2FC and size 0x2FE, QE report 0x302, QE report signature 0x482, QE auth data
    // size 0x4C2 and data 0x4C4, inner certification data type 0x4E4 and size 0x4E6, PEM chain 0x4EA).
    c(v4, "v4-outer-cert-data-type-7", "outer certification data type 7 (platform manifest) instead of 6")
        .mutate(Mutation.set(0x2FC, 7)).contraindicated("tdx.quote.certification_data:malformed_evidence");
    c(v4, "v4-outer-cert-data-type-5", "outer certification data type 5 (PCK chain) where the QE report certification data (6) is")
        .mutate(Mutation.set(0x2FC, 5)).contraindicated("tdx.quote.structure:chain_malformed");
    c(v4, "v4-outer-cert-data-size", "outer certification data size one larger than the data").mutate(Mutation.add(0x2FE, 1))
        .contraindicated("tdx.quote.structure:malformed_evidence");
    c(v4, "v4-inner-cert-data-type-7", "inner certification data type 7 instead of 5 (PCK chain)").mutate(Mutation.set(0x4E4, 7))
        .contraindicated("tdx.quote.certification_data:malformed_evidence");
    c(v4, "v4-pck-chain-size-0", "inner certification data (PCK chain) of size 0").mutate(Mutation.fill(0x4E6, 4, 0))
        .contraindicated("tdx.quote.structure:malformed_evidence");
    c(v4, "v4-qe-auth-size-larger", "QE auth data size 0x40, larger than the 32 bytes present").mutate(Mutation.set(0x4C2, 0x40))
        .contraindicated("tdx.quote.structure:malformed_evidence");
    c(v4, "v4-qe-auth-size-smaller", "QE auth data size 0x10, smaller than the 32 bytes present").mutate(Mutation.set(0x4C2, 0x10))
        .contraindicated("tdx.quote.structure:malformed_evidence");
    c(v4, "v4-pem-header-byte", "'-----BEGIN' of the PCK chain broken: the chain no longer parses")
        .mutate(Mutation.set(0x4EA, 'X')).contraindicated("tdx.quote.structure:chain_malformed");

    // §2.2 signatures and QE binding.
    c(v4, "v4-attestation-key-byte", "attestation public key byte changed: quote signature fails and QE.REPORTDATA no longer binds it")
        .mutate(Mutation.xor(0x2BC, 1)).contraindicated("tdx.quote.signature:signature_invalid",
            "tdx.qe_report.binding:key_binding_mismatch");
    c(v4, "v4-qe-report-mrenclave-byte", "QE report byte (MRENCLAVE) changed: QE report signature").mutate(Mutation.xor(0x342, 1))
        .contraindicated("tdx.qe_report.signature:signature_invalid");
    c(v4, "v4-qe-report-signature-byte", "QE report signature byte changed").mutate(Mutation.xor(0x482, 1))
        .contraindicated("tdx.qe_report.signature:signature_invalid");
    c(v4, "v4-qe-auth-data-byte", "QE auth data byte changed: QE.REPORTDATA no longer binds it").mutate(Mutation.xor(0x4C4, 1))
        .contraindicated("tdx.qe_report.binding:key_binding_mismatch");
    c(v4, "v4-qe-mrsigner-byte", "QE report MRSIGNER byte changed: signature, and QE Identity MRSIGNER mismatch")
        .mutate(Mutation.xor(0x382, 1)).contraindicated("tdx.qe_report.signature:signature_invalid",
            "tdx.qe_identity.mrsigner:identity_mismatch");

    // §2.4 collateral of another platform: genuinely signed TCB Info whose FMSPC, PCE-ID or TDX module differs.
    String otherFmspc = variant("v4-fmspc-00806f050000", 4, k -> k.fmspc(Bytes.fromHex("00806f050000")));
    c(v4, "v4-tcbinfo-fmspc-mismatch", "TCB Info for FMSPC 00806F050000, quote's PCK says 90C06F000000").tcbInfoFrom(otherFmspc)
        .contraindicated("tdx.tcb_info.fmspc:collateral_mismatch");
    String otherPceId = variant("v4-pceid-0100", 4, k -> k.pceId(Bytes.fromHex("0100")));
    c(v4, "v4-tcbinfo-pceid-mismatch", "TCB Info for PCE-ID 0100, quote's PCK says 0000").tcbInfoFrom(otherPceId)
        .contraindicated("tdx.tcb_info.pce_id:collateral_mismatch");
    String signer = variant("v4-mrsignerseam-nonzero", 4, k -> k.platform(PLATFORM.withMrSignerSeam(Bytes.fromHex("01" + "00".repeat(47)))));
    c(signer, "v4-mrsignerseam-mismatch", "MRSIGNERSEAM not the module signer the TCB Info names (zero, Intel)").tcbInfoFrom(v4)
        .contraindicated("tdx.tdx_module.mrsigner:identity_mismatch");
    String seamAttrs = variant("v4-seam-attributes-1", 4, k -> k.platform(PLATFORM.withSeamAttributes(1)));
    c(seamAttrs, "v4-seam-attributes-mismatch", "SEAMATTRIBUTES 1 where the TCB Info requires 0").tcbInfoFrom(v4)
        .contraindicated("tdx.tdx_module.attributes:identity_mismatch");
    c(v4, "v4-header-byte", "header byte 0x1E (user data) changed: quote signature").mutate(Mutation.xor(0x1E, 1))
        .contraindicated("tdx.quote.signature:signature_invalid");
    c(v4, "v4-body-byte-mrtd", "TD body byte in MRTD (0x30 + 0x88) changed: quote signature").mutate(Mutation.xor(0x30 + 0x88, 1))
        .contraindicated("tdx.quote.signature:signature_invalid");
    c(v5, "v5-body-size-field", "v5 body byte in REPORTDATA changed: quote signature covers the body descriptor and body")
        .mutate(Mutation.xor(0x36 + 0x208, 1)).contraindicated("tdx.quote.signature:signature_invalid");
    c(variant("v4-quote-wrong-key", 4, k -> k.quoteSignedWithWrongKey(true)), "v4-quote-signed-with-wrong-key",
        "quote signed with a key other than the attestation key it carries").contraindicated("tdx.quote.signature:signature_invalid");
    c(variant("v4-qe-report-wrong-key", 4, k -> k.qeReportSignedWithWrongKey(true)), "v4-qe-report-signed-with-wrong-key",
        "QE report not signed by the PCK key").contraindicated("tdx.qe_report.signature:signature_invalid");
    c(variant("v4-wrong-binding", 4, k -> k.wrongQeBinding(true)), "v4-qe-binding-wrong",
        "QE.REPORTDATA[0..32) is not SHA-256(attestation key || QE auth data)").contraindicated("tdx.qe_report.binding:key_binding_mismatch");
    c(variant("v4-binding-tail", 4, k -> k.nonZeroQeReportDataTail(true)), "v4-qe-reportdata-tail-nonzero",
        "QE.REPORTDATA[32..64) not zero (go-tdx-guest rejects, QVL ignores): strict, reported")
        .contraindicated("tdx.qe_report.binding:key_binding_mismatch");
    c(variant("v4-collateral-wrong-key", 4, k -> k.collateralSignedWithWrongKey(true)), "v4-collateral-signed-with-wrong-key",
        "TCB Info and QE Identity signed by a key other than the TCB signing key")
        .contraindicated("tdx.tcb_info.signature:collateral_signature_invalid", "tdx.qe_identity.signature:collateral_signature_invalid");

    // §2.3 certificates, CRLs and time.
    c(variant("v4-pck-revoked", 4, k -> k.revokePckLeaf(true)), "v4-pck-leaf-revoked", "PCK leaf serial on the PCK CRL")
        .contraindicated("tdx.pck_crl.revocation.pck:revoked");
    c(variant("v4-platform-ca-revoked", 4, k -> k.revokePlatformCa(true)), "v4-platform-ca-revoked",
        "Platform CA serial on the root CA CRL").contraindicated("tdx.root_crl.revocation.intermediate:revoked");
    c(variant("v4-other-serial-revoked", 4, k -> k.extraRevokedSerials(List.of(java.math.BigInteger.valueOf(0x1234567)))),
        "v4-other-serial-revoked", "another serial on the PCK CRL: the PCK is not revoked").affirming("UpToDate");
    c(variant("v4-pck-expired", 4, k -> k.pckNotAfter(ISSUED.plus(Duration.ofHours(1)))), "v4-pck-leaf-expired",
        "PCK leaf expired an hour after issue, checked a day later").contraindicated("tdx.pck_chain.pck.validity:cert_expired");
    c(v4, "v4-pck-chain-2053", "whole chain at a far-future now (2053-07-01, as go-tdx-guest)").at(Instant.parse("2053-07-01T01:00:00Z"))
        .contraindicated("tdx.pck_chain.pck.validity:cert_expired", "tdx.pck_chain.intermediate.validity:cert_expired",
            "tdx.pck_chain.root.validity:cert_expired", "tdx.tcb_info.chain.tcb_signing.validity:cert_expired",
            "tdx.tcb_info.chain.root.validity:cert_expired", "tdx.tcb_info.validity:collateral_expired",
            "tdx.qe_identity.chain.tcb_signing.validity:cert_expired", "tdx.qe_identity.chain.root.validity:cert_expired",
            "tdx.qe_identity.validity:collateral_expired", "tdx.pck_crl.validity:crl_expired", "tdx.root_crl.validity:crl_expired");
    c(variant("v4-certs-not-yet-valid", 4, k -> k.certsNotBefore(AT.plus(Duration.ofDays(1)))), "v4-certs-not-yet-valid",
        "every certificate valid only from tomorrow; collateral issued today by a signer not yet valid")
        .contraindicated("tdx.pck_chain.pck.validity:cert_not_yet_valid",
            "tdx.pck_chain.intermediate.validity:cert_not_yet_valid", "tdx.pck_chain.root.validity:cert_not_yet_valid",
            "tdx.tcb_info.chain.tcb_signing.validity:cert_not_yet_valid", "tdx.tcb_info.chain.root.validity:cert_not_yet_valid",
            "tdx.tcb_info.signer_at_issue:collateral_signer_expired",
            "tdx.qe_identity.chain.tcb_signing.validity:cert_not_yet_valid",
            "tdx.qe_identity.chain.root.validity:cert_not_yet_valid", "tdx.qe_identity.signer_at_issue:collateral_signer_expired");
    c(variant("v4-ca-expired", 4, k -> k.caNotAfter(ISSUED.plus(Duration.ofHours(12)))), "v4-ca-certificates-expired",
        "root, Platform CA and TCB signing certificates expired").contraindicated("tdx.pck_chain.intermediate.validity:cert_expired",
            "tdx.pck_chain.root.validity:cert_expired", "tdx.tcb_info.chain.tcb_signing.validity:cert_expired",
            "tdx.tcb_info.chain.root.validity:cert_expired", "tdx.qe_identity.chain.tcb_signing.validity:cert_expired",
            "tdx.qe_identity.chain.root.validity:cert_expired");
    c(v4, "v4-collateral-expired", "TCB Info, QE Identity and both CRLs past nextUpdate (30 days)")
        .at(ISSUED.plus(Duration.ofDays(31))).contraindicated("tdx.tcb_info.validity:collateral_expired",
            "tdx.qe_identity.validity:collateral_expired", "tdx.pck_crl.validity:crl_expired", "tdx.root_crl.validity:crl_expired");
    c(v4, "v4-collateral-not-yet-valid", "verified an hour before the collateral's issueDate / thisUpdate")
        .at(ISSUED.minus(Duration.ofHours(1))).contraindicated("tdx.tcb_info.validity:collateral_not_yet_valid",
            "tdx.qe_identity.validity:collateral_not_yet_valid", "tdx.pck_crl.validity:crl_not_yet_valid",
            "tdx.root_crl.validity:crl_not_yet_valid");

    // §2.4 collateral and TCB evaluation: every status, convergence, relaunch, no matching level.
    for (TcbStatus s : List.of(TcbStatus.SW_HARDENING_NEEDED, TcbStatus.CONFIGURATION_NEEDED,
        TcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED, TcbStatus.OUT_OF_DATE, TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED)) {
      String name = "v4-platform-" + kebab(s.pcsName());
      c(variant(name, 4, k -> k.platformTcbStatus(s).advisoryIds(List.of("INTEL-SA-00837"))), name,
          "platform TCB level " + s.pcsName() + " with an advisory: warning, status and advisory reported")
          .warning(s.pcsName(), List.of("INTEL-SA-00837"));
    }
    c(variant("v4-platform-revoked", 4, k -> k.platformTcbStatus(TcbStatus.REVOKED)), "v4-platform-revoked",
        "TCB status Revoked is never success (automata#132)").contraindicatedTcb("Revoked", "policy.tcb_status:tcb_revoked");
    c(variant("v4-platform-outofdate-policy", 4, k -> k.platformTcbStatus(TcbStatus.OUT_OF_DATE).advisoryIds(List.of("INTEL-SA-00615"))),
        "v4-outofdate-not-accepted-advisory-denied", "OutOfDate with INTEL-SA-00615 under a policy accepting only UpToDate and denying it")
        .policy("{\"acceptedTcbStatuses\":[\"UpToDate\"],\"deniedAdvisories\":[\"INTEL-SA-00615\"]}")
        .contraindicatedTcb("OutOfDate", "policy.tcb_status:tcb_status_not_accepted", "policy.advisories:advisory_denied");
    c(v4, "v4-evaluation-number-too-low", "tcbEvaluationDataNumber 17 below a policy minimum of 18")
        .policy("{\"minTcbEvaluationDataNumber\":18}").contraindicated("policy.tcb_evaluation_data_number:tcb_evaluation_number_too_low");
    TcbInfo.TcbLevel above = new TcbInfo.TcbLevel(Collections.nCopies(16, TcbInfo.TcbComponent.of(0)), 65535,
        Collections.nCopies(16, TcbInfo.TcbComponent.of(0)), ISSUED, TcbStatus.UP_TO_DATE, List.of());
    c(variant("v4-no-matching-level", 4, k -> k.tcbLevels(List.of(above))), "v4-no-matching-tcb-level",
        "the only TCB level needs PCESVN 65535: no matching level").contraindicated("tdx.tcb_level:no_matching_tcb_level");
    for (int i = 0; i < 16; i++) {
      final int n = i;
      String name = "v4-below-sgx-component-" + i;
      c(variant(name, 4, k -> k.tcbLevels(aboveIn(bump(CPUSVN, n), PCESVN, TEE_TCB_SVN, "INTEL-SA-" + String.format("%05d", 100 + n)))),
          name, "SGX TCB component " + i + " one below the UpToDate level: the next level (OutOfDate) matches")
          .warning("OutOfDate", List.of("INTEL-SA-" + String.format("%05d", 100 + n)));
    }
    c(variant("v4-below-pcesvn", 4, k -> k.tcbLevels(aboveIn(CPUSVN, PCESVN + 1, TEE_TCB_SVN, "INTEL-SA-00200"))),
        "v4-below-pcesvn", "PCESVN one below the UpToDate level").warning("OutOfDate", List.of("INTEL-SA-00200"));
    for (int i = 2; i < 16; i++) {
      final int n = i;
      String name = "v4-below-tdx-component-" + i;
      c(variant(name, 4, k -> k.tcbLevels(aboveIn(CPUSVN, PCESVN, bump(TEE_TCB_SVN, n), "INTEL-SA-" + String.format("%05d", 300 + n)))),
          name, "TDX TCB component " + i + " (TEE_TCB_SVN[" + i + "]) one below the UpToDate level")
          .warning("OutOfDate", List.of("INTEL-SA-" + String.format("%05d", 300 + n)));
    }
    c(variant("v4-tdx-component-0-above", 4, k -> k.tcbLevels(aboveIn(CPUSVN, PCESVN, bump(TEE_TCB_SVN, 0), "INTEL-SA-00300"))),
        "v4-tdx15-skips-components-0-and-1", "TDX 1.5 module: TEE_TCB_SVN[0..1] are left to the module identity, so a level "
            + "asking more of component 0 still matches").affirming("UpToDate");
    List<TcbInfo.ModuleTcbLevel> module = List.of(
        new TcbInfo.ModuleTcbLevel(7, ISSUED, TcbStatus.UP_TO_DATE, List.of()),
        new TcbInfo.ModuleTcbLevel(6, ISSUED.minus(Duration.ofDays(90)), TcbStatus.OUT_OF_DATE, List.of("INTEL-SA-01111")));
    PlatformConfig newer = PLATFORM.withTeeTcbSvn2(Bytes.fromHex("07010300000000000000000000000000"));
    c(variant("v4-module-outofdate", 4, k -> k.moduleTcbLevels(module).platform(newer)), "v4-module-outofdate",
        "TDX module identity level OutOfDate (ISVSVN 6 < 7): converges to OutOfDate with the module's advisory")
        .warning("OutOfDate", List.of("INTEL-SA-01111"));
    c(variant("v5-relaunch-advised", 5, k -> k.moduleTcbLevels(module).platform(newer)), "v5-td-relaunch-advised",
        "TD 1.5, module OutOfDate but TEE_TCB_SVN2 shows a newer module loaded: TDRelaunchAdvised")
        .warning("TDRelaunchAdvised", List.of("INTEL-SA-01111"));
    List<QeIdentity.QeTcbLevel> qeOld = List.of(new QeIdentity.QeTcbLevel(99, ISSUED, TcbStatus.UP_TO_DATE, List.of()),
        new QeIdentity.QeTcbLevel(0, ISSUED, TcbStatus.OUT_OF_DATE, List.of()));
    c(variant("v5-relaunch-and-qe-outofdate", 5, k -> k.moduleTcbLevels(module).platform(newer).qeTcbLevels(qeOld)),
        "v5-qe-convergence-keeps-outofdate", "relaunch advised and QE OutOfDate: QE convergence gives OutOfDate (automata#130)")
        .warning("OutOfDate", List.of("INTEL-SA-01111"));
    c(variant("v4-qe-outofdate", 4, k -> k.qeTcbLevels(qeOld)), "v4-qe-outofdate", "QE Identity level OutOfDate")
        .warning("OutOfDate", List.of());
    c(variant("v4-qe-no-level", 4, k -> k.qeTcbLevels(List.of(new QeIdentity.QeTcbLevel(99, ISSUED, TcbStatus.UP_TO_DATE, List.of())))),
        "v4-qe-no-matching-level", "QE ISVSVN below every QE Identity level")
        .contraindicated("tdx.qe_identity.tcb_level:no_matching_tcb_level");
    c(variant("v4-qe-revoked", 4, k -> k.qeTcbLevels(List.of(new QeIdentity.QeTcbLevel(0, ISSUED, TcbStatus.REVOKED, List.of())))),
        "v4-qe-revoked", "QE Identity level Revoked").contraindicatedTcb("Revoked", "policy.tcb_status:tcb_revoked");
    // §2.5 TD fields and policy.
    String debug = variant("v4-debug-td", 4, k -> k.debugTd(true));
    c(debug, "v4-debug-td-not-allowed", "TD_ATTRIBUTES.DEBUG set, debug not allowed by policy")
        .policy("{\"tdx\":{\"allowDebug\":false}}").contraindicated("tdx.policy.debug:debug_not_allowed");
    c(debug, "v4-debug-td-allowed", "TD_ATTRIBUTES.DEBUG set, debug allowed by policy").policy("{\"tdx\":{\"allowDebug\":true}}")
        .affirming("UpToDate");
    c(v4, "v4-mrtd-wrong", "MRTD not among the policy's reference values").policy("{\"tdx\":{\"mrTd\":[\"" + "11".repeat(48) + "\"]}}")
        .contraindicated("tdx.policy.mr_td:reference_value_mismatch");
    c(v4, "v4-mrconfigid-wrong", "MRCONFIGID differs from the policy").policy("{\"tdx\":{\"mrConfigId\":\"" + "22".repeat(48) + "\"}}")
        .contraindicated("tdx.policy.mr_config_id:reference_value_mismatch");
    c(v4, "v4-minimum-tee-tcb-svn", "TEE_TCB_SVN below the policy minimum")
        .policy("{\"tdx\":{\"minimumTeeTcbSvn\":\"07010300000000000000000000000000\"}}")
        .contraindicated("tdx.policy.minimum_tee_tcb_svn:below_minimum");
    c(v4, "v4-minimum-qe-svn", "QE ISVSVN 8 below a policy minimum of 9 (the QE report's ISVSVN, not the zero header bytes)")
        .policy("{\"tdx\":{\"minimumQeSvn\":9}}").contraindicated("tdx.policy.minimum_qe_svn:below_minimum");
    // Regression inputs found by fuzzing (evidence-formats.md §2.1, last item).
    c(v5, "v5-fuzz-pem-name-byte", "fuzz regression: one base64 character of a certificate name in the PEM chain changed (0xCCF), "
        + "so the Platform CA's name holds invalid UTF-8; rejected (it once escaped as IllegalArgumentException)")
        .mutate(Mutation.set(0xCCF, 0x6E)).tag(GeneratedTags.FUZZ_REGRESSION)
        .contraindicated("tdx.pck_chain.intermediate.issuer:issuer_mismatch", "tdx.pck_chain.intermediate.signature:cert_signature_invalid");
    for (String[] f : new String[][] {{"mrSeam", "[\"" + "33".repeat(48) + "\"]", "mr_seam"},
        {"rtmr0", "\"" + "44".repeat(48) + "\"", "rtmr0"}, {"mrOwner", "\"" + "55".repeat(48) + "\"", "mr_owner"},
        {"mrOwnerConfig", "\"" + "66".repeat(48) + "\"", "mr_owner_config"},
        {"reportData", "\"" + "77".repeat(64) + "\"", "report_data"},
        {"tdAttributes", "{\"value\":\"0100000000000000\",\"mask\":\"0100000000000000\"}", "td_attributes"},
        {"xfam", "{\"value\":\"ffffffffffffffff\",\"mask\":\"ffffffffffffffff\"}", "xfam"},
        {"qeVendorId", "\"" + "00".repeat(16) + "\"", "qe_vendor_id"}}) {
      c(v4, "v4-policy-" + f[2].replace('_', '-'), f[0] + " differs from the policy's reference value")
          .policy("{\"tdx\":{\"" + f[0] + "\":" + f[1] + "}}").contraindicated("tdx.policy." + f[2] + ":reference_value_mismatch");
    }
    c(v4, "v4-minimum-pce-svn", "PCESVN 13 below a policy minimum of 14").policy("{\"tdx\":{\"minimumPceSvn\":14}}")
        .contraindicated("tdx.policy.minimum_pce_svn:below_minimum");
    defineKnobCases(v4);
  }

  /**
   * Negatives that need a knob of the emulated PKI, PCS or quoting enclave (the gaps an earlier
   * generator left: certificate profile, chain shape, CRL issuer, QE identity fields, TDX 1.0
   * module identity, relaunch with configuration needed, collateral age and nonce binding).
   */
  private void defineKnobCases(String v4) {
    // §2.2: a byte of one certificate's signature flipped, failing at exactly that level.
    for (var r : List.of(new Object[] {EmulationKnobs.CertRole.PCK, "pck", new String[] {"tdx.pck_chain.pck.signature"}},
        new Object[] {EmulationKnobs.CertRole.PLATFORM_CA, "intermediate", new String[] {"tdx.pck_chain.intermediate.signature"}},
        new Object[] {EmulationKnobs.CertRole.ROOT, "root", new String[] {"tdx.pck_chain.root.signature",
            "tdx.tcb_info.chain.root.signature", "tdx.qe_identity.chain.root.signature"}},
        new Object[] {EmulationKnobs.CertRole.TCB_SIGNING, "tcb-signing", new String[] {"tdx.tcb_info.chain.tcb_signing.signature",
            "tdx.qe_identity.chain.tcb_signing.signature"}})) {
      EmulationKnobs.CertRole role = (EmulationKnobs.CertRole) r[0];
      String name = "v4-" + r[1] + "-certificate-signature-byte";
      String[] ids = (String[]) r[2];
      String[] failures = new String[ids.length];
      for (int i = 0; i < ids.length; i++) {
        failures[i] = ids[i] + ":cert_signature_invalid";
      }
      c(variant(name, 4, k -> k.corruptCertificateSignature(role)), name, "last byte of the " + r[1]
          + " certificate's ECDSA signature flipped: the failure names that level (go-tdx-guest)").contraindicated(failures);
    }
    c(variant("v4-pck-without-sgx-extensions", 4, k -> k.omitPckSgxExtensions(true)), "v4-pck-without-sgx-extensions",
        "PCK certificate without its SGX extension (no FMSPC, TCB or PCE-ID): invalid PCK certificate (QVL)")
        .contraindicated("tdx.pck.extensions:cert_profile_invalid");

    // §2.3: certificate version, signature algorithm, curve, subject, issuer, missing certificates.
    c(variant("v4-tcb-signing-x509-v1", 4, k -> k.version1Certificate(EmulationKnobs.CertRole.TCB_SIGNING)),
        "v4-tcb-signing-certificate-version-1", "TCB signing certificate issued as X.509 v1 (go-tdx-guest validateX509Cert)")
        .contraindicated("tdx.tcb_info.chain.tcb_signing.version:cert_profile_invalid",
            "tdx.qe_identity.chain.tcb_signing.version:cert_profile_invalid");
    c(variant("v4-pck-ecdsa-sha384", 4, k -> k.sha384Certificate(EmulationKnobs.CertRole.PCK)),
        "v4-pck-signature-algorithm-sha384", "PCK certificate validly signed with ecdsa-with-SHA384: not the profile's algorithm")
        .contraindicated("tdx.pck_chain.pck.signature_algorithm:unsupported_algorithm");
    c(variant("v4-platform-ca-p384", 4, k -> k.platformCaP384(true)), "v4-platform-ca-key-p384",
        "Platform CA key on P-384 (it signs the PCK and CRL validly): wrong curve for Intel's PKI")
        .contraindicated("tdx.pck_chain.intermediate.public_key:unsupported_algorithm");
    c(variant("v4-pck-subject-cn", 4, k -> k.pckSubjectCn("Intel SGX PCK Certificate 2")), "v4-pck-subject-wrong",
        "PCK leaf subject CN is not \"Intel SGX PCK Certificate\" (QVL: wrong subject)")
        .contraindicated("tdx.pck_chain.pck.subject:cert_profile_invalid");
    c(variant("v4-pck-issuer-processor-ca", 4, k -> k.pckIssuerCn("Intel SGX PCK Processor CA")), "v4-pck-issuer-wrong",
        "PCK leaf names the Processor CA as issuer but chains to (and is signed by) the Platform CA (QVL: wrong issuer)")
        .contraindicated("tdx.pck_chain.pck.issuer:issuer_mismatch");
    c(variant("v4-pck-chain-without-root", 4, k -> k.pckChainWithoutRoot(true)), "v4-pck-chain-missing-root",
        "the quote's PEM chain has the PCK and the Platform CA only (QVL: missing certificates)")
        .contraindicated("tdx.pck_chain.present:chain_malformed");
    c(variant("v4-pck-crl-processor-issuer", 4, k -> k.pckCrlIssuerCn("Intel SGX PCK Processor CA")), "v4-pck-crl-issuer-not-pck-issuer",
        "PCK CRL issued in the Processor CA's name for a PCK of the Platform CA (QVL: CRL issuer != PCK issuer)")
        .contraindicated("tdx.pck_crl.issuer:crl_issuer_mismatch");
    c(variant("v4-crls-wrong-key", 4, k -> k.crlsSignedWithWrongKey(true)), "v4-crls-signed-with-wrong-key",
        "PCK CRL and root CA CRL signed by a key other than their issuer's (CRL issuer invalid)")
        .contraindicated("tdx.pck_crl.signature:crl_signature_invalid", "tdx.root_crl.signature:crl_signature_invalid");
    c(v4, "v4-collateral-issuer-chains-missing", "TCB Info and QE Identity given without their issuer chain and no TCB "
        + "signing certificate elsewhere (QVL: missing certificates)").withoutCollateralChains()
        .contraindicated("tdx.tcb_info.chain.present:chain_missing", "tdx.qe_identity.chain.present:chain_missing");
    c(v4, "v4-revocation-required-without-crls", "no CRL given while the policy requires collateral: revocation cannot "
        + "be checked, so it fails (go-tdx-guest: revocation requested without collateral is an error)").withoutCrls()
        .policy("{\"requireCollateral\":true}")
        .contraindicated("policy.collateral_required.tdx.pck_crl:collateral_missing",
            "policy.collateral_required.tdx.root_crl:collateral_missing");

    // §2.4: QE Identity id and every compared QE field, one at a time.
    c(variant("v4-qe-identity-id-qe", 4, k -> k.qeIdentityId("QE")), "v4-qe-identity-id-not-td-qe",
        "QE Identity whose id is QE (the SGX quoting enclave), not TD_QE").contraindicated("tdx.qe_identity.id:collateral_mismatch");
    c(variant("v4-qe-identity-mrsigner", 4, k -> k.qeIdentityMrSigner(Bytes.fromHex("5a".repeat(32)))), "v4-qe-identity-mrsigner-mismatch",
        "QE Identity names another MRSIGNER (the QE report itself is intact)").contraindicated("tdx.qe_identity.mrsigner:identity_mismatch");
    c(variant("v4-qe-isvprodid-1", 4, k -> k.qeIsvProdId(1)), "v4-qe-isvprodid-mismatch", "QE report ISVPRODID 1, QE Identity 2")
        .contraindicated("tdx.qe_identity.isvprodid:identity_mismatch");
    c(variant("v4-qe-miscselect-1", 4, k -> k.qeMiscSelect(1)), "v4-qe-miscselect-mismatch",
        "QE report MISCSELECT 1 under mask 0xFFFFFFFF, QE Identity expects 0").contraindicated("tdx.qe_identity.miscselect:identity_mismatch");
    c(variant("v4-qe-attributes-debug", 4, k -> k.qeAttributes(Bytes.fromHex("13000000000000000000000000000000"))),
        "v4-qe-attributes-mismatch", "QE report ATTRIBUTES with DEBUG (0x02, inside the mask 0xFB…)")
        .contraindicated("tdx.qe_identity.attributes:identity_mismatch");
    c(variant("v4-qe-attributes-masked-bit", 4, k -> k.qeAttributes(Bytes.fromHex("15000000000000000000000000000000"))),
        "v4-qe-attributes-masked-bit-ignored", "QE report ATTRIBUTES differ only in bit 0x04, which the mask 0xFB… excludes: accepted")
        .affirming("UpToDate");

    // §2.4: TCB not supported: TCB Info for another TEE, or of a version no verifier supports.
    c(variant("v4-tcb-info-id-sgx", 4, k -> k.tcbInfoId("SGX")), "v4-tcb-info-for-sgx",
        "genuinely signed TCB Info with id SGX for a TDX quote").contraindicated("tdx.tcb_info.id:collateral_mismatch");
    c(variant("v4-tcb-info-version-2", 4, k -> k.tcbInfoVersion(2)), "v4-tcb-info-version-2",
        "genuinely signed TCB Info version 2 (TDX needs version 3)").contraindicated("tdx.tcb_info.structure:collateral_malformed");

    // §2.4: TDX 1.0 module against TCB Info's tdxModule (no module identity), no level by component.
    PlatformConfig tdx10 = PLATFORM.withTeeTcbSvn(Bytes.fromHex("03000000000000000000000000000000")).withTeeTcbSvn2(Bytes.zeros(16));
    String tdx10Base = "v4-tdx10-module";
    c(variant("v4-tdx10-mrsignerseam-nonzero", 4, k -> k.platform(tdx10.withMrSignerSeam(Bytes.fromHex("01" + "00".repeat(47))))),
        "v4-tdx10-mrsignerseam-mismatch", "TDX 1.0 module: MRSIGNERSEAM not the tdxModule.mrsigner of TCB Info").tcbInfoFrom(tdx10Base)
        .contraindicated("tdx.tdx_module.mrsigner:identity_mismatch");
    c(variant("v4-tdx10-seam-attributes-1", 4, k -> k.platform(tdx10.withSeamAttributes(1))), "v4-tdx10-seam-attributes-mismatch",
        "TDX 1.0 module: SEAMATTRIBUTES 1 where tdxModule.attributes (mask all ones) requires 0").tcbInfoFrom(tdx10Base)
        .contraindicated("tdx.tdx_module.attributes:identity_mismatch");
    c(variant("v4-only-level-above-sgx", 4, k -> k.tcbLevels(List.of(level(bump(CPUSVN, 0), PCESVN, TEE_TCB_SVN,
        TcbStatus.UP_TO_DATE, List.of())))), "v4-no-matching-level-sgx-component",
        "the only TCB level needs SGX component 0 one above the platform's").contraindicated("tdx.tcb_level:no_matching_tcb_level");
    c(variant("v4-only-level-above-tdx", 4, k -> k.tcbLevels(List.of(level(CPUSVN, PCESVN, bump(TEE_TCB_SVN, 2),
        TcbStatus.UP_TO_DATE, List.of())))), "v4-no-matching-level-tdx-component",
        "the only TCB level needs TDX component 2 one above the platform's").contraindicated("tdx.tcb_level:no_matching_tcb_level");
    List<TcbInfo.ModuleTcbLevel> module = List.of(
        new TcbInfo.ModuleTcbLevel(7, ISSUED, TcbStatus.UP_TO_DATE, List.of()),
        new TcbInfo.ModuleTcbLevel(6, ISSUED.minus(Duration.ofDays(90)), TcbStatus.OUT_OF_DATE, List.of("INTEL-SA-01111")));
    PlatformConfig newer = PLATFORM.withTeeTcbSvn2(Bytes.fromHex("07010300000000000000000000000000"));
    c(variant("v5-relaunch-configuration-needed", 5, k -> k.moduleTcbLevels(module).platform(newer)
        .platformTcbStatus(TcbStatus.CONFIGURATION_NEEDED)), "v5-td-relaunch-advised-configuration-needed",
        "platform ConfigurationNeeded, module OutOfDate, newer module loaded: TDRelaunchAdvisedConfigurationNeeded (QVL)")
        .warning("TDRelaunchAdvisedConfigurationNeeded", List.of("INTEL-SA-01111"));

    // §2.10: collateral older than the policy allows; nonce bound by digest.
    c(v4, "v4-collateral-older-than-max-age", "collateral issued a day before appraisal, policy maxCollateralAge 12 hours")
        .policy("{\"maxCollateralAge\":\"PT12H\"}").contraindicated("policy.collateral_age.tdx.tcb_info:collateral_too_old",
            "policy.collateral_age.tdx.qe_identity:collateral_too_old", "policy.collateral_age.tdx.pck_crl:collateral_too_old",
            "policy.collateral_age.tdx.root_crl:collateral_too_old");
    String nonce = "67756573746d656d2d6e6f6e63652d736861353132";
    String sha512 = variant("v4-report-data-sha512-nonce", 4, k -> k, Bytes.of(sha512(Bytes.fromHex(nonce).toByteArray())));
    c(sha512, "v4-nonce-sha512-bound", "REPORTDATA = SHA-512(nonce), policy nonceBinding sha512").nonce(nonce)
        .policy("{\"nonceBinding\":\"sha512\"}").affirming("UpToDate");
    c(sha512, "v4-nonce-sha512-expected-raw", "REPORTDATA = SHA-512(nonce) but the policy binds the nonce verbatim")
        .nonce(nonce).contraindicated("policy.nonce:nonce_mismatch");
  }

  private static byte[] sha512(byte[] b) {
    try {
      return java.security.MessageDigest.getInstance("SHA-512").digest(b);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-512 is mandatory", e);
    }
  }

  static String kebab(String pcs) {
    return pcs.replace("SW", "Sw").replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
  }

  /** Emulates every variant, writes the files and the group file under {@code dir}; returns the group. */
  VectorGroup write(Path dir, MemoryEngine engine, Path scratch) throws IOException, MemoryException, EmulationException {
    define();
    Files.createDirectories(dir);
    GeneratedFiles store = new GeneratedFiles(dir);
    Map<String, Written> written = new LinkedHashMap<>();
    java.util.Set<String> used = new java.util.HashSet<>(variantOf.values());
    specs.forEach(sp -> sp.tcbInfoFrom.ifPresent(used::add));
    for (var e : variants.entrySet()) {
      if (!used.contains(e.getKey())) {
        continue;
      }
      Variant v = e.getValue();
      Lease lease = engine.openLease(LeaseRequest.owned(256 * 1024, "tdx"));
      Path out = scratch.resolve("tdx-" + e.getKey());
      try {
        TdxEmulation.run(lease, TdxEmulation.Options.defaults(out).withQuoteVersion(v.version()).withSeed(SEED)
            .withIssueTime(ISSUED).withKnobs(v.knobs()).withReportData(v.reportData()));
      } finally {
        lease.release();
      }
      String base = "tdx/" + e.getKey() + "/";
      SortedMap<String, byte[]> files = GeneratedFiles.readTree(out);
      Written w = new Written(
          store.put(base + EmulatedEvidence.QUOTE, files.get(EmulatedEvidence.QUOTE)),
          store.put(base + EmulatedEvidence.TCB_INFO, files.get(EmulatedEvidence.TCB_INFO)),
          store.put(base + EmulatedEvidence.TCB_INFO_CHAIN, files.get(EmulatedEvidence.TCB_INFO_CHAIN)),
          store.put(base + EmulatedEvidence.QE_IDENTITY, files.get(EmulatedEvidence.QE_IDENTITY)),
          store.put(base + EmulatedEvidence.QE_IDENTITY_CHAIN, files.get(EmulatedEvidence.QE_IDENTITY_CHAIN)),
          store.put(base + EmulatedEvidence.PCK_CRL, files.get(EmulatedEvidence.PCK_CRL)),
          store.put(base + EmulatedEvidence.ROOT_CRL, files.get(EmulatedEvidence.ROOT_CRL)),
          store.putDir(base + "roots", new java.util.TreeMap<>(Map.of("emulated-sgx-root-ca.pem", files.get(EmulatedEvidence.ROOT_PEM)))));
      written.put(e.getKey(), w);
    }
    List<VectorCase> cases = new ArrayList<>();
    for (CaseSpec s : specs) {
      Written w = written.get(variantOf.get(s));
      Written t = s.tcbInfoFrom.map(written::get).orElse(w);
      AttestationInputs in = new AttestationInputs(Evidence.ofFile(FileRef.of(w.quote), s.mutations), List.of(),
          s.crls ? List.of(FileRef.of(w.pckCrl), FileRef.of(w.rootCrl)) : List.of(), Optional.of(FileRef.of(t.tcbInfo)),
          s.collateralChains ? Optional.of(FileRef.of(t.tcbInfoChain)) : Optional.empty(), Optional.of(FileRef.of(w.qeIdentity)),
          s.collateralChains ? Optional.of(FileRef.of(w.qeIdentityChain)) : Optional.empty(),
          Optional.empty(), Optional.empty(), false, s.trustEmulatedRoot ? Optional.of(FileRef.of(w.roots)) : Optional.empty(), s.nonceHex);
      cases.add(new AttestationCase(s.id, s.comment, s.tags, s.at, in, s.policy, s.expected));
    }
    return new VectorGroup(dir.resolve(GROUP + ".vectors.json"), GROUP, VectorGroup.Kind.ATTESTATION,
        "Intel TDX quotes v4 and v5 with PCS-format collateral from the guestmem TDX emulator: positives for every quote "
            + "version and module generation, and one-mutation negatives for the evidence-formats.md checklist",
        List.of("Intel TDX DCAP Quote Generation Library spec (quote v4/v5, QE report certification data)",
            "Intel SGX PCK Certificate and CRL Profile", "Intel PCS API v4 (TCB Info v3, QE Identity v2, tcb-level matching, "
                + "convergence, checkForRelaunch)", "shared/docs/evidence-formats.md §1.1-1.3, §2.1-2.5, §2.11"),
        new io.guestmem.vectors.format.Provenance("emulated", "io.guestmem.vectors.generate.VectorGenerator (TdxEmulation on an "
            + "emulated-backend lease, collateral issued " + ISSUED + ")", Optional.of(SEED),
            Optional.of("Regenerate with VectorGenerator.generate(dir); the test GeneratedVectorsTest checks byte identity.")),
        InputRoot.GROUP_DIR, cases);
  }

  private record Written(String quote, String tcbInfo, String tcbInfoChain, String qeIdentity, String qeIdentityChain,
      String pckCrl, String rootCrl, String roots) {}
}
