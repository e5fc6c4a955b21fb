package io.guestmem.snp.emu;

import io.guestmem.snp.abi.Bytes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The SNP launch digest (AMD SEV-SNP ABI spec 56860, "SNP_LAUNCH_UPDATE" and "PAGE_INFO"): it
 * starts as 48 zero bytes and each SNP_LAUNCH_UPDATE page replaces it with SHA-384 of a 0x70-byte
 * PAGE_INFO:
 *
 * <pre>
 * 0x00 48 DIGEST_CUR   the digest so far
 * 0x30 48 CONTENTS     SHA-384(page) for NORMAL and VMSA pages, else zeros
 * 0x60  2 LENGTH       0x0070
 * 0x62  1 PAGE_TYPE
 * 0x63  1 IMI_PAGE     bit 0
 * 0x64  1 VMPL3_PERMS
 * 0x65  1 VMPL2_PERMS
 * 0x66  1 VMPL1_PERMS
 * 0x67  1 reserved
 * 0x68  8 GPA
 * </pre>
 *
 * The final value is the report's MEASUREMENT. Instances are mutable accumulators owned by one
 * guest context.
 */
public final class LaunchDigest {
  public static final int PAGE_INFO_LENGTH = 0x70;

  private byte[] current = new byte[48];

  /** The PAGE_INFO for one page, given the digest so far. */
  public static byte[] pageInfo(byte[] digestCur, PageType type, long gpa, byte[] page, boolean imi,
      int vmpl3Perms, int vmpl2Perms, int vmpl1Perms) {
    byte[] info = new byte[PAGE_INFO_LENGTH];
    System.arraycopy(digestCur, 0, info, 0x00, 48);
    if (type.contentsMeasured()) {
      System.arraycopy(sha384(page), 0, info, 0x30, 48);
    }
    info[0x60] = (byte) PAGE_INFO_LENGTH;
    info[0x61] = 0;
    info[0x62] = (byte) type.code();
    info[0x63] = (byte) (imi ? 1 : 0);
    info[0x64] = (byte) vmpl3Perms;
    info[0x65] = (byte) vmpl2Perms;
    info[0x66] = (byte) vmpl1Perms;
    for (int i = 0; i < 8; i++) {
      info[0x68 + i] = (byte) (gpa >>> (8 * i));
    }
    return info;
  }

  /** Folds one page into the digest. {@code page} is 4096 bytes for NORMAL and VMSA, else ignored. */
  public void update(PageType type, long gpa, byte[] page, boolean imi, int vmpl3, int vmpl2, int vmpl1) {
    current = sha384(pageInfo(current, type, gpa, page, imi, vmpl3, vmpl2, vmpl1));
  }

  public Bytes value() {
    return Bytes.copyOf(current);
  }

  static byte[] sha384(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-384").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-384 is a mandatory JCA algorithm", e);
    }
  }

  @Override
  public String toString() {
    return "LaunchDigest{" + value().hex() + "}";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LaunchDigest other && Arrays.equals(current, other.current);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(current);
  }
}
