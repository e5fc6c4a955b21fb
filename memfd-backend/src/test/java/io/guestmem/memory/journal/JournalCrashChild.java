package io.guestmem.memory.journal;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.Durability;
import io.guestmem.memory.LeaseMode;
import io.guestmem.memory.LeaseStatus;
import io.guestmem.memory.MemoryEvent;
import io.guestmem.memory.Owner;
import io.guestmem.memory.PageState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The child JVM of {@link JournalCrashTest}: opens a journal with a small record log, appends a
 * deterministic sequence of records (from a seed; some too large for the log, some by
 * {@code tryAppend}), and prints {@code ACK n SEQ} after the n-th was acknowledged, until killed.
 */
public final class JournalCrashChild {
  static final String LEASE = "crash-lease";

  /** The first {@code n} records of a seed's sequence, without seqs and times. */
  static List<JournalRecord> sequence(long seed, int n) {
    Random r = new Random(seed);
    List<JournalRecord> out = new ArrayList<>(n);
    for (int i = 1; i <= n; i++) {
      out.add(next(r));
    }
    return out;
  }

  /** The next record of the sequence {@code r} generates. */
  static JournalRecord next(Random r) {
    int k = r.nextInt(3);
    // one record in 50 is larger than the log takes (it goes to SQLite directly)
    int count = r.nextInt(50) == 0 ? RecordLog.MAX_BODY_BYTES / 16 + 1 : 1 + r.nextInt(8);
    List<ByteRange> ranges = new ArrayList<>(count);
    long base = r.nextInt(1 << 20);
    for (int j = 0; j < count; j++) {
      ranges.add(new ByteRange((base + 2L * j) * 4096, 4096));
    }
    MemoryEvent.Kind kind = k == 0 ? MemoryEvent.Kind.CONVERTED : k == 1 ? MemoryEvent.Kind.ALLOCATED : MemoryEvent.Kind.DISCARDED;
    PageState to = kind == MemoryEvent.Kind.CONVERTED ? (r.nextBoolean() ? PageState.SHARED : PageState.PRIVATE) : null;
    return new JournalRecord(0, 0, LEASE, kind, to, ranges);
  }

  public static void main(String[] args) throws Exception {
    Path state = Path.of(args[0]);
    long seed = Long.parseLong(args[1]);
    int capacity = Integer.parseInt(args[2]);
    Random gen = new Random(seed);
    try (Journal j = Journal.open(state, Durability.PROCESS_CRASH, capacity)) {
      j.insertLease(new LeaseRecord(LEASE, 1L << 40, LeaseMode.OWNED, "emulated", new Owner(0, 1), "none", LeaseStatus.OPEN, null, null, "boot"));
      System.out.println("OPEN");
      System.out.flush();
      for (int n = 1; n <= 100_000; n++) {
        JournalRecord r = next(gen);
        long s = n % 2 == 0 ? j.tryAppend(LEASE, r.kind(), r.to(), r.ranges()) : Journal.BUSY;
        if (s == Journal.BUSY) {
          s = j.append(LEASE, r.kind(), r.to(), r.ranges());
        }
        System.out.println("ACK " + n + " " + s);
        System.out.flush();
      }
    }
  }
}
