package io.guestmem.attestation.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guestmem.attestation.Appraisal;
import io.guestmem.attestation.Ar4siClaim;
import io.guestmem.attestation.CollateralItem;
import io.guestmem.attestation.TcbSummary;
import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.Verdict;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AppraisalPolicyTest {
  private static final Instant AT = Instant.parse("2025-07-19T10:00:00Z");

  private static AppraisalPolicy policy(String json) throws PolicyException {
    return AppraisalPolicy.parse(json.getBytes(StandardCharsets.UTF_8), List.of());
  }

  private static Appraisal appraisal(TcbSummary tcb) {
    Appraisal a = new Appraisal("test", AT);
    a.signatureValid(true);
    a.pass("evidence.signature", Ar4siClaim.HARDWARE, "");
    a.tcb(tcb);
    return a;
  }

  private static TcbSummary tcb(String status, String date, int eval, List<String> advisories) {
    return new TcbSummary(status, date, eval, advisories, List.of(), Map.of());
  }

  private static List<String> failures(Verdict v) {
    return v.failures().stream().map(c -> c.id() + ":" + c.reason()).toList();
  }

  @Test
  void defaultPolicy_acceptsOutOfDate_asWarning() throws Exception {
    Appraisal a = appraisal(tcb("OutOfDate", "2023-02-15T00:00:00Z", 15, List.of("INTEL-SA-00837")));
    policy("{}").apply(a, null, List.of());
    Verdict v = a.toVerdict("");
    assertThat(v.status()).isEqualTo(TrustStatus.WARNING);
    assertThat(failures(v)).isEmpty();
  }

  @Test
  void revoked_isNeverAccepted_evenWhenListed() throws Exception {
    Appraisal a = appraisal(tcb("Revoked", "2023-02-15T00:00:00Z", 15, List.of()));
    policy("{\"acceptedTcbStatuses\":[\"Revoked\",\"UpToDate\"]}").apply(a, null, List.of());
    assertThat(failures(a.toVerdict(""))).containsExactly("policy.tcb_status:tcb_revoked");
  }

  @Test
  void graduatedAcceptance_outOfDateWithRecentTcbDateAndNoDeniedAdvisory() throws Exception {
    AppraisalPolicy p = policy("{\"acceptedTcbStatuses\":[\"UpToDate\",\"OutOfDate\"],"
        + "\"deniedAdvisories\":[\"INTEL-SA-00615\"],\"minTcbDate\":\"2024-01-01\",\"minTcbEvaluationDataNumber\":17}");
    Appraisal ok = appraisal(tcb("OutOfDate", "2024-03-13T00:00:00Z", 17, List.of("INTEL-SA-00289")));
    p.apply(ok, null, List.of());
    assertThat(failures(ok.toVerdict(""))).isEmpty();

    Appraisal bad = appraisal(tcb("ConfigurationNeeded", "2023-02-15T00:00:00Z", 15, List.of("INTEL-SA-00615")));
    p.apply(bad, null, List.of());
    assertThat(failures(bad.toVerdict(""))).containsExactly("policy.tcb_status:tcb_status_not_accepted",
        "policy.advisories:advisory_denied", "policy.tcb_date:tcb_date_too_old",
        "policy.tcb_evaluation_data_number:tcb_evaluation_number_too_low");
  }

  @Test
  void collateralOlderThanMaxAge_fails() throws Exception {
    Appraisal a = appraisal(TcbSummary.upToDate());
    a.collateral(new CollateralItem("tcb_info", AT.minusSeconds(8 * 86400), AT.plusSeconds(86400), "f"));
    a.collateral(new CollateralItem("qe_identity", AT.minusSeconds(86400), AT.plusSeconds(86400), "f"));
    policy("{\"maxCollateralAge\":\"P7D\"}").apply(a, null, List.of());
    assertThat(failures(a.toVerdict(""))).containsExactly("policy.collateral_age.tcb_info:collateral_too_old");
  }

  @Test
  void nonceBinding_rawAndSha512() throws Exception {
    byte[] nonce = "fresh-nonce".getBytes(StandardCharsets.US_ASCII);
    Appraisal raw = appraisal(TcbSummary.upToDate());
    raw.reportData(Arrays.copyOf(nonce, 64));
    policy("{}").apply(raw, nonce, List.of());
    assertThat(failures(raw.toVerdict(""))).isEmpty();

    Appraisal hashed = appraisal(TcbSummary.upToDate());
    hashed.reportData(Arrays.copyOf(nonce, 64));
    policy("{\"nonceBinding\":\"sha512\"}").apply(hashed, nonce, List.of());
    assertThat(failures(hashed.toVerdict(""))).containsExactly("policy.nonce:nonce_mismatch");
  }

  @Test
  void requireCollateral_turnsNotRunChecksIntoFailures() throws Exception {
    Appraisal a = appraisal(null);
    a.notRun("tdx.tcb_info", "collateral_missing", "no TCB Info");
    assertThat(a.toVerdict("").status()).isEqualTo(TrustStatus.WARNING);
    policy("{\"requireCollateral\":true}").apply(a, null, a.notRunIds());
    assertThat(failures(a.toVerdict(""))).containsExactly("policy.collateral_required.tdx.tcb_info:collateral_missing");
  }

  @Test
  void malformedPolicies_nameTheField() {
    assertThatThrownBy(() -> policy("{\"acceptedTcbStatus\":[]}")).hasMessageContaining("acceptedTcbStatus");
    assertThatThrownBy(() -> policy("{\"minTcbDate\":\"yesterday\"}")).hasMessageContaining("minTcbDate");
    assertThatThrownBy(() -> policy("{\"nonceBinding\":\"md5\"}")).hasMessageContaining("nonceBinding");
    assertThatThrownBy(() -> policy("[1]")).hasMessageContaining("object");
    assertThatThrownBy(() -> policy("{")).isInstanceOf(PolicyException.class);
  }

  @Test
  void yamlPolicy_compilesLikeItsJson() throws Exception {
    AppraisalPolicy p = policy("id: policy://yaml\nacceptedTcbStatuses: [UpToDate]\nminTcbEvaluationDataNumber: 17\n"
        + "maxCollateralAge: P7D\n");
    assertThat(p.id()).isEqualTo("policy://yaml");
    Appraisal a = appraisal(tcb("OutOfDate", "2024-03-13T00:00:00Z", 16, List.of()));
    p.apply(a, null, List.of());
    assertThat(failures(a.toVerdict(""))).containsExactly("policy.tcb_status:tcb_status_not_accepted",
        "policy.tcb_evaluation_data_number:tcb_evaluation_number_too_low");
    assertThatThrownBy(() -> policy("acceptedTcbStatuses: [UpToDate\n")).isInstanceOf(PolicyException.class)
        .hasMessageContaining("YAML");
    assertThatThrownBy(() -> policy("bogus: 1\n")).hasMessageContaining("bogus");
  }
}
