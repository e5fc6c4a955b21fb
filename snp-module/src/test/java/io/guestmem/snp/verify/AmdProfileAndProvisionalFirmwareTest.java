package io.guestmem.snp.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.policy.AppraisalPolicy;
import io.guestmem.snp.abi.AttestationReport;
import io.guestmem.snp.emu.EmulatedKds;
import io.guestmem.snp.emu.SnpEmulation;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * AMD's certificate profile on every certificate of the chain (names, CRL distribution point,
 * RSASSA-PSS parameters), an ASK that is not a CA reported as such rather than as a missing chain,
 * and the {@code permitProvisionalFirmware} policy rule.
 */
class AmdProfileAndProvisionalFirmwareTest {
  static final Instant AT = Instant.parse("2026-07-01T00:00:00Z");

  @TempDir Path tmp;
  private int runs;

  private Verdict verify(UnaryOperator<SnpEmulation.Knobs> knobs, String policy) throws Exception {
    Path out = tmp.resolve("run" + runs++);
    SnpEmulation.Options o = SnpEmulation.Options.defaults(out);
    SnpEmulation.run(o.withKnobs(knobs.apply(o.knobs())), new PageMapMemory(64 * 4096));
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new SnpVerifier());
    return verifiers.verify(VerificationRequest.builder().evidenceFile(out.resolve("report.bin"))
        .collateralDir(out.resolve("kds")).at(AT).trustedEmulatedRootsDir(out.resolve("roots"))
        .policy(AppraisalPolicy.parse(policy.getBytes(StandardCharsets.UTF_8), verifiers.plugins())).build());
  }

  private List<String> failures(UnaryOperator<EmulatedKds.Faults> faults) throws Exception {
    return failures(verify(k -> k.withKdsFaults(faults.apply(k.kdsFaults())), "{}"));
  }

  private static List<String> failures(Verdict v) {
    return v.failures().stream().map(f -> f.id() + ":" + f.reason()).toList();
  }

  @Test
  void kdsConformingChain_passesTheProfileAtEveryLevel() throws Exception {
    Verdict v = verify(k -> k, "{}");
    assertThat(failures(v)).isEmpty();
    assertThat(v.status()).isEqualTo(TrustStatus.AFFIRMING);
    assertThat(v.checks()).extracting(c -> c.id()).contains("snp.chain.vcek.profile", "snp.chain.ask.profile",
        "snp.chain.ark.profile");
  }

  @Test
  void askNameAndDistributionPoints_mustBeAmds() throws Exception {
    assertThat(failures(f -> f.withAskSubjectState("TX"))).containsExactly("snp.chain.ask.subject:cert_profile_invalid");
    assertThat(failures(f -> f.withAskCrlDistributionPoints(List.of("https://kdsintf.amd.com/vcek/v1/Genoa/crl"))))
        .containsExactly("snp.chain.ask.crl_distribution_points:cert_profile_invalid");
  }

  @Test
  void pssWithAnotherSaltLength_isNotAmdsAlgorithm() throws Exception {
    assertThat(failures(f -> f.withVekPssSaltLength(32)))
        .containsExactly("snp.chain.vcek.signature_algorithm:unsupported_algorithm");
  }

  @Test
  void askThatIsNotACa_isReportedByPathValidation() throws Exception {
    assertThat(failures(f -> f.withAskNotCa(true))).containsExactly("snp.chain.ask.ca:not_a_ca");
  }

  @Test
  void provisionalFirmware_isRefusedOnlyWhenThePolicySaysSo() throws Exception {
    UnaryOperator<SnpEmulation.Knobs> newerBuild = k -> k.withCurrent(Optional.empty(),
        Optional.of(new AttestationReport.FirmwareVersion(1, 55, 51)));
    assertThat(failures(verify(newerBuild, "{}"))).isEmpty();
    assertThat(failures(verify(newerBuild, "{\"snp\":{\"permitProvisionalFirmware\":true}}"))).isEmpty();
    assertThat(failures(verify(newerBuild, "{\"snp\":{\"permitProvisionalFirmware\":false}}")))
        .containsExactly("snp.policy.provisional_firmware:policy_violation");
    Verdict committed = verify(k -> k, "{\"snp\":{\"permitProvisionalFirmware\":false}}");
    assertThat(failures(committed)).isEmpty();
    assertThat(committed.checks()).extracting(c -> c.id()).contains("snp.policy.provisional_firmware");
  }
}
