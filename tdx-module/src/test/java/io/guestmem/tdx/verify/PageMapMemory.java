package io.guestmem.tdx.verify;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.ConvertibleMemory;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.PageState;
import java.util.Arrays;
import java.util.List;

/** The smallest ConvertibleMemory that lets an emulator run its lifecycle in a test. */
final class PageMapMemory implements ConvertibleMemory {
  private final PageState[] pages;

  PageMapMemory(long bytes) {
    pages = new PageState[(int) (bytes / 4096)];
    Arrays.fill(pages, PageState.PRIVATE);
  }

  @Override
  public long size() {
    return (long) pages.length * 4096;
  }

  @Override
  public void convert(List<ByteRange> ranges, PageState to) throws MemoryException {
    for (ByteRange r : ranges) {
      if (r.offset() % 4096 != 0 || r.length() % 4096 != 0 || r.end() > size()) {
        throw new MemoryException(MemoryException.Reason.OUT_OF_RANGE, "bad range " + r);
      }
    }
    for (ByteRange r : ranges) {
      Arrays.fill(pages, (int) (r.offset() / 4096), (int) (r.end() / 4096), to);
    }
  }

  @Override
  public PageState stateAt(long offset) throws MemoryException {
    if (offset < 0 || offset >= size()) {
      throw new MemoryException(MemoryException.Reason.OUT_OF_RANGE, "offset " + offset);
    }
    return pages[(int) (offset / 4096)];
  }
}
