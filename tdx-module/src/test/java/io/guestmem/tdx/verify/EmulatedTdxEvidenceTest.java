package io.guestmem.tdx.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.policy.AppraisalPolicy;
import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.QeIdentity;
import io.guestmem.tdx.abi.TcbInfo;
import io.guestmem.tdx.abi.TcbStatus;
import io.guestmem.tdx.emu.EmulatedEvidence;
import io.guestmem.tdx.emu.EmulationKnobs;
import io.guestmem.tdx.emu.PlatformConfig;
import io.guestmem.tdx.emu.Seed;
import io.guestmem.tdx.emu.TdxEmulation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quotes and collateral from the TDX emulator verify with the same code as real ones: affirming
 * only with the emulated Intel root trusted, {@code untrusted_root} otherwise; and the negative
 * cases of evidence-formats.md §2.2–2.5 that need a signer each give their reason.
 */
class EmulatedTdxEvidenceTest {
  static final Instant ISSUED = Instant.parse("2026-03-01T00:00:00Z");
  static final Instant AT = ISSUED.plus(Duration.ofDays(1));

  @TempDir Path tmp;
  private int runs;

  private Path emulate(int version, UnaryOperator<EmulationKnobs.Builder> knobs) throws Exception {
    Path out = tmp.resolve("run" + runs++);
    TdxEmulation.run(new PageMapMemory(256 * 1024), TdxEmulation.Options.defaults(out).withQuoteVersion(version)
        .withIssueTime(ISSUED).withKnobs(knobs.apply(EmulationKnobs.builder()).build()));
    return out;
  }

