package io.guestmem.vectors;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a run found: per group the passed/failed/skipped counts and every case's outcome,
 * plus vector files that could not be loaded at all ({@code loadErrors}, each naming the file and
 * the JSON path). A run is successful only when nothing failed and every file loaded.
 */
public record RunReport(List<GroupResult> groups, List<String> loadErrors) {
  public RunReport {
    groups = List.copyOf(groups);
    loadErrors = List.copyOf(loadErrors);
  }

  public long passed() {
    return groups.stream().mapToLong(GroupResult::passed).sum();
  }

  public long failed() {
    return groups.stream().mapToLong(GroupResult::failed).sum();
  }

  public long skipped() {
    return groups.stream().mapToLong(GroupResult::skipped).sum();
  }

  /** True when no case failed and every vector file loaded (skipped cases do not count against). */
  public boolean allPassed() {
    return failed() == 0 && loadErrors.isEmpty();
  }

  /** Every failed case, across groups. */
  public List<CaseResult> failures() {
    List<CaseResult> out = new ArrayList<>();
    groups.forEach(g -> g.cases().stream().filter(c -> c.outcome() == CaseResult.Outcome.FAILED).forEach(out::add));
    return out;
  }

  /** The summary table for people: one row per group, a total row, then load errors and failures in full. */
  public String table() {
    int w = Math.max("group".length(), groups.stream().mapToInt(g -> g.group().length()).max().orElse(0));
    String fmt = "%-" + w + "s  %6s  %6s  %7s%n";
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(fmt, "group", "passed", "failed", "skipped"));
    for (GroupResult g : groups) {
      sb.append(String.format(fmt, g.group(), g.passed(), g.failed(), g.skipped()));
    }
    sb.append(String.format(fmt, "total", passed(), failed(), skipped()));
    for (String e : loadErrors) {
      sb.append("LOAD ERROR ").append(e).append('\n');
    }
    java.util.Map<String, Long> skipReasons = new java.util.TreeMap<>();
    groups.forEach(g -> g.cases().stream().filter(c -> c.outcome() == CaseResult.Outcome.SKIPPED)
        .forEach(c -> skipReasons.merge(c.explanation(), 1L, Long::sum)));
    skipReasons.forEach((why, n) -> sb.append("skipped ").append(n).append(": ").append(why).append('\n'));
    for (CaseResult c : failures()) {
      sb.append(c.describe()).append('\n');
    }
    return sb.toString();
  }

  /** The report as JSON: totals, load errors, and groups with counts and every case. */
  public String toJson() {
    ObjectMapper m = new ObjectMapper();
    ObjectNode root = m.createObjectNode();
    root.put("allPassed", allPassed());
    root.put("passed", passed());
    root.put("failed", failed());
    root.put("skipped", skipped());
    ArrayNode errs = root.putArray("loadErrors");
    loadErrors.forEach(errs::add);
    ArrayNode gs = root.putArray("groups");
    for (GroupResult g : groups) {
      ObjectNode gn = gs.addObject();
      gn.put("group", g.group());
      gn.put("file", g.file());
      gn.put("kind", g.kind());
      gn.put("description", g.description());
      gn.put("passed", g.passed());
      gn.put("failed", g.failed());
      gn.put("skipped", g.skipped());
      ArrayNode cs = gn.putArray("cases");
      for (CaseResult c : g.cases()) {
        ObjectNode cn = cs.addObject();
        cn.put("id", c.id());
        cn.put("comment", c.comment());
        cn.put("outcome", c.outcome().name().toLowerCase(java.util.Locale.ROOT));
        cn.put("explanation", c.explanation());
        ArrayNode d = cn.putArray("diffs");
        c.diffs().forEach(d::add);
        cn.put("actual", c.actual());
      }
    }
    DefaultPrettyPrinter pp = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"));
    try {
      return m.writer(pp).writeValueAsString(root) + "\n";
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("a report of strings and numbers always serialises", e);
    }
  }
}
