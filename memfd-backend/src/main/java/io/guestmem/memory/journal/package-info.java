/**
 * The engine's durable record in SQLite (WAL): leases, every acknowledged page-state change, and
 * the audit log; not a general store (keys and certificates live elsewhere in the state directory).
 */
package io.guestmem.memory.journal;
