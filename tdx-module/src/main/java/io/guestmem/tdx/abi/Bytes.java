package io.guestmem.tdx.abi;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * An immutable byte string: copied on the way in and on the way out, so no value of this package
 * exposes a mutable {@code byte[]}. {@link #toString()} is lower-case hex.
 */
public final class Bytes implements Comparable<Bytes> {
  private static final Bytes EMPTY = new Bytes(new byte[0]);
  private static final HexFormat HEX = HexFormat.of();

  private final byte[] data;

  private Bytes(byte[] owned) {
    this.data = owned;
  }

  /** A copy of {@code data}. */
  public static Bytes of(byte[] data) {
    return data.length == 0 ? EMPTY : new Bytes(data.clone());
  }

  /** A copy of {@code data[from, from + length)}. */
  public static Bytes of(byte[] data, int from, int length) {
    return new Bytes(Arrays.copyOfRange(data, from, Math.addExact(from, length)));
  }

  /** {@code length} zero bytes. */
  public static Bytes zeros(int length) {
    return new Bytes(new byte[length]);
  }

  public static Bytes empty() {
    return EMPTY;
  }

  /** Parses hex (either case, no separators). */
  public static Bytes fromHex(String hex) {
    return new Bytes(HEX.parseHex(hex));
  }

  public int length() {
    return data.length;
  }

  public byte get(int index) {
    return data[index];
  }

  /** A fresh copy of the bytes. */
  public byte[] toByteArray() {
    return data.clone();
  }

  /** The bytes {@code [from, to)}. */
  public Bytes slice(int from, int to) {
    return new Bytes(Arrays.copyOfRange(data, from, to));
  }

  public Bytes concat(Bytes other) {
    byte[] out = Arrays.copyOf(data, data.length + other.data.length);
    System.arraycopy(other.data, 0, out, data.length, other.data.length);
    return new Bytes(out);
  }

  public boolean isAllZero() {
    for (byte b : data) {
      if (b != 0) {
        return false;
      }
    }
    return true;
  }

  /** Copies the bytes into {@code dest} at {@code destOffset}. */
  public void copyTo(byte[] dest, int destOffset) {
    System.arraycopy(data, 0, dest, destOffset, data.length);
  }

  public String hex() {
    return HEX.formatHex(data);
  }

  /** Constant-time comparison of contents. */
  public boolean contentEquals(byte[] other) {
    return java.security.MessageDigest.isEqual(data, other);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Bytes b && Arrays.equals(data, b.data);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(data);
  }

  @Override
  public int compareTo(Bytes o) {
    return Arrays.compareUnsigned(data, o.data);
  }

  @Override
  public String toString() {
    return hex();
  }
}
