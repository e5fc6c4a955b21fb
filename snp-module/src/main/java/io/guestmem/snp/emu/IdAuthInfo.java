package io.guestmem.snp.emu;

import java.util.Optional;

/**
 * ID_AUTH_INFO, the 0x1000-byte structure that authenticates an {@link IdBlock} at
 * SNP_LAUNCH_FINISH (AMD SEV-SNP ABI spec 56860, "ID_AUTH_INFO"):
 *
 * <pre>
 * 0x000   4 ID_KEY_ALGO      (1 = ECDSA P-384 with SHA-384)
 * 0x004   4 AUTHOR_KEY_ALGO  (1)
 * 0x008  56 reserved
 * 0x040 0x200 ID_BLOCK_SIG   signature of the 96-byte ID_BLOCK by the ID key
 * 0x240 0x404 ID_KEY         public key
 * 0x644  60 reserved
 * 0x680 0x200 ID_KEY_SIG     signature of ID_KEY (0x404 bytes) by the author key
 * 0x880 0x404 AUTHOR_KEY     public key
 * 0xC84 0x37C reserved
 * </pre>
 */
public final class IdAuthInfo {
  public static final int SIZE = 0x1000;
  public static final int ALGO_ECDSA_P384_SHA384 = 1;
  static final int OFF_ID_KEY_ALGO = 0x000;
  static final int OFF_AUTHOR_KEY_ALGO = 0x004;
  static final int OFF_ID_BLOCK_SIG = 0x040;
  static final int OFF_ID_KEY = 0x240;
  static final int OFF_ID_KEY_SIG = 0x680;
  static final int OFF_AUTHOR_KEY = 0x880;

  private IdAuthInfo() {}

  /** Signs {@code block} with {@code idKey} and, if given, certifies the ID key with {@code authorKey}. */
  public static byte[] sign(IdBlock block, GuestOwnerKey idKey, Optional<GuestOwnerKey> authorKey) {
    byte[] b = new byte[SIZE];
    IdBlock.put(b, OFF_ID_KEY_ALGO, ALGO_ECDSA_P384_SHA384, 4);
    byte[] idPub = idKey.publicKeyStructure();
    System.arraycopy(idKey.signStructure(block.toBytes()), 0, b, OFF_ID_BLOCK_SIG, GuestOwnerKey.SIGNATURE_SIZE);
    System.arraycopy(idPub, 0, b, OFF_ID_KEY, GuestOwnerKey.PUBLIC_KEY_SIZE);
    if (authorKey.isPresent()) {
      IdBlock.put(b, OFF_AUTHOR_KEY_ALGO, ALGO_ECDSA_P384_SHA384, 4);
      System.arraycopy(authorKey.get().signStructure(idPub), 0, b, OFF_ID_KEY_SIG, GuestOwnerKey.SIGNATURE_SIZE);
      System.arraycopy(authorKey.get().publicKeyStructure(), 0, b, OFF_AUTHOR_KEY, GuestOwnerKey.PUBLIC_KEY_SIZE);
    }
    return b;
  }
}
