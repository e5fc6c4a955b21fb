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
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal with its record log: page-state records are committed to the log and reach SQLite
 * by ingestion; a restart ingests exactly the records a crash left un-ingested (judged by the
 * ingestion mark); a full log is ingested and reset; oversized records and every other write go
 * to SQLite directly; retracted seqs are never reused; under POWER_LOSS there is no log.
 *
 * <p>A crash is modelled by copying files while the journal is live: the database files at one
 * moment (all ingestion up to there committed), the record log at a later one (ingestion does
 * not change the log file; only a reset does, and these tests stay below the reset threshold).
 */
class JournalRecordLogTest {
  private static final long P = 4096;

  @TempDir Path dir;

  private static List<ByteRange> page(long n) {
    return List.of(new ByteRange(n * P, P));
  }

  private static List<JournalRecord> replay(Journal j, String lease) throws MemoryException {
    List<JournalRecord> out = new ArrayList<>();
    j.replay(lease, 0, out::add);
    return out;
  }

  /**
   * Records in SQLite (journal rows plus the records of journal_batches rows), read with a
   * separate connection (only after the journal is closed).
   */
  private static long rows(Path stateDir) throws Exception {
    long n = 0;
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + stateDir.resolve(Journal.FILE_NAME));
         Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM journal")) {
        rs.next();
        n += rs.getLong(1);
      }
      try (ResultSet rs = s.executeQuery("SELECT records FROM journal_batches")) {
        while (rs.next()) {
          n += RecordCodec.decodeBatch(rs.getBytes(1), "test").size();
        }
      }
    }
    return n;
  }

  private static void copyDatabase(Path from, Path to) throws Exception {
    Files.createDirectories(to);
    for (String f : List.of(Journal.FILE_NAME, Journal.FILE_NAME + "-wal")) {
      if (Files.exists(from.resolve(f))) {
        Files.copy(from.resolve(f), to.resolve(f));
      }
    }
  }

  private static void copyLog(Path from, Path to) throws Exception {
    Files.copy(Journal.logFile(from), Journal.logFile(to));
  }

  @Test
  void appendsAreCommittedToTheRecordLog_andIngestedIntoSqlite() throws Exception {
    Path live = dir.resolve("live");
    long last;
    try (Journal j = Journal.open(live, Durability.PROCESS_CRASH)) {
      j.insertLease(TestLeaseRecords.open("a"));
      for (int i = 0; i < 10; i++) {
        j.append("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, page(i));
      }
      last = j.tryAppend("a", MemoryEvent.Kind.DISCARDED, null, page(3));
      assertThat(last).isEqualTo(j.lastSeq());
      // in the log file now, whether or not the ingester has run
      List<JournalRecord> logged = RecordLog.scan(Files.readAllBytes(Journal.logFile(live))).records();
      assertThat(logged).extracting(JournalRecord::seq).contains(last);
      assertThat(logged.get(logged.size() - 1)).isEqualTo(new JournalRecord(last, logged.get(logged.size() - 1).timeMillis(), "a",
          MemoryEvent.Kind.DISCARDED, null, page(3)));
      JournalStats before = j.stats();
      assertThat(before.pendingRecords() + before.ingestedRecords()).as("every logged record is pending or ingested").isEqualTo(11);
      j.ingest();
      assertThat(j.stats()).isEqualTo(new JournalStats(0, 11, 0, 0));
      assertThat(replay(j, "a")).hasSize(12).extracting(JournalRecord::seq).endsWith(last);
    }
    // after close: all in SQLite, the mark at the last seq, the log emptied
    assertThat(rows(live)).isEqualTo(12);
    assertThat(RecordLog.scan(Files.readAllBytes(Journal.logFile(live))).records()).isEmpty();
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + live.resolve(Journal.FILE_NAME));
         Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE key = '" + Journal.INGESTED_KEY + "'")) {
      assertThat(rs.next()).isTrue();
      assertThat(Long.parseLong(rs.getString(1))).isEqualTo(last);
    }
  }

  @Test
  void afterACrash_theRecordsOnlyInTheLog_areIngestedAtOpen() throws Exception {
    Path live = dir.resolve("live");
    Path crashed = dir.resolve("crashed");
    List<JournalRecord> before;
    try (Journal j = Journal.open(live, Durability.PROCESS_CRASH)) {
      j.insertLease(TestLeaseRecords.open("a"));
      j.ingest();
      copyDatabase(live, crashed); // the database as a crash now would leave it
      for (int i = 0; i < 50; i++) {
        j.append("a", i % 2 == 0 ? MemoryEvent.Kind.CONVERTED : MemoryEvent.Kind.ALLOCATED, i % 2 == 0 ? PageState.SHARED : null, page(i));
      }
      before = replay(j, "a"); // ingests (in SQLite only: the copy does not see it)
      copyLog(live, crashed); // the log still holds all 50 (no reset below half full)
    }
    Object inode = Files.getAttribute(Journal.logFile(crashed), "unix:ino");
    long epoch = RecordLog.scan(Files.readAllBytes(Journal.logFile(crashed))).epoch();
    try (Journal j = Journal.open(crashed, Durability.PROCESS_CRASH)) {
      assertThat(j.recoveredFromRecordLog()).isEqualTo(50);
      assertThat(replay(j, "a")).isEqualTo(before);
      assertThat(j.lastSeq()).isEqualTo(before.get(before.size() - 1).seq());
      // the same file, kept with its blocks, starts a new epoch: empty; new records continue the seqs
      assertThat(Files.getAttribute(Journal.logFile(crashed), "unix:ino")).isEqualTo(inode);
      RecordLog.Scan now = RecordLog.scan(Files.readAllBytes(Journal.logFile(crashed)));
      assertThat(now.records()).isEmpty();
      assertThat(now.epoch()).isEqualTo(epoch + 1);
      assertThat(j.append("a", MemoryEvent.Kind.DISCARDED, null, page(1))).isEqualTo(j.lastSeq()).isEqualTo(before.size() + 1);
    }
  }

  @Test
  void recordsAtOrBelowTheIngestionMark_areNotIngestedTwice() throws Exception {
    Path live = dir.resolve("live");
    Path crashed = dir.resolve("crashed");
    List<JournalRecord> before;
    try (Journal j = Journal.open(live, Durability.PROCESS_CRASH)) {
      j.insertLease(TestLeaseRecords.open("a"));
      for (int i = 0; i < 30; i++) {
        j.append("a", MemoryEvent.Kind.CONVERTED, PageState.PRIVATE, page(i));
      }
      j.ingest();
      copyDatabase(live, crashed); // 30 ingested, the mark at their last seq
      for (int i = 30; i < 45; i++) {
        j.append("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, page(i));
      }
      before = replay(j, "a");
      copyLog(live, crashed); // holds all 45
    }
    try (Journal j = Journal.open(crashed, Durability.PROCESS_CRASH)) {
      assertThat(j.recoveredFromRecordLog()).isEqualTo(15);
      assertThat(replay(j, "a")).isEqualTo(before);
    }
    // a second open finds nothing left to ingest (the first emptied the log after committing)
    try (Journal j = Journal.open(crashed, Durability.PROCESS_CRASH)) {
      assertThat(j.recoveredFromRecordLog()).isZero();
      assertThat(replay(j, "a")).isEqualTo(before);
    }
  }

  @Test
  void aFullLog_isIngestedAndReset_byTheNextAppendThatMayBlock_whileTryAppendDeclines() throws Exception {
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH, 2048, false)) {
      j.insertLease(TestLeaseRecords.open("a"));
      int appended = 0;
      long seq;
      while ((seq = j.tryAppend("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, page(appended))) != Journal.BUSY) {
        appended++;
        assertThat(seq).isEqualTo(appended + 1);
      }
      assertThat(appended).isBetween(10, 40);
      long last = j.lastSeq();
      // the append that may block makes room: everything ingested, the log started again
      assertThat(j.append("a", MemoryEvent.Kind.CONVERTED, PageState.PRIVATE, page(0))).isEqualTo(last + 1);
      List<JournalRecord> logged = RecordLog.scan(Files.readAllBytes(Journal.logFile(dir))).records();
      assertThat(logged).extracting(JournalRecord::seq).containsExactly(last + 1);
      assertThat(j.tryAppend("a", MemoryEvent.Kind.CONVERTED, PageState.SHARED, page(1))).isEqualTo(last + 2);
      assertThat(replay(j, "a")).extracting(JournalRecord::seq).hasSize(appended + 3).isSorted().doesNotHaveDuplicates();
    }
  }

  @Test
  void aRecordTooLargeForTheLog_goesToSqliteDirectly_inOrder() throws Exception {
    List<ByteRange> many = new ArrayList<>();
    for (int i = 0; i < RecordLog.MAX_BODY_BYTES / 16 + 10; i++) {
      many.add(new ByteRange(2L * i * P, P));
    }
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH)) {
      j.insertLease(TestLeaseRecords.open("a"));
      long s1 = j.append("a", MemoryEvent.Kind.ALLOCATED, null, page(1));
      assertThat(j.tryAppend("a", MemoryEvent.Kind.DISCARDED, null, many)).isEqualTo(Journal.BUSY);
      long s2 = j.append("a", MemoryEvent.Kind.DISCARDED, null, many);
      long s3 = j.append("a", MemoryEvent.Kind.ALLOCATED, null, page(2));
      assertThat(List.of(s1, s2, s3)).containsExactly(s1, s1 + 1, s1 + 2);
      // the large one went to SQLite directly; replay merges it into seq order with the logged ones
      assertThat(RecordLog.scan(Files.readAllBytes(Journal.logFile(dir))).records()).extracting(JournalRecord::seq)
          .doesNotContain(s2);
      List<JournalRecord> all = replay(j, "a");
      assertThat(all).extracting(JournalRecord::seq).containsExactly(1L, s1, s2, s3);
      assertThat(all.get(2).ranges()).isEqualTo(many);
    }
  }

  @Test
  void aRetractedRecord_isGoneEvenWhileItWasOnlyInTheLog_andItsSeqIsNeverReused() throws Exception {
    long retracted;
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH)) {
      j.insertLease(TestLeaseRecords.open("a"));
      j.append("a", MemoryEvent.Kind.ALLOCATED, null, page(1));
      retracted = j.append("a", MemoryEvent.Kind.ALLOCATED, null, page(2));
      j.retract(retracted);
      assertThat(replay(j, "a")).extracting(JournalRecord::seq).doesNotContain(retracted);
    }
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH)) {
      assertThat(replay(j, "a")).extracting(JournalRecord::seq).doesNotContain(retracted);
      // the highest row is below the retracted seq, but the ingestion mark is not: no reuse,
      // which would make a crash-recovery skip the new record as "already ingested"
      assertThat(j.append("a", MemoryEvent.Kind.ALLOCATED, null, page(3))).isGreaterThan(retracted);
    }
  }

  @Test
  void aCorruptLog_failsTheOpen_andIsLeftAsItWas() throws Exception {
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH)) {
      j.insertLease(TestLeaseRecords.open("a"));
    }
    byte[] bad = Files.readAllBytes(Journal.logFile(dir));
    bad[0] = 'X';
    Files.write(Journal.logFile(dir), bad);
    assertThatThrownBy(() -> Journal.open(dir, Durability.PROCESS_CRASH)).isInstanceOf(MemoryException.class)
        .hasMessageContaining(Journal.logFile(dir).toString()).hasMessageContaining("bad magic")
        .satisfies(e -> assertThat(((MemoryException) e).reason()).isEqualTo(MemoryException.Reason.JOURNAL_FAILED));
    assertThat(Files.readAllBytes(Journal.logFile(dir))).isEqualTo(bad);
  }

  @Test
  void underPowerLoss_aLeftBehindLogIsIngested_andThereIsNoLog() throws Exception {
    Path live = dir.resolve("live");
    Path crashed = dir.resolve("crashed");
    List<JournalRecord> before;
    try (Journal j = Journal.open(live, Durability.PROCESS_CRASH)) {
      j.insertLease(TestLeaseRecords.open("a"));
      j.ingest();
      copyDatabase(live, crashed);
      for (int i = 0; i < 5; i++) {
        j.append("a", MemoryEvent.Kind.ALLOCATED, null, page(i));
      }
      before = replay(j, "a");
      copyLog(live, crashed);
    }
    try (Journal j = Journal.open(crashed, Durability.POWER_LOSS)) {
      assertThat(j.recoveredFromRecordLog()).isEqualTo(5);
      assertThat(Files.exists(Journal.logFile(crashed))).isFalse();
      j.append("a", MemoryEvent.Kind.DISCARDED, null, page(1));
      assertThat(Files.exists(Journal.logFile(crashed))).isFalse();
      assertThat(replay(j, "a")).hasSize(before.size() + 1).startsWith(before.toArray(new JournalRecord[0]));
    }
  }

  @Test
  void aRecordRetractedAfterIngestion_isRemovedFromItsBatch_andAnEmptiedBatchIsDeleted() throws Exception {
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH)) {
      j.insertLease(TestLeaseRecords.open("a"));
      long s1 = j.append("a", MemoryEvent.Kind.ALLOCATED, null, page(1));
      long s2 = j.append("a", MemoryEvent.Kind.ALLOCATED, null, page(2));
      long s3 = j.append("a", MemoryEvent.Kind.ALLOCATED, null, page(3));
      j.ingest(); // one batch: s1..s3
      j.retract(s2);
      assertThat(replay(j, "a")).extracting(JournalRecord::seq).containsExactly(1L, s1, s3);
      long s4 = j.append("a", MemoryEvent.Kind.DISCARDED, null, page(4));
      j.ingest(); // a batch of its own
      j.retract(s4);
      j.retract(s4); // twice: nothing left to remove, nothing else touched
      assertThat(replay(j, "a")).extracting(JournalRecord::seq).containsExactly(1L, s1, s3);
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(Journal.FILE_NAME));
         Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM journal_batches")) {
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(1);
    }
    assertThat(rows(dir)).isEqualTo(3);
  }

  @Test
  void aCorruptBatch_failsReplay_namingTheRow() throws Exception {
    long s1;
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH)) {
      j.insertLease(TestLeaseRecords.open("a"));
      s1 = j.append("a", MemoryEvent.Kind.ALLOCATED, null, page(1));
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(Journal.FILE_NAME));
         Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE journal_batches SET records = x'0100000004000000'");
    }
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH)) {
      assertThatThrownBy(() -> replay(j, "a")).isInstanceOf(MemoryException.class)
          .hasMessageContaining("journal_batches row " + s1);
    }
  }

  /** A version 1 database (no journal_batches) is the same journal: opened, it gains the table and version 2. */
  @Test
  void aVersion1Database_isOpened_andKeepsItsRecords() throws Exception {
    Files.createDirectories(dir);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(Journal.FILE_NAME));
         Statement s = c.createStatement()) {
      s.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      s.execute("CREATE TABLE leases(id TEXT PRIMARY KEY, size INTEGER NOT NULL, mode TEXT NOT NULL,"
          + " backend TEXT NOT NULL, owner_uid INTEGER NOT NULL, owner_pid INTEGER NOT NULL, tee_kind TEXT NOT NULL,"
          + " status TEXT NOT NULL, private_dev INTEGER, private_ino INTEGER, shared_dev INTEGER, shared_ino INTEGER, boot_id TEXT)");
      s.execute("CREATE TABLE journal(seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL,"
          + " lease_id TEXT NOT NULL, kind TEXT NOT NULL, state TEXT, ranges BLOB NOT NULL)");
      s.execute("CREATE TABLE snapshots(lease_id TEXT PRIMARY KEY, upto_seq INTEGER NOT NULL, map BLOB NOT NULL)");
      s.execute("CREATE TABLE audit_log(id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL,"
          + " pid INTEGER NOT NULL, clean INTEGER NOT NULL, findings TEXT NOT NULL)");
      s.execute("INSERT INTO meta VALUES ('schema_version', '1')");
      s.execute("INSERT INTO leases VALUES ('a', 1048576, 'OWNED', 'emulated', 1000, 1, 'none', 'OPEN', NULL, NULL, NULL, NULL, 'boot')");
      s.execute("INSERT INTO journal VALUES (1, 0, 'a', 'LEASE_OPENED', NULL, x'00000001" + "0000000000000000" + "0000000000100000')");
      s.execute("INSERT INTO journal VALUES (2, 0, 'a', 'CONVERTED', 'SHARED', x'00000001" + "0000000000000000" + "0000000000001000')");
    }
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH)) {
      assertThat(replay(j, "a")).extracting(JournalRecord::seq).containsExactly(1L, 2L);
      assertThat(j.append("a", MemoryEvent.Kind.CONVERTED, PageState.PRIVATE, page(0))).isEqualTo(3);
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(Journal.FILE_NAME));
         Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE key = 'schema_version'")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualTo(String.valueOf(Journal.SCHEMA_VERSION)).isEqualTo("2");
    }
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH)) {
      assertThat(replay(j, "a")).extracting(JournalRecord::seq).containsExactly(1L, 2L, 3L);
    }
  }

  @Test
  void aDatabaseOfAnotherVersion_isRefused() throws Exception {
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH)) {
      j.insertLease(TestLeaseRecords.open("a"));
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve(Journal.FILE_NAME));
         Statement s = c.createStatement()) {
      s.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'");
    }
    assertThatThrownBy(() -> Journal.open(dir, Durability.PROCESS_CRASH)).isInstanceOf(MemoryException.class)
        .hasMessageContaining("has schema version 3, this build reads 2");
  }

  /**
   * Writers on several threads (append and tryAppend) race the ingester on a small log, so that
   * it fills, is ingested and reset many times; afterwards every acknowledged record is in the
   * journal exactly once, in seq order, with its contents.
   */
  @Test
  void concurrentWriters_andTheIngester_loseNothing_andKeepSeqOrder() throws Exception {
    int threads = 4;
    int perThread = 1500;
    List<JournalRecord> acknowledged = Collections.synchronizedList(new ArrayList<>());
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH, 8192)) {
      for (int t = 0; t < threads; t++) {
        j.insertLease(TestLeaseRecords.open("l" + t));
      }
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String id = "l" + t;
        int thread = t;
        done.add(pool.submit(() -> {
          start.await();
          for (int i = 0; i < perThread; i++) {
            List<ByteRange> rs = page(thread * 100_000L + i);
            long seq = (i % 3 == 0) ? Journal.BUSY : j.tryAppend(id, MemoryEvent.Kind.ALLOCATED, null, rs);
            if (seq == Journal.BUSY) {
              seq = j.append(id, MemoryEvent.Kind.ALLOCATED, null, rs);
            }
            acknowledged.add(new JournalRecord(seq, 0, id, MemoryEvent.Kind.ALLOCATED, null, rs));
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(2, TimeUnit.MINUTES);
      }
      pool.shutdown();
    }
    try (Journal j = Journal.open(dir, Durability.PROCESS_CRASH)) {
      List<JournalRecord> all = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        List<JournalRecord> rs = replay(j, "l" + t);
        assertThat(rs).extracting(JournalRecord::seq).isSorted();
        all.addAll(rs.subList(1, rs.size())); // without LEASE_OPENED
      }
      assertThat(all).hasSize(threads * perThread);
      assertThat(all).extracting(JournalRecord::seq).doesNotHaveDuplicates();
      assertThat(strip(all)).containsExactlyInAnyOrderElementsOf(strip(acknowledged));
    }
  }

  private static List<List<Object>> strip(List<JournalRecord> rs) {
    List<List<Object>> out = new ArrayList<>();
    for (JournalRecord r : rs) {
      out.add(List.of(r.seq(), r.leaseId(), r.kind(), r.ranges()));
    }
    return out;
  }
}
