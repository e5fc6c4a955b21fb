package io.guestmem.attestation;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The graded, explained result of appraising one piece of evidence. A verification failure is
 * data here, never an exception: {@link #checks()} lists every check performed with a stable
 * reason, {@link #notRun()} lists the checks that could not run (for example without
 * collateral), and {@link #status()} condenses them in AR4SI terms:
 *
 * <ul>
 *   <li>{@code contraindicated} if any check failed;
 *   <li>{@code warning} if none failed but a check could not run, or the TCB status is accepted
 *       by policy but is not {@code UpToDate};
 *   <li>{@code affirming} otherwise.
 * </ul>
 *
 * <p>{@link #trustAnchor()} names the pinned root the evidence chained to; when that root is an
 * emulated one (trusted only because the caller configured it), {@link #emulated()} is true and
 * the verdict must not be read as a statement about real hardware.
 */
public record Verdict(
    String tee,
    TrustStatus status,
    boolean signatureValid,
    String trustAnchor,
    boolean emulated,
    TcbSummary tcb,
    Map<String, Object> claims,
    List<Check> checks,
    List<NotRun> notRun,
    List<CollateralItem> collateral,
    String policyId,
    Instant appraisedAt) {

  public Verdict {
    Objects.requireNonNull(tee, "tee");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(appraisedAt, "appraisedAt");
    trustAnchor = trustAnchor == null ? "" : trustAnchor;
    claims = Collections.unmodifiableMap(new LinkedHashMap<>(claims));
    checks = List.copyOf(checks);
    notRun = List.copyOf(notRun);
    collateral = List.copyOf(collateral);
    policyId = policyId == null ? "" : policyId;
  }

  /** The TCB summary, absent when the TCB could not be evaluated. */
  public Optional<TcbSummary> tcbSummary() {
    return Optional.ofNullable(tcb);
  }

  /** The failed checks, in the order they were performed. */
  public List<Check> failures() {
    return checks.stream().filter(c -> !c.ok()).toList();
  }

  /** The first check with this id, if it was performed. */
  public Optional<Check> check(String id) {
    return checks.stream().filter(c -> c.id().equals(id)).findFirst();
  }

  /** Whether some failed check carries this reason code. */
  public boolean failedWith(String reason) {
    return checks.stream().anyMatch(c -> !c.ok() && c.reason().equals(reason));
  }

  /** The AR4SI tier per trustworthiness claim touched by at least one check. */
  public Map<Ar4siClaim, Integer> trustVector() {
    Map<Ar4siClaim, Integer> vector = new LinkedHashMap<>();
    for (Check c : checks) {
      int tier = c.ok() ? TrustStatus.AFFIRMING.tier() : TrustStatus.CONTRAINDICATED.tier();
      vector.merge(c.category(), tier, Math::max);
    }
    if (tcb != null && !tcb.isUpToDate() && status != TrustStatus.CONTRAINDICATED) {
      vector.merge(Ar4siClaim.HARDWARE, TrustStatus.WARNING.tier(), Math::max);
    }
    return vector;
  }
}
