package io.guestmem.memory;

import java.nio.file.Path;

/**
 * How to open a {@link MemoryEngine}.
 *
 * @param stateDir             directory holding the SQLite journal ({@code guestmem.db}); created if absent
 * @param backend              {@code kvm}, {@code secretmem}, {@code emulated}, or {@code auto} (pick with {@link HostProbe})
 * @param quotas               limits checked before allocating
 * @param durability           how hard a record is pushed to disk before acknowledging
 * @param allocationChunkBytes largest single {@code fallocate} call (page-aligned)
 */
public record EngineConfig(Path stateDir, String backend, Quotas quotas, Durability durability, long allocationChunkBytes) {
  public static final String AUTO = "auto";
  public static final long DEFAULT_CHUNK = 32L << 20;

  public EngineConfig {
    if (stateDir == null || backend == null || quotas == null || durability == null) {
      throw new NullPointerException("stateDir, backend, quotas and durability are required");
    }
    if (!(backend.equals(AUTO) || backend.equals("kvm") || backend.equals("secretmem") || backend.equals("emulated"))) {
      throw new IllegalArgumentException("unknown backend '" + backend + "' (kvm, secretmem, emulated, auto)");
    }
    if (allocationChunkBytes <= 0 || allocationChunkBytes % PageStateMap.PAGE_SIZE != 0) {
      throw new IllegalArgumentException("allocation chunk must be a positive multiple of 4096");
    }
  }

  /** The pure-Java backend: for tests and emulators on any machine. */
  public static EngineConfig emulated(Path stateDir) {
    return new EngineConfig(stateDir, "emulated", Quotas.DEFAULT, Durability.PROCESS_CRASH, DEFAULT_CHUNK);
  }

  /** The best backend this host has: kvm, then secretmem, then emulated. */
  public static EngineConfig auto(Path stateDir) {
    return new EngineConfig(stateDir, AUTO, Quotas.DEFAULT, Durability.PROCESS_CRASH, DEFAULT_CHUNK);
  }

  /** A named backend ({@code kvm}, {@code secretmem}, {@code emulated}). */
  public static EngineConfig of(Path stateDir, String backend) {
    return new EngineConfig(stateDir, backend, Quotas.DEFAULT, Durability.PROCESS_CRASH, DEFAULT_CHUNK);
  }

  public EngineConfig withQuotas(Quotas q) {
    return new EngineConfig(stateDir, backend, q, durability, allocationChunkBytes);
  }

  public EngineConfig withDurability(Durability d) {
    return new EngineConfig(stateDir, backend, quotas, d, allocationChunkBytes);
  }

  public EngineConfig withAllocationChunk(long bytes) {
    return new EngineConfig(stateDir, backend, quotas, durability, bytes);
  }
}
