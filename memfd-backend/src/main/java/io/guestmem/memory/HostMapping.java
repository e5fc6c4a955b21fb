package io.guestmem.memory;

/**
 * A shared range that guestmem itself has mapped for host I/O (e.g. to copy a firmware image or
 * read a bounce buffer). While it is open, converting any page of it to PRIVATE, or discarding
 * it, fails with {@link MemoryException.Reason#RANGE_BUSY}. Only SHARED ranges can be mapped:
 * there is no way to map a private backing.
 *
 * <p>Accesses are bounds-checked against the mapped range; the mapping is released by
 * {@link #close()} (after which accesses throw {@link IllegalStateException}).
 */
public interface HostMapping extends AutoCloseable {
  /** The lease range this mapping covers. */
  ByteRange range();

  /** Copies {@code dst.length} bytes starting at lease offset {@code offset} into {@code dst}. */
  void read(long offset, byte[] dst);

  /** Copies {@code src} to lease offset {@code offset}. */
  void write(long offset, byte[] src);

  @Override
  void close();
}
