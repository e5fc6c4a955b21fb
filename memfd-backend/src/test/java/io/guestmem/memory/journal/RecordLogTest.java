package io.guestmem.memory.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.MemoryEvent;
import io.guestmem.memory.PageState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The record log's file format: what is appended is what a scan reads back, a record torn at any
 * byte ends the log there, a reset invalidates every record at once (including those of the old
 * epoch behind the new write position), and a file that is not a record log, or a record whose
 * CRC matches but whose contents are invalid, is reported rather than skipped; and what the
 * ingester takes from the log's image is, byte for byte, the batch encoding of the records appended.
 */
class RecordLogTest {
  private static final long P = 4096;

  @TempDir Path dir;

  private static JournalRecord rec(long seq, MemoryEvent.Kind kind, PageState to, long... pages) {
    List<ByteRange> ranges = new ArrayList<>();
    for (long p : pages) {
      ranges.add(new ByteRange(p * P, P));
    }
    return new JournalRecord(seq, 1_700_000_000_000L + seq, "lease-" + (seq % 3), kind, to, ranges);
  }

  private static List<JournalRecord> sample(Random r, long firstSeq, int n) {
    List<JournalRecord> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long seq = firstSeq + i;
      int k = r.nextInt(3);
      long[] pages = new long[1 + r.nextInt(5)];
      for (int j = 0; j < pages.length; j++) {
        pages[j] = 2L * j + r.nextInt(1000) * 16L;
      }
      out.add(k == 0 ? rec(seq, MemoryEvent.Kind.CONVERTED, r.nextBoolean() ? PageState.SHARED : PageState.PRIVATE, pages)
          : rec(seq, k == 1 ? MemoryEvent.Kind.ALLOCATED : MemoryEvent.Kind.DISCARDED, null, pages));
    }
    return out;
  }

  private Path file() {
    return dir.resolve("guestmem.db" + RecordLog.SUFFIX);
  }

  @Test
  void appendedRecords_scanBackEqual_andTheFileIsPrivateAndFullyWritten() throws Exception {
    RecordLog log = RecordLog.create(file(), 64 * 1024);
    List<JournalRecord> written = sample(new Random(1), 1, 200);
    for (JournalRecord r : written) {
      assertThat(log.append(r)).isTrue();
    }
    RecordLog.Scan scan = RecordLog.scan(Files.readAllBytes(file()));
    assertThat(scan.records()).isEqualTo(written);
    assertThat(scan.epoch()).isEqualTo(1);
    assertThat(scan.end()).isEqualTo(log.used());
    assertThat(Files.size(file())).isEqualTo(64 * 1024);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file()))).isEqualTo("rw-------");
    // no temporary file left behind
    assertThat(Files.exists(dir.resolve("guestmem.db" + RecordLog.SUFFIX + ".tmp"))).isFalse();
    log.close();
  }

  @Test
  void batches_areTheAppendedRecordsInBatchEncoding_takenInOrderUpToTheEnd_andEmptyAfterAReset() throws Exception {
    RecordLog log = RecordLog.create(file(), 64 * 1024);
    assertThat(log.end()).isEqualTo(RecordLog.HEADER_BYTES);
    assertThat(log.batch(log.end(), log.end(), 10)).isNull();
    List<JournalRecord> written = sample(new Random(7), 41, 150);
    for (JournalRecord r : written) {
      assertThat(log.append(r)).isTrue();
    }
    assertThat(log.end()).isEqualTo(log.used());
    // taken in batches of at most 64, each the exact bytes the journal_batches encoding of those records has
    List<JournalRecord> read = new ArrayList<>();
    int pos = RecordLog.HEADER_BYTES;
    int batches = 0;
    while (true) {
      RecordLog.Batch b = log.batch(pos, log.end(), 64);
      if (b == null) {
        break;
      }
      List<JournalRecord> expected = written.subList(read.size(), read.size() + b.count());
      assertThat(b.count()).isBetween(1, 64);
      assertThat(b.records()).isEqualTo(RecordCodec.encodeBatch(expected));
      assertThat(RecordCodec.decodeBatch(b.records(), "batch")).isEqualTo(expected);
      assertThat(b.firstSeq()).isEqualTo(expected.get(0).seq());
      assertThat(b.lastSeq()).isEqualTo(expected.get(expected.size() - 1).seq());
      read.addAll(expected);
      pos = b.end();
      batches++;
    }
    assertThat(read).isEqualTo(written);
    assertThat(batches).isEqualTo(3); // 64 + 64 + 22
    assertThat(pos).isEqualTo(log.end());
    // a range that ends before the end takes only the records below it
    RecordLog.Batch firstTwo = log.batch(RecordLog.HEADER_BYTES, (int) (RecordLog.HEADER_BYTES
        + RecordLog.recordSize(written.get(0)) + RecordLog.recordSize(written.get(1))), 64);
    assertThat(firstTwo.count()).isEqualTo(2);
    assertThat(firstTwo.lastSeq()).isEqualTo(written.get(1).seq());
    // a reset empties the log: its end is the header again, and the next record is a batch of one
    log.reset();
    assertThat(log.end()).isEqualTo(RecordLog.HEADER_BYTES);
    assertThat(log.batch(log.end(), log.end(), 64)).isNull();
    JournalRecord next = rec(500, MemoryEvent.Kind.CONVERTED, PageState.SHARED, 3);
    assertThat(log.append(next)).isTrue();
    RecordLog.Batch one = log.batch(RecordLog.HEADER_BYTES, log.end(), 64);
    assertThat(RecordCodec.decodeBatch(one.records(), "batch")).containsExactly(next);
    log.close();
  }

  @Test
  void aRecordTornAtAnyByte_endsTheLogBeforeIt() throws Exception {
    RecordLog log = RecordLog.create(file(), 16 * 1024);
    List<JournalRecord> written = sample(new Random(2), 1, 5);
    int lastStart = 0;
    for (JournalRecord r : written) {
      lastStart = log.used();
      log.append(r);
    }
    byte[] full = Files.readAllBytes(file());
    // the padding after the last body is zeros either way: tearing it changes nothing
    int end = lastStart + 8 + ByteBuffer.wrap(full).order(ByteOrder.LITTLE_ENDIAN).getInt(lastStart);
    Random garbage = new Random(3);
    for (int cut = lastStart; cut < end; cut++) {
      // a crash while the last record was being copied: bytes from `cut` on are not yet there
      // (zeros), or are whatever an earlier epoch left (random)
      for (boolean zeros : new boolean[] {true, false}) {
        byte[] torn = full.clone();
        for (int i = cut; i < end; i++) {
          torn[i] = zeros ? 0 : (byte) garbage.nextInt(256);
        }
        if (java.util.Arrays.equals(torn, full)) {
          continue; // the bytes not yet written were the ones already there (a range's high zero bytes)
        }
        RecordLog.Scan scan = RecordLog.scan(torn);
        assertThat(scan.records()).as("cut at %d (%s)", cut, zeros ? "zeros" : "garbage").isEqualTo(written.subList(0, 4));
        assertThat(scan.end()).isEqualTo(lastStart);
      }
    }
    log.close();
  }

  @Test
  void aReset_invalidatesEveryRecord_includingTheOldEpochsBehindTheNewWritePosition() throws Exception {
    RecordLog log = RecordLog.create(file(), 16 * 1024);
    List<JournalRecord> first = sample(new Random(4), 1, 40);
    for (JournalRecord r : first) {
      log.append(r);
    }
    log.reset();
    assertThat(log.epoch()).isEqualTo(2);
    assertThat(RecordLog.scan(Files.readAllBytes(file())).records()).isEmpty();
    // two shorter records now sit where the first long ones were; the rest of the old epoch follows
    List<JournalRecord> second = List.of(rec(41, MemoryEvent.Kind.DISCARDED, null, 1), rec(42, MemoryEvent.Kind.CONVERTED, PageState.PRIVATE, 2));
    for (JournalRecord r : second) {
      log.append(r);
    }
    RecordLog.Scan scan = RecordLog.scan(Files.readAllBytes(file()));
    assertThat(scan.records()).isEqualTo(second);
    assertThat(scan.epoch()).isEqualTo(2);
    log.close();
  }

  @Test
  void aFullLog_takesNothingMore_untilReset() throws Exception {
    RecordLog log = RecordLog.create(file(), 1024);
    int n = 0;
    while (log.append(rec(n + 1, MemoryEvent.Kind.ALLOCATED, null, n))) {
      n++;
    }
    assertThat(n).isGreaterThan(5);
    int used = log.used();
    assertThat(log.append(rec(n + 1, MemoryEvent.Kind.ALLOCATED, null, n))).isFalse();
    assertThat(log.used()).isEqualTo(used);
    assertThat(RecordLog.scan(Files.readAllBytes(file())).records()).hasSize(n);
    log.reset();
    assertThat(log.append(rec(n + 1, MemoryEvent.Kind.ALLOCATED, null, n))).isTrue();
    log.close();
  }

  @Test
  void recordsTooLargeForTheLog_areNotItsToTake() throws Exception {
    long[] pages = new long[RecordLog.MAX_BODY_BYTES / 16 + 1];
    for (int i = 0; i < pages.length; i++) {
      pages[i] = 2L * i;
    }
    JournalRecord huge = rec(1, MemoryEvent.Kind.DISCARDED, null, pages);
    assertThat(RecordLog.fits(huge, RecordLog.DEFAULT_CAPACITY)).isFalse();
    assertThat(RecordLog.fits(rec(1, MemoryEvent.Kind.DISCARDED, null, 1, 3), RecordLog.DEFAULT_CAPACITY)).isTrue();
    assertThat(RecordLog.fits(rec(1, MemoryEvent.Kind.DISCARDED, null, 1, 3), 96)).isFalse();
    RecordLog log = RecordLog.create(file(), RecordLog.DEFAULT_CAPACITY);
    assertThatThrownBy(() -> log.append(huge)).isInstanceOf(IllegalArgumentException.class);
    assertThat(log.used()).isEqualTo(RecordLog.HEADER_BYTES);
    log.close();
  }

  @Test
  void aFileCutShortOrWithAZeroHeader_holdsNoRecords() throws Exception {
    assertThat(RecordLog.scan(new byte[0]).records()).isEmpty();
    assertThat(RecordLog.scan(new byte[10]).records()).isEmpty();
    assertThat(RecordLog.scan(new byte[4096]).records()).isEmpty();
  }

  @Test
  void notARecordLog_orAnotherVersion_isReported() throws Exception {
    RecordLog log = RecordLog.create(file(), 4096);
    log.append(rec(1, MemoryEvent.Kind.ALLOCATED, null, 1));
    log.close();
    byte[] good = Files.readAllBytes(file());
    byte[] magic = good.clone();
    magic[3] ^= 1;
    assertThatThrownBy(() -> RecordLog.scan(magic)).isInstanceOf(RecordCodec.CorruptRecordException.class).hasMessageContaining("bad magic");
    byte[] version = good.clone();
    version[8] = 2;
    assertThatThrownBy(() -> RecordLog.scan(version)).isInstanceOf(RecordCodec.CorruptRecordException.class)
        .hasMessageContaining("format version 2 at offset 8");
  }

  /** Bodies with a valid CRC (computed here under the header's epoch) but invalid contents. */
  @Test
  void aRecordWithAMatchingCrcButInvalidContents_isCorruptionNotATornTail() throws Exception {
    RecordLog log = RecordLog.create(file(), 4096);
    log.append(rec(5, MemoryEvent.Kind.CONVERTED, PageState.SHARED, 1));
    log.close();
    byte[] good = Files.readAllBytes(file());
    int body = RecordLog.HEADER_BYTES + 8;
    // kind 9
    assertCorrupt(good, b -> b.put(body + 16, (byte) 9), "unknown kind 9");
    // a conversion without a target state
    assertCorrupt(good, b -> b.put(body + 17, (byte) 0), "a conversion to state 0");
    // an allocation with a target state
    assertCorrupt(good, b -> b.put(body + 16, (byte) 2), "ALLOCATED with state 2");
    // a range count that does not match the length
    int idLength = good[body + 18];
    assertCorrupt(good, b -> b.putInt(body + 20 + idLength, 2), "2 ranges in a body of");
    // a negative range offset
    assertCorrupt(good, b -> b.putLong(body + 24 + idLength, -4096), "range 0 is negative");
    // seq 0
    assertCorrupt(good, b -> b.putLong(body, 0), "seq 0 is not positive");
    // a lease id that is not UTF-8
    assertCorrupt(good, b -> b.put(body + 20, (byte) 0xff), "not UTF-8");
  }

  @Test
  void seqsThatDoNotIncrease_areCorruption() throws Exception {
    RecordLog log = RecordLog.create(file(), 4096);
    log.append(rec(7, MemoryEvent.Kind.ALLOCATED, null, 1));
    log.append(rec(7, MemoryEvent.Kind.ALLOCATED, null, 2));
    log.close();
    assertThatThrownBy(() -> RecordLog.scan(Files.readAllBytes(file()))).isInstanceOf(RecordCodec.CorruptRecordException.class)
        .hasMessageContaining("has seq 7 after seq 7");
  }

  /**
   * A write the kernel refuses (here ENOSPC, from {@code /dev/full}) fails the append with an
   * IOException naming it, and the log takes nothing more.
   */
  @Test
  void aWriteTheKernelRefuses_failsTheAppend_andTheLog() throws Exception {
    Path full = Path.of("/dev/full");
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isWritable(full), "/dev/full is not writable here");
    RecordLog log = RecordLog.overExisting(full, 64 * 1024);
    assertThatThrownBy(() -> log.append(rec(1, MemoryEvent.Kind.ALLOCATED, null, 1))).isInstanceOf(IOException.class)
        .hasMessageContaining("the write at offset 64 failed").hasMessageContaining("ENOSPC");
    assertThat(log.failed()).isTrue();
    assertThat(log.used()).isEqualTo(RecordLog.HEADER_BYTES);
    // the failed record is not published to the ingester either
    assertThat(log.end()).isEqualTo(RecordLog.HEADER_BYTES);
    assertThat(log.batch(RecordLog.HEADER_BYTES, log.end(), 64)).isNull();
    assertThatThrownBy(() -> log.append(rec(2, MemoryEvent.Kind.ALLOCATED, null, 2))).isInstanceOf(IOException.class)
        .hasMessageContaining("failed earlier");
    assertThatThrownBy(log::reset).isInstanceOf(IOException.class);
    log.close();
  }

  /** The log's file descriptor is close-on-exec, like every file the engine holds. */
  @Test
  void theLogsDescriptor_isCloseOnExec() throws Exception {
    RecordLog log = RecordLog.create(file(), 4096);
    boolean found = false;
    try (var fds = Files.list(Path.of("/proc/self/fd"))) {
      for (Path p : (Iterable<Path>) fds::iterator) {
        Path target;
        try {
          target = Files.readSymbolicLink(p);
        } catch (IOException e) {
          continue;
        }
        if (target.equals(file())) {
          found = true;
          String flags = Files.readAllLines(Path.of("/proc/self/fdinfo/" + p.getFileName())).stream()
              .filter(l -> l.startsWith("flags:")).findFirst().orElseThrow().split("\\s+")[1];
          assertThat(Long.parseLong(flags, 8) & 02000000).isNotZero();
        }
      }
    }
    assertThat(found).isTrue();
    log.close();
  }

  @Test
  void creatingReplacesAnOldFile_withAFreshEmptyLog() throws Exception {
    RecordLog old = RecordLog.create(file(), 4096);
    old.append(rec(1, MemoryEvent.Kind.ALLOCATED, null, 1));
    old.close();
    RecordLog fresh = RecordLog.create(file(), 8192);
    assertThat(RecordLog.scan(Files.readAllBytes(file())).records()).isEmpty();
    assertThat(Files.size(file())).isEqualTo(8192);
    fresh.close();
  }

  /**
   * Hostile or damaged files: 10,000 random mutations of a valid log (bit flips, overwritten
   * runs, truncations) each scan to a prefix of the records written or are reported as
   * corruption; nothing else escapes the parser. 10,000 of a {@code journal_batches} batch decode
   * or are reported as corruption.
   */
  @Test
  void randomDamage_givesAPrefixOrACorruptionReport_neverAnotherFailure() throws Exception {
    RecordLog log = RecordLog.create(file(), 8192);
    List<JournalRecord> written = sample(new Random(9), 1, 40);
    for (JournalRecord r : written) {
      log.append(r);
    }
    log.close();
    byte[] good = Files.readAllBytes(file());
    byte[] batch = RecordCodec.encodeBatch(written);
    Random r = new Random(10);
    int prefixes = 0;
    int corrupt = 0;
    for (int i = 0; i < 20_000; i++) {
      boolean ofLog = i % 2 == 0;
      byte[] bad = (ofLog ? good : batch).clone();
      int limit = ofLog ? log.used() + 64 : bad.length;
      switch (r.nextInt(3)) {
        case 0 -> bad[r.nextInt(limit)] ^= (byte) (1 << r.nextInt(8));
        case 1 -> {
          int at = r.nextInt(limit);
          for (int k = at; k < Math.min(bad.length, at + 1 + r.nextInt(16)); k++) {
            bad[k] = (byte) r.nextInt(256);
          }
        }
        default -> bad = java.util.Arrays.copyOf(bad, r.nextInt(bad.length));
      }
      try {
        if (ofLog) {
          List<JournalRecord> got = RecordLog.scan(bad).records();
          assertThat(written.subList(0, Math.min(got.size(), written.size()))).as("mutation %d", i).isEqualTo(got);
          prefixes++;
        } else {
          // a batch has no checksum of its own (SQLite keeps it): a damaged one decodes to other
          // valid records or is reported, nothing else
          assertThat(RecordCodec.decodeBatch(bad, "batch").size()).isLessThanOrEqualTo(written.size());
        }
      } catch (RecordCodec.CorruptRecordException e) {
        corrupt++;
      }
    }
    assertThat(prefixes).isPositive();
    assertThat(corrupt).isPositive();
  }

  @FunctionalInterface
  private interface Edit {
    void apply(ByteBuffer b);
  }

  /** Applies {@code edit} to the first record's body and re-signs it, then expects corruption. */
  private static void assertCorrupt(byte[] good, Edit edit, String message) {
    byte[] bad = good.clone();
    ByteBuffer b = ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN);
    edit.apply(b);
    int at = RecordLog.HEADER_BYTES;
    int bodyLength = b.getInt(at);
    CRC32C crc = new CRC32C();
    crc.update(bad, 16, 8); // the epoch, from the header
    crc.update(bad, at + 8, bodyLength);
    b.putInt(at + 4, (int) crc.getValue());
    assertThatThrownBy(() -> RecordLog.scan(bad)).isInstanceOf(RecordCodec.CorruptRecordException.class)
        .hasMessageContaining("record at offset 64").hasMessageContaining(message);
  }
}