  private static Verdict verify(Path out, boolean trust, Instant at, String policy) throws Exception {
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), java.time.Clock.systemUTC()).register(new TdxVerifier());
    VerificationRequest.Builder b = VerificationRequest.builder().evidenceFile(out.resolve(EmulatedEvidence.QUOTE)).at(at)
        .tcbInfoFile(out.resolve(EmulatedEvidence.TCB_INFO)).tcbInfoChainFile(out.resolve(EmulatedEvidence.TCB_INFO_CHAIN))
        .qeIdentityFile(out.resolve(EmulatedEvidence.QE_IDENTITY))
        .qeIdentityChainFile(out.resolve(EmulatedEvidence.QE_IDENTITY_CHAIN))
        .crlFile(out.resolve(EmulatedEvidence.PCK_CRL)).crlFile(out.resolve(EmulatedEvidence.ROOT_CRL))
        .policy(AppraisalPolicy.parse(policy.getBytes(StandardCharsets.UTF_8), verifiers.plugins()));
    if (trust) {
      b.trustedEmulatedRootsDir(out.resolve("roots"));
    }
    return verifiers.verify(b.build());
  }

  private static Verdict verify(Path out) throws Exception {
    return verify(out, true, AT, "{}");
  }

  private static List<String> failures(Verdict v) {
    return v.failures().stream().map(f -> f.id() + ":" + f.reason()).toList();
  }

  @Test
  void emulatedQuotes_areAffirmingOnlyWithTheEmulatedRootTrusted() throws Exception {
    for (int version : new int[] {4, 5}) {
      Path out = emulate(version, k -> k);
      Verdict trusted = verify(out);
      assertThat(failures(trusted)).as("v%d trusted", version).isEmpty();
      assertThat(trusted.status()).isEqualTo(TrustStatus.AFFIRMING);
      assertThat(trusted.emulated()).isTrue();
      assertThat(trusted.tcb().status()).isEqualTo("UpToDate");
      assertThat(trusted.tcb().componentStatuses()).containsEntry("tdxModule", "UpToDate").containsEntry("qe", "UpToDate");
      Verdict untrusted = verify(out, false, AT, "{}");
      assertThat(untrusted.status()).isEqualTo(TrustStatus.CONTRAINDICATED);
      assertThat(untrusted.failures()).isNotEmpty().allSatisfy(f -> assertThat(f.reason()).isEqualTo("untrusted_root"));
      assertThat(failures(untrusted)).contains("tdx.pck_chain.root_pinned:untrusted_root");
    }
  }

  @Test
  void everyNonUpToDatePlatformStatus_isAWarningWithItsStatusAndAdvisories() throws Exception {
    List<String> disagreements = new ArrayList<>();
    for (TcbStatus s : List.of(TcbStatus.SW_HARDENING_NEEDED, TcbStatus.CONFIGURATION_NEEDED,
        TcbStatus.CONFIGURATION_AND_SW_HARDENING_NEEDED, TcbStatus.OUT_OF_DATE, TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED)) {
      Verdict v = verify(emulate(4, k -> k.platformTcbStatus(s).advisoryIds(List.of("INTEL-SA-00837"))));
      if (v.status() != TrustStatus.WARNING || !v.tcb().status().equals(s.pcsName())
          || !v.tcb().advisories().equals(List.of("INTEL-SA-00837")) || !failures(v).isEmpty()) {
        disagreements.add(s + ": " + v.status() + " " + v.tcb() + " " + failures(v));
      }
    }
    assertThat(disagreements).isEmpty();
  }

  @Test
  void revokedTcb_isNeverSuccess() throws Exception {
    Verdict v = verify(emulate(4, k -> k.platformTcbStatus(TcbStatus.REVOKED)));
    assertThat(failures(v)).containsExactly("policy.tcb_status:tcb_revoked");
  }

  @Test
  void graduatedPolicy_acceptedStatusesDeniedAdvisoriesAndEvaluationNumber() throws Exception {
    Path out = emulate(4, k -> k.platformTcbStatus(TcbStatus.OUT_OF_DATE).advisoryIds(List.of("INTEL-SA-00615"))
        .tcbEvaluationDataNumber(16));
    assertThat(failures(verify(out, true, AT, "{\"acceptedTcbStatuses\":[\"UpToDate\"],"
        + "\"deniedAdvisories\":[\"INTEL-SA-00615\"],\"minTcbEvaluationDataNumber\":17,\"maxCollateralAge\":\"PT12H\"}")))
        .containsExactly("policy.tcb_status:tcb_status_not_accepted", "policy.advisories:advisory_denied",
            "policy.tcb_evaluation_data_number:tcb_evaluation_number_too_low",
            "policy.collateral_age.tdx.tcb_info:collateral_too_old", "policy.collateral_age.tdx.qe_identity:collateral_too_old",
            "policy.collateral_age.tdx.pck_crl:collateral_too_old", "policy.collateral_age.tdx.root_crl:collateral_too_old");
    assertThat(failures(verify(out, true, AT, "{\"acceptedTcbStatuses\":[\"UpToDate\",\"OutOfDate\"],"
        + "\"minTcbEvaluationDataNumber\":16,\"maxCollateralAge\":\"P7D\"}"))).isEmpty();
  }

  @Test
  void noMatchingTcbLevel_whenEveryLevelIsAbovethePlatform() throws Exception {
    TcbInfo.TcbLevel above = new TcbInfo.TcbLevel(Collections.nCopies(16, TcbInfo.TcbComponent.of(0)), 65535,
        Collections.nCopies(16, TcbInfo.TcbComponent.of(0)), ISSUED, TcbStatus.UP_TO_DATE, List.of());
    Verdict v = verify(emulate(4, k -> k.tcbLevels(List.of(above))));
    assertThat(failures(v)).containsExactly("tdx.tcb_level:no_matching_tcb_level");
  }

  @Test
  void outOfDateModuleOrQe_convergesToOutOfDate_andRelaunchIsAdvisedOnlyWhenItHelps() throws Exception {
    List<TcbInfo.ModuleTcbLevel> module = List.of(
        new TcbInfo.ModuleTcbLevel(7, ISSUED, TcbStatus.UP_TO_DATE, List.of()),
        new TcbInfo.ModuleTcbLevel(6, ISSUED.minus(Duration.ofDays(90)), TcbStatus.OUT_OF_DATE, List.of("INTEL-SA-01111")));
    PlatformConfig newerModuleLoaded = PlatformConfig.defaults(new Seed(0))
        .withTeeTcbSvn2(Bytes.fromHex("07010300000000000000000000000000"));
    Verdict v4 = verify(emulate(4, k -> k.moduleTcbLevels(module).platform(newerModuleLoaded)));
    assertThat(v4.tcb().status()).isEqualTo("OutOfDate");
    assertThat(v4.tcb().advisories()).containsExactly("INTEL-SA-01111");
    assertThat(v4.tcb().tcbDate()).isEqualTo(ISSUED.minus(Duration.ofDays(90)).toString());
    assertThat(v4.tcb().outOfDateComponents()).anySatisfy(c -> assertThat(c).startsWith("tdxModule"));

    Verdict v5 = verify(emulate(5, k -> k.moduleTcbLevels(module).platform(newerModuleLoaded)));
    assertThat(v5.tcb().status()).isEqualTo("TDRelaunchAdvised");
    assertThat(v5.status()).isEqualTo(TrustStatus.WARNING);

    List<QeIdentity.QeTcbLevel> qeOld = List.of(new QeIdentity.QeTcbLevel(99, ISSUED, TcbStatus.UP_TO_DATE, List.of()),
        new QeIdentity.QeTcbLevel(0, ISSUED, TcbStatus.OUT_OF_DATE, List.of()));
    Verdict bothOld = verify(emulate(5, k -> k.moduleTcbLevels(module).platform(newerModuleLoaded).qeTcbLevels(qeOld)));
    assertThat(bothOld.tcb().status()).as("QE convergence never yields a relaunch status").isEqualTo("OutOfDate");
    Verdict qeOnly = verify(emulate(4, k -> k.qeTcbLevels(qeOld)));
    assertThat(qeOnly.tcb().status()).isEqualTo("OutOfDate");
    assertThat(qeOnly.tcb().componentStatuses()).containsEntry("qe", "OutOfDate").containsEntry("platform", "UpToDate");
  }

  @Test
  void qeBelowEveryQeLevel_isNoMatchingLevel() throws Exception {
    Verdict v = verify(emulate(4, k -> k.qeTcbLevels(List.of(new QeIdentity.QeTcbLevel(99, ISSUED, TcbStatus.UP_TO_DATE, List.of())))));
    assertThat(failures(v)).containsExactly("tdx.qe_identity.tcb_level:no_matching_tcb_level");
  }

  @Test
  void signatureAndBindingNegatives() throws Exception {
    assertThat(failures(verify(emulate(4, k -> k.quoteSignedWithWrongKey(true)))))
        .containsExactly("tdx.quote.signature:signature_invalid");
    assertThat(failures(verify(emulate(4, k -> k.qeReportSignedWithWrongKey(true)))))
        .containsExactly("tdx.qe_report.signature:signature_invalid");
    assertThat(failures(verify(emulate(4, k -> k.wrongQeBinding(true)))))
        .containsExactly("tdx.qe_report.binding:key_binding_mismatch");
    Verdict tail = verify(emulate(4, k -> k.nonZeroQeReportDataTail(true)));
    assertThat(failures(tail)).containsExactly("tdx.qe_report.binding:key_binding_mismatch");
    assertThat(tail.check("tdx.qe_report.binding").orElseThrow().detail()).contains("[32..64) is not zero");
    assertThat(failures(verify(emulate(4, k -> k.collateralSignedWithWrongKey(true)))))
        .containsExactly("tdx.tcb_info.signature:collateral_signature_invalid",
            "tdx.qe_identity.signature:collateral_signature_invalid");
  }

  @Test
  void revocationNegatives() throws Exception {
    assertThat(failures(verify(emulate(4, k -> k.revokePckLeaf(true))))).containsExactly("tdx.pck_crl.revocation.pck:revoked");
    assertThat(failures(verify(emulate(4, k -> k.revokePlatformCa(true)))))
        .containsExactly("tdx.root_crl.revocation.intermediate:revoked");
  }

  @Test
  void timeNegatives_expiredLeafAndExpiredCollateral() throws Exception {
    assertThat(failures(verify(emulate(4, k -> k.pckNotAfter(ISSUED.plus(Duration.ofHours(1)))))))
        .containsExactly("tdx.pck_chain.pck.validity:cert_expired");
    Path out = emulate(4, k -> k.collateralValidity(Duration.ofDays(30)));
    assertThat(failures(verify(out, true, ISSUED.plus(Duration.ofDays(31)), "{}"))).containsExactly(
        "tdx.tcb_info.validity:collateral_expired", "tdx.qe_identity.validity:collateral_expired",
        "tdx.pck_crl.validity:crl_expired", "tdx.root_crl.validity:crl_expired");
    assertThat(failures(verify(out, true, ISSUED.minus(Duration.ofHours(1)), "{}"))).containsExactly(
        "tdx.tcb_info.validity:collateral_not_yet_valid", "tdx.qe_identity.validity:collateral_not_yet_valid",
        "tdx.pck_crl.validity:crl_not_yet_valid", "tdx.root_crl.validity:crl_not_yet_valid");
  }

  @Test
  void tdFieldPolicy_debugAndTrailingBytes() throws Exception {
    Path out = emulate(4, k -> k.debugTd(true).trailingBytes(Bytes.fromHex("01")));
    assertThat(failures(verify(out, true, AT, "{\"tdx\":{\"allowDebug\":false,\"rejectNonZeroTrailingBytes\":true,"
        + "\"mrConfigId\":\"" + "00".repeat(48) + "\",\"minimumQeSvn\":0}}")))
        .containsExactly("tdx.policy.debug:debug_not_allowed", "tdx.policy.trailing_bytes:trailing_data");
    assertThat(failures(verify(out, true, AT, "{\"tdx\":{\"mrTd\":[\"" + "11".repeat(48) + "\"],\"minimumTeeTcbSvn\":\""
        + "07010300000000000000000000000000\"}}")))
        .containsExactly("tdx.policy.mr_td:reference_value_mismatch", "tdx.policy.minimum_tee_tcb_svn:below_minimum");
  }
}
