package io.guestmem.memory.backend;

import io.guestmem.memory.sys.ErrnoException;

/** The shared side of a lease: a memfd sealed against grow and shrink that the VMM maps. */
public interface SharedBacking extends Backing {
  /** Maps {@code [offset, offset + length)} read-write, shared, for host I/O by guestmem. */
  MappedRegion map(long offset, long length) throws ErrnoException;
}
