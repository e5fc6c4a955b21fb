package io.guestmem.vectors.format;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The outcome a verifier must give. Either {@code requestError} alone (the request is refused
 * before any appraisal, e.g. {@code unknown_evidence}), or a {@code status} ({@code affirming},
 * {@code warning}, {@code contraindicated}) with optional refinements:
 *
 * <ul>
 *   <li>{@code tcbStatus}: the converged TCB status, e.g. {@code UpToDate};
 *   <li>{@code advisories}: the exact advisory IDs, in order;
 *   <li>{@code failures}: the exact failed checks, in order, as {@code check-id:reason};
 *   <li>{@code reasons}: reason codes each of which some failed check must carry (a looser
 *       form for verifiers whose check ids differ).
 * </ul>
 *
 * A contraindicated expectation without {@code failures} or {@code reasons} still requires at
 * least one failed check.
 */
public record Expected(
    Optional<String> requestError,
    Optional<String> status,
    Optional<String> tcbStatus,
    Optional<List<String>> advisories,
    Optional<List<String>> failures,
    List<String> reasons) {
  public static final List<String> STATUSES = List.of("affirming", "warning", "contraindicated");

  public Expected {
    Objects.requireNonNull(requestError);
    Objects.requireNonNull(status);
    if (requestError.isPresent() == status.isPresent()) {
      throw new IllegalArgumentException("expected is exactly one of a status and a requestError");
    }
    advisories = advisories.map(List::copyOf);
    failures = failures.map(List::copyOf);
    reasons = List.copyOf(reasons);
  }

  public static Expected status(String status, List<String> failures) {
    return new Expected(Optional.empty(), Optional.of(status), Optional.empty(), Optional.empty(),
        Optional.of(failures), List.of());
  }

  public Expected withTcb(String tcbStatus, List<String> advisories) {
    return new Expected(requestError, status, Optional.of(tcbStatus), Optional.of(advisories), failures, reasons);
  }

  public static Expected requestError(String code) {
    return new Expected(Optional.of(code), Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        List.of());
  }
}
