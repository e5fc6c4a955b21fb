package io.guestmem.vectors;

import java.util.List;

/** The results of one vector file: counts and every case's outcome, in file order. */
public record GroupResult(String group, String file, String kind, String description, List<CaseResult> cases) {
  public GroupResult {
    cases = List.copyOf(cases);
  }

  public long passed() {
    return count(CaseResult.Outcome.PASSED);
  }

  public long failed() {
    return count(CaseResult.Outcome.FAILED);
  }

  public long skipped() {
    return count(CaseResult.Outcome.SKIPPED);
  }

  private long count(CaseResult.Outcome o) {
    return cases.stream().filter(c -> c.outcome() == o).count();
  }
}
