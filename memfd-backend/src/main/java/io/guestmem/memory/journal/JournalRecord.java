package io.guestmem.memory.journal;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.MemoryEvent;
import io.guestmem.memory.PageState;
import java.util.List;

/** One row of the journal, as replayed at recovery. {@code to} is null except for CONVERTED. */
public record JournalRecord(long seq, long timeMillis, String leaseId, MemoryEvent.Kind kind, PageState to,
                            List<ByteRange> ranges) {
  public JournalRecord {
    ranges = List.copyOf(ranges);
  }
}
