package io.guestmem.memory;

/** How hard the journal pushes a record to disk before a request is acknowledged. */
public enum Durability {
  /**
   * SQLite WAL with {@code synchronous=OFF}: every acknowledged record has been written into the
   * WAL file with {@code write(2)} before the call returns, so it survives the process being
   * killed (SIGKILL, JVM crash): the data is in the kernel's page cache. A kernel crash or power
   * loss may lose recent transactions (and, per SQLite, could corrupt the database).
   */
  PROCESS_CRASH,
  /** WAL with {@code synchronous=FULL}: fsync per commit; also survives power loss. */
  POWER_LOSS
}
