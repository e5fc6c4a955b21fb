package io.guestmem.snp.abi;

/**
 * PLATFORM_INFO, the 64-bit platform state a report carries (AMD SEV-SNP ABI spec 56860,
 * "PLATFORM_INFO"): bit 0 SMT_EN, 1 TSME_EN, 2 ECC_EN, 3 RAPL_DIS, 4 CIPHERTEXT_HIDING_DRAM_EN,
 * 5 ALIAS_CHECK_COMPLETE, 6 reserved, 7 TIO_EN. Other bits are kept and reported by
 * {@link #unknownBits()}, never rejected at parse time.
 *
 * @param bits the u64 exactly as in the report
 */
public record PlatformInfo(long bits) {
  public static final long SMT_EN = 1L;
  public static final long TSME_EN = 1L << 1;
  public static final long ECC_EN = 1L << 2;
  public static final long RAPL_DIS = 1L << 3;
  public static final long CIPHERTEXT_HIDING_DRAM_EN = 1L << 4;
  public static final long ALIAS_CHECK_COMPLETE = 1L << 5;
  public static final long TIO_EN = 1L << 7;
  /** Every bit this library names. */
  public static final long KNOWN_BITS = SMT_EN | TSME_EN | ECC_EN | RAPL_DIS
      | CIPHERTEXT_HIDING_DRAM_EN | ALIAS_CHECK_COMPLETE | TIO_EN;

  public static PlatformInfo fromBits(long bits) {
    return new PlatformInfo(bits);
  }

  public long toBits() {
    return bits;
  }

  public boolean smtEnabled() {
    return (bits & SMT_EN) != 0;
  }

  public boolean tsmeEnabled() {
    return (bits & TSME_EN) != 0;
  }

  public boolean eccEnabled() {
    return (bits & ECC_EN) != 0;
  }

  public boolean raplDisabled() {
    return (bits & RAPL_DIS) != 0;
  }

  public boolean ciphertextHidingDramEnabled() {
    return (bits & CIPHERTEXT_HIDING_DRAM_EN) != 0;
  }

  public boolean aliasCheckComplete() {
    return (bits & ALIAS_CHECK_COMPLETE) != 0;
  }

  public boolean tioEnabled() {
    return (bits & TIO_EN) != 0;
  }

  /** Bits set that this library does not define (bit 6 and [63:8]). */
  public long unknownBits() {
    return bits & ~KNOWN_BITS;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("PlatformInfo{");
    String sep = "";
    String[] names = {"SMT_EN", "TSME_EN", "ECC_EN", "RAPL_DIS", "CIPHERTEXT_HIDING_DRAM_EN", "ALIAS_CHECK_COMPLETE", null, "TIO_EN"};
    for (int i = 0; i < names.length; i++) {
      if (names[i] != null && (bits & (1L << i)) != 0) {
        sb.append(sep).append(names[i]);
        sep = ", ";
      }
    }
    if (unknownBits() != 0) sb.append(sep).append(String.format("unknown=0x%x", unknownBits()));
    return sb.append('}').toString();
  }
}
