package io.guestmem.memory.backend;

import io.guestmem.memory.PageState;
import io.guestmem.memory.sys.ErrnoException;

/** The private side of a lease: guest-only memory that no host process maps. */
public interface PrivateBacking extends Backing {
  /**
   * True if guestmem sets KVM memory attributes for this backing on conversion: owned mode on a
   * kernel with {@code KVM_SET_MEMORY_ATTRIBUTES} and a VM type that supports PRIVATE.
   */
  boolean setsAttributes();

  /** {@code KVM_SET_MEMORY_ATTRIBUTES} on the holder VM (GPA = lease offset). Only if {@link #setsAttributes()}. */
  void setAttributes(long offset, long length, PageState state) throws ErrnoException;

  /** {@code kvm-gmem}, {@code secretmem} or {@code emulated}. */
  String kind();
}
