package io.guestmem.snp.abi;

/**
 * GUEST_POLICY, the 64-bit policy a guest is launched with and that every report carries
 * (AMD SEV-SNP ABI spec 56860, "GUEST_POLICY"; evidence-formats.md §1.4):
 *
 * <pre>
 * [7:0]  ABI_MINOR          20  SINGLE_SOCKET
 * [15:8] ABI_MAJOR          21  CXL_ALLOW
 * 16     SMT                22  MEM_AES_256_XTS
 * 17     reserved, must be 1 23  RAPL_DIS
 * 18     MIGRATE_MA         24  CIPHERTEXT_HIDING_DRAM
 * 19     DEBUG              25  PAGE_SWAP_DISABLE
 * [63:26] not defined by this library ({@link #unknownBits()})
 * </pre>
 *
 * Parsing never rejects a policy: bits this library does not know are kept and reported by
 * {@link #unknownBits()}, and a clear bit 17 by {@link #reservedBitOneSet()}, so that policy (not
 * the parser) decides — go-sev-guest once rejected real AWS reports over bit 25.
 *
 * @param bits the u64 exactly as in the report
 */
public record GuestPolicy(long bits) {
  public static final long SMT = 1L << 16;
  public static final long RESERVED_MUST_BE_ONE = 1L << 17;
  public static final long MIGRATE_MA = 1L << 18;
  public static final long DEBUG = 1L << 19;
  public static final long SINGLE_SOCKET = 1L << 20;
  public static final long CXL_ALLOW = 1L << 21;
  public static final long MEM_AES_256_XTS = 1L << 22;
  public static final long RAPL_DIS = 1L << 23;
  public static final long CIPHERTEXT_HIDING_DRAM = 1L << 24;
  public static final long PAGE_SWAP_DISABLE = 1L << 25;
  /** Every bit this library names (ABI version, flags and the must-be-one bit). */
  public static final long KNOWN_BITS = (1L << 26) - 1;

  public static GuestPolicy fromBits(long bits) {
    return new GuestPolicy(bits);
  }

  public long toBits() {
    return bits;
  }

  /** A policy with the given minimum ABI version, bit 17 set and the given flag bits. */
  public static GuestPolicy of(int abiMajor, int abiMinor, long flags) {
    if (abiMajor < 0 || abiMajor > 0xFF || abiMinor < 0 || abiMinor > 0xFF) {
      throw new IllegalArgumentException("ABI version bytes must be 0..255");
    }
    return new GuestPolicy((flags & ~0xFFFFL) | RESERVED_MUST_BE_ONE | (long) abiMajor << 8 | abiMinor);
  }

  public int abiMinor() {
    return (int) (bits & 0xFF);
  }

  public int abiMajor() {
    return (int) ((bits >>> 8) & 0xFF);
  }

  public boolean smt() {
    return (bits & SMT) != 0;
  }

  public boolean reservedBitOneSet() {
    return (bits & RESERVED_MUST_BE_ONE) != 0;
  }

  public boolean migrateMa() {
    return (bits & MIGRATE_MA) != 0;
  }

  public boolean debug() {
    return (bits & DEBUG) != 0;
  }

  public boolean singleSocket() {
    return (bits & SINGLE_SOCKET) != 0;
  }

  public boolean cxlAllow() {
    return (bits & CXL_ALLOW) != 0;
  }

  public boolean memAes256Xts() {
    return (bits & MEM_AES_256_XTS) != 0;
  }

  public boolean raplDis() {
    return (bits & RAPL_DIS) != 0;
  }

  public boolean ciphertextHidingDram() {
    return (bits & CIPHERTEXT_HIDING_DRAM) != 0;
  }

  public boolean pageSwapDisable() {
    return (bits & PAGE_SWAP_DISABLE) != 0;
  }

  /** Bits set that this library does not define ([63:26]); 0 for a policy it fully understands. */
  public long unknownBits() {
    return bits & ~KNOWN_BITS;
  }

  public GuestPolicy withFlag(long flag, boolean set) {
    return new GuestPolicy(set ? bits | flag : bits & ~flag);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("GuestPolicy{abi=").append(abiMajor()).append('.').append(abiMinor());
    if (smt()) sb.append(", SMT");
    if (!reservedBitOneSet()) sb.append(", bit17-CLEAR");
    if (migrateMa()) sb.append(", MIGRATE_MA");
    if (debug()) sb.append(", DEBUG");
    if (singleSocket()) sb.append(", SINGLE_SOCKET");
    if (cxlAllow()) sb.append(", CXL_ALLOW");
    if (memAes256Xts()) sb.append(", MEM_AES_256_XTS");
    if (raplDis()) sb.append(", RAPL_DIS");
    if (ciphertextHidingDram()) sb.append(", CIPHERTEXT_HIDING_DRAM");
    if (pageSwapDisable()) sb.append(", PAGE_SWAP_DISABLE");
    if (unknownBits() != 0) sb.append(String.format(", unknown=0x%x", unknownBits()));
    return sb.append('}').toString();
  }
}
