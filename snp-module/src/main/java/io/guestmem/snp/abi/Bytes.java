package io.guestmem.snp.abi;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * An immutable byte string: copies on the way in and on the way out, so no value type of this
 * package exposes a mutable array. {@link #equals} compares contents in constant time for equal
 * lengths.
 */
public final class Bytes {
  private static final HexFormat HEX = HexFormat.of();
  private static final Bytes EMPTY = new Bytes(new byte[0]);

  private final byte[] data;

  private Bytes(byte[] owned) {
    this.data = owned;
  }

  /** A copy of {@code data}. */
  public static Bytes copyOf(byte[] data) {
    return new Bytes(data.clone());
  }

  /** A copy of {@code data[offset, offset + length)}. */
  public static Bytes copyOf(byte[] data, int offset, int length) {
    return new Bytes(Arrays.copyOfRange(data, offset, Math.addExact(offset, length)));
  }

  /** Decodes lower- or upper-case hex; throws {@link IllegalArgumentException} on bad hex. */
  public static Bytes fromHex(String hex) {
    return new Bytes(HEX.parseHex(hex));
  }

  /** {@code n} zero bytes. */
  public static Bytes zeros(int n) {
    return n == 0 ? EMPTY : new Bytes(new byte[n]);
  }

  public static Bytes empty() {
    return EMPTY;
  }

  public int length() {
    return data.length;
  }

  public byte get(int index) {
    return data[index];
  }

  /** A fresh copy of the contents. */
  public byte[] toByteArray() {
    return data.clone();
  }

  /** Copies the contents into {@code dst} at {@code dstOffset}. */
  public void copyTo(byte[] dst, int dstOffset) {
    System.arraycopy(data, 0, dst, dstOffset, data.length);
  }

  public Bytes slice(int offset, int length) {
    return new Bytes(Arrays.copyOfRange(data, offset, Math.addExact(offset, length)));
  }

  public boolean isAllZero() {
    for (byte b : data) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  /** Lower-case hex. */
  public String hex() {
    return HEX.formatHex(data);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bytes other && MessageDigest.isEqual(data, other.data);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(data);
  }

  /** Hex of the contents; these are layout fields (digests, ids), never key material. */
  @Override
  public String toString() {
    return hex();
  }
}
