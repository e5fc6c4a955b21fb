package io.guestmem.tdx.abi;

/**
 * Bounds-checked little-endian reads over a buffer, reporting absolute offsets. Every read
 * checks {@code [offset, offset + size)} against the window before touching the array, so a
 * malformed length can never cause an out-of-bounds read.
 */
final class LayoutReader {
  private final byte[] buf;
  private final int start;
  private final int end;

  LayoutReader(byte[] buf) {
    this(buf, 0, buf.length);
  }

  LayoutReader(byte[] buf, int start, int end) {
    this.buf = buf;
    this.start = start;
    this.end = end;
  }

  /** A reader over {@code [at, at + length)} of this one; offsets stay absolute. */
  LayoutReader window(int at, long length, String field) throws MalformedLayoutException {
    require(at, length, field);
    return new LayoutReader(buf, at, (int) (at + length));
  }

  int start() {
    return start;
  }

  int end() {
    return end;
  }

  int remaining(int at) {
    return end - at;
  }

  byte[] buffer() {
    return buf;
  }

  void require(int at, long size, String field) throws MalformedLayoutException {
    if (size < 0) {
      throw new MalformedLayoutException(field, at, "negative size " + size);
    }
    if (at < start || at > end || size > end - at) {
      throw new MalformedLayoutException(
          field,
          at,
          "needs " + size + " bytes but only " + Math.max(0, end - at) + " remain (truncated)");
    }
  }

  int u8(int at, String field) throws MalformedLayoutException {
    require(at, 1, field);
    return buf[at] & 0xff;
  }

  int u16(int at, String field) throws MalformedLayoutException {
    require(at, 2, field);
    return (buf[at] & 0xff) | (buf[at + 1] & 0xff) << 8;
  }

  long u32(int at, String field) throws MalformedLayoutException {
    require(at, 4, field);
    return (buf[at] & 0xffL)
        | (buf[at + 1] & 0xffL) << 8
        | (buf[at + 2] & 0xffL) << 16
        | (buf[at + 3] & 0xffL) << 24;
  }

  long u64(int at, String field) throws MalformedLayoutException {
    require(at, 8, field);
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = v << 8 | (buf[at + i] & 0xffL);
    }
    return v;
  }

  Bytes bytes(int at, int size, String field) throws MalformedLayoutException {
    require(at, size, field);
    return Bytes.of(buf, at, size);
  }
}
