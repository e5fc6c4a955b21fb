package io.guestmem.snp.abi;

/**
 * KEY_INFO (report offset 0x48): bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits [4:2]
 * SIGNING_KEY (0 VCEK, 1 VLEK, 7 none; 2–6 reserved), bits [31:5] must be zero — the report
 * parser rejects those. A reserved SIGNING_KEY value is kept ({@link SigningKey#RESERVED}, with
 * {@link #signingKeyCode()}) for the verifier to refuse.
 *
 * @param bits the u32 exactly as in the report
 */
public record KeyInfo(int bits) {
  public static final int AUTHOR_KEY_EN = 1;
  public static final int MASK_CHIP_KEY = 1 << 1;
  static final int MBZ_MASK = ~0x1F;

  /** Which key signed the report. */
  public enum SigningKey {
    VCEK, VLEK, NONE, RESERVED
  }

  public static KeyInfo of(boolean authorKeyEn, boolean maskChipKey, SigningKey key) {
    int code = switch (key) {
      case VCEK -> 0;
      case VLEK -> 1;
      case NONE -> 7;
      case RESERVED -> throw new IllegalArgumentException("RESERVED is not a signing key to build");
    };
    return new KeyInfo((authorKeyEn ? AUTHOR_KEY_EN : 0) | (maskChipKey ? MASK_CHIP_KEY : 0) | code << 2);
  }

  public boolean authorKeyEn() {
    return (bits & AUTHOR_KEY_EN) != 0;
  }

  public boolean maskChipKey() {
    return (bits & MASK_CHIP_KEY) != 0;
  }

  public int signingKeyCode() {
    return (bits >>> 2) & 0x7;
  }

  public SigningKey signingKey() {
    return switch (signingKeyCode()) {
      case 0 -> SigningKey.VCEK;
      case 1 -> SigningKey.VLEK;
      case 7 -> SigningKey.NONE;
      default -> SigningKey.RESERVED;
    };
  }
}
