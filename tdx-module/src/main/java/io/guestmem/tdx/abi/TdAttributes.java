package io.guestmem.tdx.abi;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TD_ATTRIBUTES (64 bits, Intel TDX Module ABI spec, "ATTRIBUTES" of TD_PARAMS / TDINFO_STRUCT).
 * Named bits are those the TDX module ABI defines; every other bit is kept and reported by {@link
 * #unknownBits()}, never rejected at parse time (policy decides).
 */
public record TdAttributes(long bits) {
  /** Bit 0: the TD is debuggable; its state is visible to the host. */
  public static final long DEBUG = 1L;
  /** Bit 4: HGS+ profiling (TUD group). */
  public static final long HGS_PLUS_PROF = 1L << 4;
  /** Bit 5: performance profiling (TUD group). */
  public static final long PERF_PROF = 1L << 5;
  /** Bit 6: PMT profiling (TUD group). */
  public static final long PMT_PROF = 1L << 6;
  /** Bit 16: ICSSD. */
  public static final long ICSSD = 1L << 16;
  /** Bit 27: LASS may be used. */
  public static final long LASS = 1L << 27;
  /** Bit 28: EPT violations on pending pages are not converted to #VE. */
  public static final long SEPT_VE_DISABLE = 1L << 28;
  /** Bit 29: the TD may be migrated. */
  public static final long MIGRATABLE = 1L << 29;
  /** Bit 30: supervisor protection keys may be used. */
  public static final long PKS = 1L << 30;
  /** Bit 31: Key Locker may be used. */
  public static final long KL = 1L << 31;
  /** Bit 62: TD partitioning architecture. */
  public static final long TPA = 1L << 62;
  /** Bit 63: the TD may use perfmon. */
  public static final long PERFMON = 1L << 63;

  private static final Map<Long, String> NAMES = new LinkedHashMap<>();

  static {
    NAMES.put(DEBUG, "DEBUG");
    NAMES.put(HGS_PLUS_PROF, "HGS_PLUS_PROF");
    NAMES.put(PERF_PROF, "PERF_PROF");
    NAMES.put(PMT_PROF, "PMT_PROF");
    NAMES.put(ICSSD, "ICSSD");
    NAMES.put(LASS, "LASS");
    NAMES.put(SEPT_VE_DISABLE, "SEPT_VE_DISABLE");
    NAMES.put(MIGRATABLE, "MIGRATABLE");
    NAMES.put(PKS, "PKS");
    NAMES.put(KL, "KL");
    NAMES.put(TPA, "TPA");
    NAMES.put(PERFMON, "PERFMON");
  }

  /** All bits this class has a name for. */
  public static final long KNOWN_BITS = NAMES.keySet().stream().mapToLong(Long::longValue).reduce(0, (a, b) -> a | b);

  public static TdAttributes fromBits(long bits) {
    return new TdAttributes(bits);
  }

  public long toBits() {
    return bits;
  }

  public boolean has(long bit) {
    return (bits & bit) == bit;
  }

  public boolean debug() {
    return has(DEBUG);
  }

  public boolean septVeDisable() {
    return has(SEPT_VE_DISABLE);
  }

  /** Set bits that have no name here. */
  public long unknownBits() {
    return bits & ~KNOWN_BITS;
  }

  /** Names of the set known bits, lowest first, then {@code BIT<n>} for each unknown bit. */
  public List<String> names() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      long bit = 1L << i;
      if ((bits & bit) != 0) {
        out.add(NAMES.getOrDefault(bit, "BIT" + i));
      }
    }
    return List.copyOf(out);
  }

  @Override
  public String toString() {
    return String.format("0x%016x%s", bits, names());
  }
}
