package io.guestmem.vectors;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of one case. {@code explanation} says in one line why a case failed or was skipped
 * (empty when it passed); {@code diffs} lists each expected-versus-actual difference, one per line,
 * so a failure reads like a diff; {@code actual} summarises what the verifier or backend gave.
 */
public record CaseResult(String group, String id, String comment, Outcome outcome, String explanation,
    List<String> diffs, String actual) {
  /** Passed, failed (including unexpected exceptions and broken vectors), or skipped with a reason. */
  public enum Outcome {
    PASSED, FAILED, SKIPPED
  }

  public CaseResult {
    Objects.requireNonNull(group);
    Objects.requireNonNull(id);
    Objects.requireNonNull(outcome);
    comment = comment == null ? "" : comment;
    explanation = explanation == null ? "" : explanation;
    diffs = List.copyOf(diffs);
    actual = actual == null ? "" : actual;
  }

  public static CaseResult passed(String group, String id, String comment, String actual) {
    return new CaseResult(group, id, comment, Outcome.PASSED, "", List.of(), actual);
  }

  public static CaseResult failed(String group, String id, String comment, String explanation, List<String> diffs,
      String actual) {
    return new CaseResult(group, id, comment, Outcome.FAILED, explanation, diffs, actual);
  }

  public static CaseResult skipped(String group, String id, String comment, String why) {
    return new CaseResult(group, id, comment, Outcome.SKIPPED, why, List.of(), "");
  }

  /** "group/id". */
  public String fullId() {
    return group + "/" + id;
  }

  /** Multi-line description of a failure for people. */
  public String describe() {
    StringBuilder sb = new StringBuilder(fullId()).append(" ").append(outcome).append(": ").append(explanation);
    if (!comment.isEmpty()) {
      sb.append("\n  (").append(comment).append(")");
    }
    for (String d : diffs) {
      sb.append("\n  ").append(d);
    }
    if (outcome == Outcome.FAILED && !actual.isEmpty()) {
      sb.append("\n  actual: ").append(actual);
    }
    return sb.toString();
  }
}
