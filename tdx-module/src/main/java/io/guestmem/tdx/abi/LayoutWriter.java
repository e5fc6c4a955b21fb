package io.guestmem.tdx.abi;

import java.io.ByteArrayOutputStream;

/** Little-endian encoder used by every {@code toBytes()}. */
final class LayoutWriter {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  LayoutWriter u8(int v) {
    out.write(v);
    return this;
  }

  LayoutWriter u16(int v) {
    out.write(v);
    out.write(v >>> 8);
    return this;
  }

  LayoutWriter u32(long v) {
    for (int i = 0; i < 4; i++) {
      out.write((int) (v >>> (8 * i)));
    }
    return this;
  }

  LayoutWriter u64(long v) {
    for (int i = 0; i < 8; i++) {
      out.write((int) (v >>> (8 * i)));
    }
    return this;
  }

  LayoutWriter bytes(Bytes b) {
    byte[] a = b.toByteArray();
    out.write(a, 0, a.length);
    return this;
  }

  LayoutWriter bytes(byte[] a) {
    out.write(a, 0, a.length);
    return this;
  }

  int size() {
    return out.size();
  }

  byte[] toByteArray() {
    return out.toByteArray();
  }

  static void checkLength(Bytes b, int expected, String field) {
    if (b.length() != expected) {
      throw new IllegalArgumentException(field + " must be " + expected + " bytes, got " + b.length());
    }
  }
}
