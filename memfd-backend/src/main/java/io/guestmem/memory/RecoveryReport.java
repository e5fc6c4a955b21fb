package io.guestmem.memory;

import java.util.List;

/**
 * What {@link MemoryEngine#open(EngineConfig)} found in the journal.
 *
 * @param journalRecords records replayed
 * @param leasesRestored leases found open or orphaned in the journal
 * @param orphaned       leases whose fds did not survive the restart (now ORPHANED, states kept)
 */
public record RecoveryReport(long journalRecords, int leasesRestored, List<String> orphaned) {
  public RecoveryReport {
    orphaned = List.copyOf(orphaned);
  }
}
