package io.guestmem.memory.backend;

import io.guestmem.memory.sys.ErrnoException;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One side of a lease's memory: a file of fixed size whose pages can be allocated and discarded.
 * Offsets and lengths are page-aligned and inside the file; the engine checks that before
 * calling. Calls interrupted by a signal are retried here (the kernel keeps partial progress, so a
 * retry only does the rest). Owns its fd: {@link #close()} closes it exactly once.
 */
public interface Backing extends AutoCloseable {
  long size();

  /** Allocates {@code [offset, offset + length)} (one chunk; the engine splits large requests). */
  void allocate(long offset, long length) throws ErrnoException;

  /** Frees and zeroes {@code [offset, offset + length)}: the next access sees zeros. */
  void discard(long offset, long length) throws ErrnoException;

  /** The kernel fd, or empty for the emulated backend. Never close it: the backing owns it. */
  OptionalInt fd();

  /** {@code (st_dev, st_ino)} of the kernel object, or empty for the emulated backend. */
  Optional<FileId> fileId();

  /** Closes the fd (idempotent). */
  @Override
  void close();
}
