package io.guestmem.memory;

import java.util.List;

/**
 * The result of auditing one process against every open lease.
 *
 * @param backend         the engine's backend; {@code emulated} has no kernel objects to find, and says so in notes
 * @param mappingsScanned lines of {@code /proc/<pid>/maps} read
 * @param fdsScanned      entries of {@code /proc/<pid>/fd} read
 * @param findings        violations and informational findings; see {@link AuditFinding#violation()}
 */
public record AuditReport(int pid, String backend, int mappingsScanned, int fdsScanned,
                          List<AuditFinding> findings, List<String> notes) {
  public AuditReport {
    findings = List.copyOf(findings);
    notes = List.copyOf(notes);
  }

  /** No violation found. */
  public boolean clean() {
    return findings.stream().noneMatch(AuditFinding::violation);
  }
}
