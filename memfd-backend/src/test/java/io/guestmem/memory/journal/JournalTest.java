package io.guestmem.memory.journal;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.Durability;
import io.guestmem.memory.MemoryEvent;
import io.guestmem.memory.PageState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's writers: {@link Journal#tryAppend} never waits behind a long writer and never
 * runs a checkpoint; the journal checkpoints itself so that the WAL stays bounded (with the record
 * log, in its ingester). The record log itself: {@link JournalRecordLogTest}, {@link RecordLogTest}.
 */
class JournalTest {
  private static final List<ByteRange> PAGE = List.of(new ByteRange(0, 4096));

  @TempDir Path dir;

  @Test
  void tryAppend_commitsLikeAppend_whenTheJournalIsFree() throws Exception {
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH)) {
      j.insertLease(TestLeaseRecords.open("a"));
      long seq = j.tryAppend("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, PAGE);
      assertThat(seq).isEqualTo(j.lastSeq()).isNotEqualTo(Journal.BUSY);
    }
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH)) {
      List<JournalRecord> records = new ArrayList<>();
      j.replay("a", 0, records::add);
      assertThat(records).extracting(JournalRecord::kind).containsExactly(MemoryEvent.Kind.LEASE_OPENED, MemoryEvent.Kind.CONVERTED);
      assertThat(records.get(1).ranges()).isEqualTo(PAGE);
    }
  }

  @Test
  void tryAppend_isBusy_andWritesNothing_whileAnotherCallerHoldsTheJournal() throws Exception {
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH)) {
      j.insertLease(TestLeaseRecords.open("a"));
      long last = j.lastSeq();
      // replay holds the journal while it feeds its sink: park a reader there
      CountDownLatch inside = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      CompletableFuture<Long> reader = CompletableFuture.supplyAsync(() -> {
        try {
          return j.replay("a", 0, r -> {
            inside.countDown();
            try {
              release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          });
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      assertThat(inside.await(30, TimeUnit.SECONDS)).isTrue();

      assertThat(j.tryAppend("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, PAGE)).isEqualTo(Journal.BUSY);

      release.countDown();
      assertThat(reader.get(30, TimeUnit.SECONDS)).isEqualTo(1);
      assertThat(j.lastSeq()).isEqualTo(last);
      assertThat(j.tryAppend("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, PAGE)).isEqualTo(last + 1);
    }
  }

  /** Without a record log (as when it cannot be created) every record is a database write. */
  @Test
  void withoutARecordLog_aDueCheckpoint_isDeclinedByTryAppend_andRunByTheNextWriterThatMayBlock() throws Exception {
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH, 0)) {
      j.insertLease(TestLeaseRecords.open("a"));
      int appended = 0;
      while (j.tryAppend("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, PAGE) != Journal.BUSY) {
        appended++;
        assertThat(appended).isLessThanOrEqualTo(Journal.CHECKPOINT_FRAMES);
      }
      j.append("a", MemoryEvent.Kind.CONVERTED, PageState.PRIVATE, PAGE); // checkpoints after its commit
      long walBefore = Files.size(dir.resolve(Journal.FILE_NAME + "-wal"));
      assertThat(walBefore).isGreaterThan(Journal.CHECKPOINT_FRAMES / 4 * 1024L);
      assertThat(j.tryAppend("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, PAGE)).isNotEqualTo(Journal.BUSY);
      // the checkpointed WAL is written again from its start: it does not grow past its old size
      for (int i = 0; i < 100; i++) {
        j.tryAppend("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, PAGE);
      }
      assertThat(Files.size(dir.resolve(Journal.FILE_NAME + "-wal"))).isLessThanOrEqualTo(walBefore);
    }
  }

  @Test
  void manyRecords_keepTheWalBounded_andAllReplay() throws Exception {
    int n = 5 * Journal.CHECKPOINT_FRAMES;
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH)) {
      j.insertLease(TestLeaseRecords.open("a"));
      for (int i = 0; i < n; i++) {
        if (j.tryAppend("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, PAGE) == Journal.BUSY) {
          j.append("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, PAGE);
        }
      }
      // ~2 frames per record without checkpoints would be ~10 MiB
      assertThat(Files.size(dir.resolve(Journal.FILE_NAME + "-wal"))).isLessThan(3L * Journal.CHECKPOINT_FRAMES * 1100);
    }
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH)) {
      assertThat(j.replay("a", 0, r -> { })).isEqualTo(n + 1);
    }
  }
}
