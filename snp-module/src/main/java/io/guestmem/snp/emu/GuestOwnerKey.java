package io.guestmem.snp.emu;

import io.guestmem.snp.abi.Bytes;
import io.guestmem.snp.abi.SnpEcdsaSignature;
import java.math.BigInteger;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.math.ec.ECPoint;

/**
 * A guest owner's P-384 ID key or author key, deterministic from (seed, label), with the SNP wire
 * forms the firmware reads (AMD SEV-SNP ABI spec 56860, "ECDSA Public Key Format" and "ECDSA
 * Signature Format"):
 *
 * <pre>
 * public key (0x404): 0x000 CURVE u32 (2 = P-384), 0x004 QX[72] LE, 0x04C QY[72] LE, 0x094 reserved[0x370]
 * signature  (0x200): 0x000 R[72] LE, 0x048 S[72] LE, 0x090 reserved[0x170]
 * </pre>
 *
 * The report's ID_KEY_DIGEST and AUTHOR_KEY_DIGEST are SHA-384 of the 0x404-byte public key.
 */
public final class GuestOwnerKey {
  public static final int PUBLIC_KEY_SIZE = 0x404;
  public static final int SIGNATURE_SIZE = 0x200;
  public static final int CURVE_P384 = 2;

  private final ECPrivateKeyParameters privateKey;
  private final ECPublicKeyParameters publicKey;

  private GuestOwnerKey(AsymmetricCipherKeyPair kp) {
    this.privateKey = (ECPrivateKeyParameters) kp.getPrivate();
    this.publicKey = (ECPublicKeyParameters) kp.getPublic();
  }

  public static GuestOwnerKey derive(long seed, String label) {
    return new GuestOwnerKey(AmdKeyRing.p384(seed, "guest-owner/" + label));
  }

  /** The 0x404-byte public key structure. */
  public byte[] publicKeyStructure() {
    byte[] b = new byte[PUBLIC_KEY_SIZE];
    b[0] = CURVE_P384;
    ECPoint q = publicKey.getQ().normalize();
    putLe(b, 0x004, q.getAffineXCoord().toBigInteger());
    putLe(b, 0x04C, q.getAffineYCoord().toBigInteger());
    return b;
  }

  /** SHA-384 of {@link #publicKeyStructure()}: what the report's ID_KEY_DIGEST / AUTHOR_KEY_DIGEST holds. */
  public Bytes digest() {
    return Bytes.copyOf(LaunchDigest.sha384(publicKeyStructure()));
  }

  /** The 0x200-byte signature structure over {@code message} (ECDSA P-384 / SHA-384). */
  public byte[] signStructure(byte[] message) {
    BigInteger[] rs = AmdSigning.ecdsaP384(privateKey, message);
    SnpEcdsaSignature s = SnpEcdsaSignature.fromIntegers(rs[0], rs[1]);
    byte[] b = new byte[SIGNATURE_SIZE];
    s.r().copyTo(b, 0);
    s.s().copyTo(b, 0x48);
    return b;
  }

  private static void putLe(byte[] b, int off, BigInteger v) {
    byte[] be = v.toByteArray();
    for (int i = 0; i < be.length && i < 72; i++) {
      b[off + i] = be[be.length - 1 - i];
    }
  }

  @Override
  public String toString() {
    return "GuestOwnerKey{P-384, digest=" + digest().hex() + "}";
  }
}
