package io.guestmem.memory;

import java.util.List;

/**
 * One guest's memory as a TEE (real or emulated) sees it: a size and private⇄shared
 * conversions. This is the narrow interface the emulated TDX module and SNP firmware drive
 * after a guest's MapGPA / Page State Change, exactly as a VMM would after a real exit.
 */
public interface ConvertibleMemory {
  /** Size of the guest memory in bytes (page-aligned). */
  long size();

  /**
   * Converts every range to {@code to}, all-or-nothing: either all ranges are converted and
   * recorded, or none is and the state is unchanged.
   *
   * @throws MemoryException with a stable reason when the request is refused
   */
  void convert(List<ByteRange> ranges, PageState to) throws MemoryException;

  /** The state of the page containing {@code offset}. */
  PageState stateAt(long offset) throws MemoryException;
}
