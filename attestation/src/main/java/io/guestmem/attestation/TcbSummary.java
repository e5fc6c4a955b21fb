package io.guestmem.attestation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The graded TCB outcome of an appraisal: the converged status (Intel's vocabulary, which SNP
 * verdicts reuse: {@code UpToDate}, {@code OutOfDate}, {@code Revoked}, …), the date and
 * evaluation data number of the matched level, advisory IDs, which components are out of date,
 * and the per-component statuses that were converged (e.g. {@code platform}, {@code tdxModule},
 * {@code qe}).
 */
public record TcbSummary(
    String status,
    String tcbDate,
    Integer tcbEvaluationDataNumber,
    List<String> advisories,
    List<String> outOfDateComponents,
    Map<String, String> componentStatuses) {

  public static final String UP_TO_DATE = "UpToDate";
  public static final String REVOKED = "Revoked";
  public static final String OUT_OF_DATE = "OutOfDate";

  public TcbSummary {
    Objects.requireNonNull(status, "status");
    advisories = List.copyOf(advisories);
    outOfDateComponents = List.copyOf(outOfDateComponents);
    componentStatuses = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(componentStatuses));
  }

  public static TcbSummary upToDate() {
    return new TcbSummary(UP_TO_DATE, null, null, List.of(), List.of(), Map.of());
  }

  public boolean isUpToDate() {
    return UP_TO_DATE.equals(status);
  }
}
