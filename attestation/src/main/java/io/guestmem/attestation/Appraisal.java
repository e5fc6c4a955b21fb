package io.guestmem.attestation;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The working record of one appraisal, filled in by a {@link TeeVerifier} and then by the core's
 * generic policy rules, and finally frozen into a {@link Verdict}. Not thread-safe: one appraisal
 * belongs to one verification call.
 */
public final class Appraisal {
  private final String tee;
  private final Instant at;
  private final List<Check> checks = new ArrayList<>();
  private final List<NotRun> notRun = new ArrayList<>();
  private final Map<String, Object> claims = new LinkedHashMap<>();
  private final List<CollateralItem> collateral = new ArrayList<>();
  private boolean signatureValid;
  private String trustAnchor = "";
  private boolean emulated;
  private TcbSummary tcb;
  private byte[] reportData;

  public Appraisal(String tee, Instant at) {
    this.tee = tee;
    this.at = at;
  }

  public String tee() {
    return tee;
  }

  public Instant at() {
    return at;
  }

  /** Records a check; returns {@code ok} so callers can branch on it. */
  public boolean check(Check check) {
    checks.add(check);
    return check.ok();
  }

  /** Records a passing check with {@code detail}, or a failing one with {@code reason}. */
  public boolean check(String id, Ar4siClaim category, boolean ok, String reason, String detail) {
    return check(ok ? Check.pass(id, category, detail) : Check.fail(id, category, reason, detail));
  }

  public boolean pass(String id, Ar4siClaim category, String detail) {
    return check(Check.pass(id, category, detail));
  }

  public boolean fail(String id, Ar4siClaim category, String reason, String detail) {
    return check(Check.fail(id, category, reason, detail));
  }

  public void notRun(String id, String reason, String detail) {
    notRun.add(new NotRun(id, reason, detail));
  }

  public void claim(String name, Object value) {
    claims.put(name, value);
  }

  public void claimHex(String name, byte[] value) {
    claims.put(name, HexFormat.of().formatHex(value));
  }

  public Optional<Object> claimValue(String name) {
    return Optional.ofNullable(claims.get(name));
  }

  public void collateral(CollateralItem item) {
    collateral.add(item);
  }

  public List<CollateralItem> collateralItems() {
    return List.copyOf(collateral);
  }

  public void signatureValid(boolean valid) {
    this.signatureValid = valid;
  }

  /** The pinned (or explicitly trusted emulated) root the evidence chains to. */
  public void trustAnchor(String name, boolean emulated) {
    this.trustAnchor = name;
    this.emulated = emulated;
  }

  public void tcb(TcbSummary tcb) {
    this.tcb = tcb;
  }

  public Optional<TcbSummary> tcb() {
    return Optional.ofNullable(tcb);
  }

  /** The 64-byte REPORTDATA / REPORT_DATA the evidence carries, for nonce binding. */
  public void reportData(byte[] reportData) {
    this.reportData = reportData.clone();
  }

  public Optional<byte[]> reportData() {
    return Optional.ofNullable(reportData).map(byte[]::clone);
  }

  /** Ids of the checks recorded as not run so far. */
  public java.util.List<String> notRunIds() {
    return notRun.stream().map(NotRun::id).toList();
  }

  public boolean anyFailed() {
    return checks.stream().anyMatch(c -> !c.ok());
  }

  public boolean hasFailed(String id) {
    return checks.stream().anyMatch(c -> !c.ok() && c.id().equals(id));
  }

  /** Freezes the record into a verdict, deriving the overall status as {@link Verdict} documents. */
  public Verdict toVerdict(String policyId) {
    TrustStatus status = TrustStatus.AFFIRMING;
    if (!notRun.isEmpty()) {
      status = status.worst(TrustStatus.WARNING);
    }
    if (tcb != null && !tcb.isUpToDate()) {
      status = status.worst(TrustStatus.WARNING);
    }
    if (anyFailed()) {
      status = TrustStatus.CONTRAINDICATED;
    }
    if (!signatureValid) {
      status = TrustStatus.CONTRAINDICATED;
    }
    if (emulated) {
      claims.put("emulated", true);
    }
    return new Verdict(tee, status, signatureValid, trustAnchor, emulated, tcb, claims, checks,
        notRun, collateral, policyId, at);
  }
}
