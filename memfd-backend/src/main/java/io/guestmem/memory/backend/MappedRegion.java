package io.guestmem.memory.backend;

/**
 * A mapping of part of a shared backing. Reads and writes are relative to the start of the
 * region and bounds-checked; after {@link #close()} they throw {@link IllegalStateException}.
 */
public interface MappedRegion extends AutoCloseable {
  long length();

  void read(long offset, byte[] dst);

  void write(long offset, byte[] src);

  @Override
  void close();
}
