package io.guestmem.snp.abi;

/**
 * TCB_VERSION: the 8-byte little-endian security patch levels of the SNP TCB (AMD SEV-SNP ABI
 * spec 56860, "TCB_VERSION"). The byte layout depends on the product (evidence-formats.md §1.5):
 *
 * <pre>
 * byte   Milan / Genoa (MILAN_GENOA)     Turin (TURIN)
 *  0     BOOT_LOADER                      FMC
 *  1     TEE                              BOOT_LOADER
 *  2     reserved (spl_4)                 TEE
 *  3     reserved (spl_5)                 SNP
 *  4     reserved (spl_6)                 reserved
 *  5     reserved (spl_7)                 reserved
 *  6     SNP                              reserved
 *  7     MICROCODE                        MICROCODE
 * </pre>
 *
 * Reserved bytes are kept (in {@link #raw()}) and reported by {@link #reservedBytesNonZero()}
 * rather than rejected: a verifier compares raw values with the VCEK, so they still matter.
 *
 * @param layout which of the two layouts {@code raw} is read with
 * @param raw the u64 exactly as in the report
 */
public record TcbVersion(Layout layout, long raw) {

  /** The two TCB_VERSION byte layouts. */
  public enum Layout {
    /** Milan and Genoa (VCEK structVersion 0). */
    MILAN_GENOA,
    /** Turin and later (VCEK structVersion 1): FMC first. */
    TURIN
  }

  public TcbVersion {
    if (layout == null) {
      throw new NullPointerException("layout");
    }
  }

  /** Builds the u64 from its parts; {@code fmc} must be 0 for {@link Layout#MILAN_GENOA}. */
  public static TcbVersion of(Layout layout, int fmc, int bootLoader, int tee, int snp, int microcode) {
    checkByte("fmc", fmc);
    checkByte("bootLoader", bootLoader);
    checkByte("tee", tee);
    checkByte("snp", snp);
    checkByte("microcode", microcode);
    long v;
    if (layout == Layout.TURIN) {
      v = fmc | (long) bootLoader << 8 | (long) tee << 16 | (long) snp << 24 | (long) microcode << 56;
    } else {
      if (fmc != 0) {
        throw new IllegalArgumentException("the Milan/Genoa TCB_VERSION has no FMC field");
      }
      v = bootLoader | (long) tee << 8 | (long) snp << 48 | (long) microcode << 56;
    }
    return new TcbVersion(layout, v);
  }

  private static void checkByte(String name, int v) {
    if (v < 0 || v > 0xFF) {
      throw new IllegalArgumentException(name + " must be 0..255, was " + v);
    }
  }

  private int b(int i) {
    return (int) (raw >>> (8 * i)) & 0xFF;
  }

  /** FMC SPL (Turin); 0 for the Milan/Genoa layout, which has no such field. */
  public int fmc() {
    return layout == Layout.TURIN ? b(0) : 0;
  }

  public int bootLoader() {
    return layout == Layout.TURIN ? b(1) : b(0);
  }

  public int tee() {
    return layout == Layout.TURIN ? b(2) : b(1);
  }

  public int snp() {
    return layout == Layout.TURIN ? b(3) : b(6);
  }

  public int microcode() {
    return b(7);
  }

  /** Whether any byte the layout calls reserved is non-zero. */
  public boolean reservedBytesNonZero() {
    long mask = layout == Layout.TURIN ? 0x00FF_FFFF_0000_0000L : 0x0000_FFFF_FFFF_0000L;
    return (raw & mask) != 0;
  }

  /** The same u64 read with another layout (e.g. once the product is known from the certificate). */
  public TcbVersion withLayout(Layout other) {
    return new TcbVersion(other, raw);
  }

  @Override
  public String toString() {
    // Concatenation, not String.format: verdict claims render four of these per report.
    return layout == Layout.TURIN
        ? "TCB{fmc=" + fmc() + ", bl=" + bootLoader() + ", tee=" + tee() + ", snp=" + snp() + ", ucode=" + microcode() + "}"
        : "TCB{bl=" + bootLoader() + ", tee=" + tee() + ", snp=" + snp() + ", ucode=" + microcode() + "}";
  }
}
