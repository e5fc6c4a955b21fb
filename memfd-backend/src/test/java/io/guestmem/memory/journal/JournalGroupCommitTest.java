package io.guestmem.memory.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.Durability;
import io.guestmem.memory.MemoryEvent;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.PageState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Group commit under {@code POWER_LOSS}: appends that arrive while a commit (an fsync) runs are
 * committed together by the next one; every append returns only once its own record is committed;
 * a failed group fails all of its members and writes none of them; groups commit in seq order.
 */
class JournalGroupCommitTest {
  private static final int WRITERS = 8;

  @TempDir Path dir;

  private static List<ByteRange> page(int n) {
    return List.of(new ByteRange(n * 4096L, 4096));
  }

  private static List<JournalRecord> converted(Journal j, String lease) throws MemoryException {
    List<JournalRecord> out = new ArrayList<>();
    j.replay(lease, 0, r -> {
      if (r.kind() == MemoryEvent.Kind.CONVERTED) {
        out.add(r);
      }
    });
    return out;
  }

  @Test
  void appendsThatArriveDuringACommitShareTheNextOne() throws Exception {
    try (Journal j = Journal.open(dir, Durability.POWER_LOSS)) {
      j.insertLease(TestLeaseRecords.open("a"));
      CountDownLatch firstCommitting = new CountDownLatch(1);
      CountDownLatch othersQueued = new CountDownLatch(1);
      AtomicInteger commits = new AtomicInteger();
      List<Integer> sizes = new ArrayList<>();
      j.setGroupCommitHook(n -> {
        synchronized (sizes) {
          sizes.add(n);
        }
        if (commits.getAndIncrement() == 0) {
          firstCommitting.countDown();
          try {
            othersQueued.await(10, TimeUnit.SECONDS); // the first group's "fsync" lasts until everyone else has queued
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      });
      ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
      try {
        Future<Long> first = pool.submit(() -> j.append("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, page(0)));
        assertThat(firstCommitting.await(10, TimeUnit.SECONDS)).isTrue();
        List<Future<Long>> rest = new ArrayList<>();
        for (int w = 1; w < WRITERS; w++) {
          int n = w;
          rest.add(pool.submit(() -> j.append("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, page(n))));
        }
        // all of them are waiting: queued behind the running commit, none acknowledged yet
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (j.lastSeq() < 1 + WRITERS && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }
        assertThat(j.lastSeq()).as("every writer has taken its seq").isEqualTo(1 + WRITERS);
        assertThat(rest).noneMatch(Future::isDone);
        assertThat(first.isDone()).isFalse();
        othersQueued.countDown();
        Set<Long> seqs = new HashSet<>();
        seqs.add(first.get(10, TimeUnit.SECONDS));
        for (Future<Long> f : rest) {
          seqs.add(f.get(10, TimeUnit.SECONDS));
        }
        assertThat(seqs).hasSize(WRITERS);
        assertThat(sizes).containsExactly(1, WRITERS - 1);
        assertThat(j.stats().groupCommits()).isEqualTo(2);
        assertThat(j.stats().groupCommitRecords()).isEqualTo(WRITERS);
        assertThat(j.stats().pendingRecords()).isZero();
      } finally {
        pool.shutdownNow();
      }
      assertThat(converted(j, "a")).hasSize(WRITERS).extracting(JournalRecord::seq).isSorted();
      // a caller that must not wait never gets an fsync on its thread
      assertThat(j.tryAppend("a", MemoryEvent.Kind.CONVERTED, PageState.PRIVATE, page(0))).isEqualTo(Journal.BUSY);
      assertThat(converted(j, "a")).hasSize(WRITERS);
    }
    assertThat(Files.exists(dir.resolve("guestmem.db-records"))).isFalse();
    try (Journal j = Journal.open(dir, Durability.POWER_LOSS)) {
      assertThat(converted(j, "a")).hasSize(WRITERS);
    }
  }

  @Test
  void aFailedGroupFailsEveryMemberAndWritesNoneOfThem() throws Exception {
    try (Journal j = Journal.open(dir, Durability.POWER_LOSS)) {
      j.insertLease(TestLeaseRecords.open("a"));
      j.append("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, page(0));
      AtomicInteger calls = new AtomicInteger();
      j.setGroupCommitHook(n -> {
        if (calls.getAndIncrement() == 0) {
          throw new SQLException("injected: disk I/O error");
        }
      });
      assertThatThrownBy(() -> j.append("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, page(1)))
          .isInstanceOf(MemoryException.class)
          .satisfies(e -> assertThat(((MemoryException) e).reason()).isEqualTo(MemoryException.Reason.JOURNAL_FAILED))
          .hasMessageContaining("injected");
      long after = j.append("a", MemoryEvent.Kind.CONVERTED, PageState.PRIVATE, page(2));
      List<JournalRecord> records = converted(j, "a");
      assertThat(records).extracting(r -> r.ranges().get(0).offset()).containsExactly(0L, 2 * 4096L);
      assertThat(after).isEqualTo(records.get(1).seq()).isGreaterThan(records.get(0).seq() + 1); // the failed seq is not reused
    }
  }

  @Test
  void concurrentWritersAllCommitInSeqOrderWithFewerCommitsThanRecords() throws Exception {
    int perWriter = 50;
    try (Journal j = Journal.open(dir, Durability.POWER_LOSS)) {
      j.insertLease(TestLeaseRecords.open("a"));
      // every commit takes at least 2 ms, like a slow disk's fsync, so writers pile up behind it
      j.setGroupCommitHook(n -> {
        try {
          Thread.sleep(2);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
      try {
        List<Future<List<Long>>> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
          int base = w * perWriter;
          writers.add(pool.submit(() -> {
            List<Long> mine = new ArrayList<>();
            for (int i = 0; i < perWriter; i++) {
              mine.add(j.append("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, page(base + i)));
            }
            return mine;
          }));
        }
        Set<Long> all = new HashSet<>();
        for (Future<List<Long>> f : writers) {
          List<Long> mine = f.get(60, TimeUnit.SECONDS);
          assertThat(mine).isSorted();
          all.addAll(mine);
        }
        assertThat(all).hasSize(WRITERS * perWriter);
      } finally {
        pool.shutdownNow();
      }
      JournalStats stats = j.stats();
      assertThat(stats.groupCommitRecords()).isEqualTo(WRITERS * perWriter);
      assertThat(stats.groupCommits()).isLessThan(stats.groupCommitRecords() / 2);
      List<JournalRecord> records = converted(j, "a");
      assertThat(records).hasSize(WRITERS * perWriter).extracting(JournalRecord::seq).isSorted().doesNotHaveDuplicates();
    }
  }
}
