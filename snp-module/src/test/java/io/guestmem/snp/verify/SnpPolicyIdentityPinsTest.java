package io.guestmem.snp.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.policy.AppraisalPolicy;
import io.guestmem.snp.abi.AttestationReport;
import io.guestmem.snp.emu.SnpEmulation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The policy rules that pin one machine (CHIP_ID) or one guest (REPORT_ID, REPORT_ID_MA) by exact value. */
class SnpPolicyIdentityPinsTest {
  static final Instant AT = Instant.parse("2026-07-01T00:00:00Z");

  @TempDir Path tmp;
  private AttestationReport report;

  @BeforeEach
  void emulate() throws Exception {
    SnpEmulation.run(SnpEmulation.Options.defaults(tmp), new PageMapMemory(64 * 4096));
    report = AttestationReport.parse(Files.readAllBytes(tmp.resolve("report.bin")));
  }

  private List<String> failures(String snpSection) throws Exception {
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new SnpVerifier());
    Verdict v = verifiers.verify(VerificationRequest.builder().evidenceFile(tmp.resolve("report.bin"))
        .collateralDir(tmp.resolve("kds")).at(AT).trustedEmulatedRootsDir(tmp.resolve("roots"))
        .policy(AppraisalPolicy.parse(("{\"snp\":" + snpSection + "}").getBytes(StandardCharsets.UTF_8), verifiers.plugins()))
        .build());
    return v.failures().stream().map(f -> f.id() + ":" + f.reason()).toList();
  }

  @Test
  void theReportsOwnIdentities_pass() throws Exception {
    assertThat(failures("{\"chipId\":\"" + report.chipId().hex() + "\",\"reportId\":\"" + report.reportId().hex()
        + "\",\"reportIdMa\":\"" + report.reportIdMa().hex() + "\"}")).isEmpty();
  }

  @Test
  void anotherMachineOrGuest_isAReferenceValueMismatch() throws Exception {
    assertThat(failures("{\"chipId\":\"" + "ab".repeat(64) + "\"}")).containsExactly("snp.policy.chip_id:reference_value_mismatch");
    assertThat(failures("{\"reportId\":\"" + "ab".repeat(32) + "\"}")).containsExactly("snp.policy.report_id:reference_value_mismatch");
    assertThat(failures("{\"reportIdMa\":\"" + "ab".repeat(32) + "\"}"))
        .containsExactly("snp.policy.report_id_ma:reference_value_mismatch");
  }
}
