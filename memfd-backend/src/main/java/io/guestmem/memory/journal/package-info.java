/**
 * The engine's durable record: SQLite (WAL) for leases, every acknowledged page-state change and
 * the audit log, with a record log in front of it ({@link io.guestmem.memory.journal.RecordLog})
 * through which page-state changes are committed under {@code PROCESS_CRASH} durability and then
 * ingested; not a general store (keys and certificates live elsewhere in the state directory).
 */
package io.guestmem.memory.journal;
