package io.guestmem.memory;

/**
 * A half-open byte range {@code [offset, offset + length)} within a lease. Construction checks
 * only sign and overflow; alignment and bounds are the lease's to check, so that errors can
 * name the lease's limits.
 */
public record ByteRange(long offset, long length) {
  public ByteRange {
    if (offset < 0 || length < 0 || offset + length < 0) {
      throw new IllegalArgumentException("range [" + offset + ", +" + length + ") is negative or overflows");
    }
  }

  public long end() {
    return offset + length;
  }

  public boolean overlaps(ByteRange other) {
    return offset < other.end() && other.offset < end();
  }

  @Override
  public String toString() {
    return String.format("[0x%x, 0x%x)", offset, end());
  }
}
