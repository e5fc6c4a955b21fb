package io.guestmem.snp.emu;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.ConvertibleMemory;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.PageState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A small ConvertibleMemory for tests: one PageState per 4 KiB page (all PRIVATE at first, like a
 * new lease), every accepted conversion recorded, and a switch to refuse the next conversion with a
 * given reason (all-or-nothing, like the engine).
 */
final class RecordingMemory implements ConvertibleMemory {
  record Conversion(List<ByteRange> ranges, PageState to) {}

  private final PageState[] pages;
  final List<Conversion> conversions = new ArrayList<>();
  private MemoryException.Reason refuseNext;

  RecordingMemory(long bytes) {
    pages = new PageState[(int) (bytes / 4096)];
    Arrays.fill(pages, PageState.PRIVATE);
  }

  void refuseNextConversion(MemoryException.Reason reason) {
    refuseNext = reason;
  }

  @Override
  public long size() {
    return (long) pages.length * 4096;
  }

  @Override
  public void convert(List<ByteRange> ranges, PageState to) throws MemoryException {
    for (ByteRange r : ranges) {
      if (r.offset() % 4096 != 0 || r.length() % 4096 != 0 || r.length() == 0) {
        throw new MemoryException(MemoryException.Reason.UNALIGNED, "unaligned " + r);
      }
      if (r.end() > size()) {
        throw new MemoryException(MemoryException.Reason.OUT_OF_RANGE, "outside " + r);
      }
    }
    if (refuseNext != null) {
      MemoryException.Reason r = refuseNext;
      refuseNext = null;
      throw new MemoryException(r, "refused by the test");
    }
    for (ByteRange r : ranges) {
      Arrays.fill(pages, (int) (r.offset() / 4096), (int) (r.end() / 4096), to);
    }
    conversions.add(new Conversion(List.copyOf(ranges), to));
  }

  @Override
  public PageState stateAt(long offset) throws MemoryException {
    if (offset < 0 || offset >= size()) {
      throw new MemoryException(MemoryException.Reason.OUT_OF_RANGE, "offset " + offset);
    }
    return pages[(int) (offset / 4096)];
  }
}
