package io.guestmem.tdx.emu;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.ConvertibleMemory;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.PageState;
import java.util.ArrayList;
import java.util.List;

/**
 * A small in-memory {@link ConvertibleMemory} for tests: one state per 4 KiB page (all PRIVATE at
 * first, like a new lease), every accepted conversion recorded, and an optional refusal.
 */
final class RecordingMemory implements ConvertibleMemory {
  record Conversion(List<ByteRange> ranges, PageState to) {}

  private final PageState[] pages;
  final List<Conversion> conversions = new ArrayList<>();
  MemoryException.Reason refuseWith;

  RecordingMemory(long size) {
    pages = new PageState[(int) (size / 4096)];
    java.util.Arrays.fill(pages, PageState.PRIVATE);
  }

  @Override
  public long size() {
    return pages.length * 4096L;
  }

  @Override
  public void convert(List<ByteRange> ranges, PageState to) throws MemoryException {
    if (refuseWith != null) {
      throw new MemoryException(refuseWith, "refused by test");
    }
    for (ByteRange r : ranges) {
      if (r.offset() % 4096 != 0 || r.length() % 4096 != 0) {
        throw new MemoryException(MemoryException.Reason.UNALIGNED, "unaligned " + r);
      }
      if (r.end() > size()) {
        throw new MemoryException(MemoryException.Reason.OUT_OF_RANGE, "outside " + r);
      }
    }
    for (ByteRange r : ranges) {
      for (long p = r.offset() / 4096; p < r.end() / 4096; p++) {
        pages[(int) p] = to;
      }
    }
    conversions.add(new Conversion(List.copyOf(ranges), to));
  }

  @Override
  public PageState stateAt(long offset) throws MemoryException {
    if (offset < 0 || offset >= size()) {
      throw new MemoryException(MemoryException.Reason.OUT_OF_RANGE, "outside");
    }
    return pages[(int) (offset / 4096)];
  }
}
