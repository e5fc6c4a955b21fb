package io.guestmem.memory.journal;

/**
 * What the journal has been doing, for metrics.
 *
 * @param pendingRecords     records acknowledged from the record log and not yet ingested into SQLite
 *                           (PROCESS_CRASH; a backlog that keeps growing means SQLite cannot keep up)
 * @param ingestedRecords    records moved from the record log into SQLite since the journal opened
 * @param groupCommits       group commits since the journal opened (POWER_LOSS: one fsync each)
 * @param groupCommitRecords records those group commits carried
 */
public record JournalStats(long pendingRecords, long ingestedRecords, long groupCommits, long groupCommitRecords) {}
