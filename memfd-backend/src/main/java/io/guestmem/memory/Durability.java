package io.guestmem.memory;

/** How hard the journal pushes a record to disk before a request is acknowledged. */
public enum Durability {
  /**
   * SQLite WAL with {@code synchronous=NORMAL}: every acknowledged record is in the WAL file
   * (written with {@code write(2)}) before the call returns, so it survives the process being
   * killed (SIGKILL, crash). A power loss may lose the last transactions.
   */
  PROCESS_CRASH,
  /** WAL with {@code synchronous=FULL}: fsync per commit; also survives power loss. */
  POWER_LOSS
}
