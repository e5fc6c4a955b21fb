package io.guestmem.snp.emu;

import io.guestmem.snp.abi.Bytes;
import io.guestmem.snp.abi.GuestPolicy;

/**
 * ID_BLOCK, the 96 bytes a guest owner signs and the VMM passes to SNP_LAUNCH_FINISH (AMD SEV-SNP
 * ABI spec 56860, "ID_BLOCK"): {@code 0x00 LD[48], 0x30 FAMILY_ID[16], 0x40 IMAGE_ID[16],
 * 0x50 VERSION u32 (=1), 0x54 GUEST_SVN u32, 0x58 POLICY u64}.
 */
public record IdBlock(Bytes launchDigest, Bytes familyId, Bytes imageId, long version, long guestSvn,
    GuestPolicy policy) {
  public static final int SIZE = 0x60;

  public IdBlock {
    if (launchDigest.length() != 48 || familyId.length() != 16 || imageId.length() != 16) {
      throw new IllegalArgumentException("LD is 48 bytes, FAMILY_ID and IMAGE_ID 16");
    }
  }

  public static IdBlock of(Bytes launchDigest, Bytes familyId, Bytes imageId, long guestSvn, GuestPolicy policy) {
    return new IdBlock(launchDigest, familyId, imageId, 1, guestSvn, policy);
  }

  public byte[] toBytes() {
    byte[] b = new byte[SIZE];
    launchDigest.copyTo(b, 0x00);
    familyId.copyTo(b, 0x30);
    imageId.copyTo(b, 0x40);
    put(b, 0x50, version, 4);
    put(b, 0x54, guestSvn, 4);
    put(b, 0x58, policy.bits(), 8);
    return b;
  }

  /** Decodes 96 bytes; only a wrong length is an error (the firmware checks VERSION). */
  public static IdBlock fromBytes(byte[] b) {
    if (b.length != SIZE) {
      throw new IllegalArgumentException("ID_BLOCK is 96 bytes");
    }
    return new IdBlock(Bytes.copyOf(b, 0, 48), Bytes.copyOf(b, 0x30, 16), Bytes.copyOf(b, 0x40, 16),
        get(b, 0x50, 4), get(b, 0x54, 4), new GuestPolicy(get(b, 0x58, 8)));
  }

  static void put(byte[] b, int off, long v, int n) {
    for (int i = 0; i < n; i++) {
      b[off + i] = (byte) (v >>> (8 * i));
    }
  }

  static long get(byte[] b, int off, int n) {
    long v = 0;
    for (int i = n - 1; i >= 0; i--) {
      v = v << 8 | (b[off + i] & 0xFFL);
    }
    return v;
  }
}
