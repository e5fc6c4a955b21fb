package io.guestmem.attestation;

import java.util.Arrays;

/**
 * Evidence bytes as handed to a verifier plug-in: an immutable copy, read through accessors that
 * never expose the internal array.
 */
public final class Evidence {
  private final byte[] bytes;

  private Evidence(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Copies {@code length} bytes from {@code offset}; the caller has checked the bounds. */
  public static Evidence copyOf(byte[] source, int offset, int length) {
    return new Evidence(Arrays.copyOfRange(source, offset, offset + length));
  }

  public static Evidence copyOf(byte[] source) {
    return new Evidence(source.clone());
  }

  public int length() {
    return bytes.length;
  }

  /** The unsigned byte at {@code index}; the caller has checked {@code index < length()}. */
  public int byteAt(int index) {
    return bytes[index] & 0xFF;
  }

  /** A fresh copy of the evidence bytes. */
  public byte[] toByteArray() {
    return bytes.clone();
  }
}
