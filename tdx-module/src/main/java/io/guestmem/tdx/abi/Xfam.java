package io.guestmem.tdx.abi;

import java.util.ArrayList;
import java.util.List;

/**
 * XFAM: the extended features (XCR0 and IA32_XSS bits) the TD may use (Intel TDX Module ABI
 * spec, TD_PARAMS.XFAM). Unknown bits are kept and reported by {@link #unknownBits()}.
 */
public record Xfam(long bits) {
  public static final long FP = 1L;
  public static final long SSE = 1L << 1;
  public static final long AVX = 1L << 2;
  public static final long MPX_BNDREGS = 1L << 3;
  public static final long MPX_BNDCSR = 1L << 4;
  public static final long AVX512_OPMASK = 1L << 5;
  public static final long AVX512_ZMM_HI256 = 1L << 6;
  public static final long AVX512_HI16_ZMM = 1L << 7;
  public static final long PT = 1L << 8;
  public static final long PKRU = 1L << 9;
  public static final long PASID = 1L << 10;
  public static final long CET_U = 1L << 11;
  public static final long CET_S = 1L << 12;
  public static final long HDC = 1L << 13;
  public static final long ULI = 1L << 14;
  public static final long LBR = 1L << 15;
  public static final long HWP = 1L << 16;
  public static final long AMX_TILECFG = 1L << 17;
  public static final long AMX_TILEDATA = 1L << 18;

  private static final String[] NAMES = {
    "FP", "SSE", "AVX", "MPX_BNDREGS", "MPX_BNDCSR", "AVX512_OPMASK", "AVX512_ZMM_HI256",
    "AVX512_HI16_ZMM", "PT", "PKRU", "PASID", "CET_U", "CET_S", "HDC", "ULI", "LBR", "HWP",
    "AMX_TILECFG", "AMX_TILEDATA"
  };

  /** Bits 0..18, the ones named here. */
  public static final long KNOWN_BITS = (1L << NAMES.length) - 1;

  public static Xfam fromBits(long bits) {
    return new Xfam(bits);
  }

  public long toBits() {
    return bits;
  }

  public boolean has(long bit) {
    return (bits & bit) == bit;
  }

  public long unknownBits() {
    return bits & ~KNOWN_BITS;
  }

  public List<String> names() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      if ((bits & (1L << i)) != 0) {
        out.add(i < NAMES.length ? NAMES[i] : "BIT" + i);
      }
    }
    return List.copyOf(out);
  }

  @Override
  public String toString() {
    return String.format("0x%016x%s", bits, names());
  }
}
