package io.guestmem.tdx.emu;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Deterministic derivation of every secret and identifier of an emulated platform from one seed:
 * {@code HMAC-SHA-256(key = SHA-256("guestmem-tdx-emu" ‖ seed), label ‖ counter)} blocks, one
 * independent stream per label (an HKDF-expand-style DRBG). Same seed, same label, same bytes.
 * Emulation only: the seed is a test input, not a secret.
 */
public final class Seed {
  private final byte[] key;
  private final long value;

  public Seed(long seed) {
    this.value = seed;
    try {
      var sha = java.security.MessageDigest.getInstance("SHA-256");
      sha.update("guestmem-tdx-emu".getBytes(StandardCharsets.US_ASCII));
      sha.update(ByteBuffer.allocate(8).putLong(seed).array());
      this.key = sha.digest();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  public long value() {
    return value;
  }

  /** {@code length} bytes of the stream named {@code label}. */
  public byte[] bytes(String label, int length) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      byte[] out = new byte[length];
      int off = 0;
      for (int counter = 0; off < length; counter++) {
        mac.update(label.getBytes(StandardCharsets.UTF_8));
        mac.update(ByteBuffer.allocate(4).putInt(counter).array());
        byte[] block = mac.doFinal();
        int n = Math.min(block.length, length - off);
        System.arraycopy(block, 0, out, off, n);
        off += n;
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA-256 unavailable", e);
    }
  }

  /** A scalar in {@code [1, order)} for the key named {@code label} (rejection sampling). */
  public BigInteger scalar(String label, BigInteger order) {
    for (int i = 0; ; i++) {
      BigInteger d = new BigInteger(1, bytes(label + "#" + i, (order.bitLength() + 7) / 8));
      if (d.signum() > 0 && d.compareTo(order) < 0) {
        return d;
      }
    }
  }

  /** A positive certificate serial number (at most 20 octets, RFC 5280). */
  public BigInteger serial(String label) {
    byte[] b = bytes("serial:" + label, 16);
    b[0] &= 0x7f;
    b[0] |= 0x01;
    return new BigInteger(1, b);
  }
}
