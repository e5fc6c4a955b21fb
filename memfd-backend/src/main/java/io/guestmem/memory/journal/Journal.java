package io.guestmem.memory.journal;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.Durability;
import io.guestmem.memory.LeaseMode;
import io.guestmem.memory.LeaseStatus;
import io.guestmem.memory.MemoryEvent;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.MemoryException.Reason;
import io.guestmem.memory.Owner;
import io.guestmem.memory.PageState;
import io.guestmem.memory.backend.FileId;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

/**
 * The SQLite journal ({@code <stateDir>/guestmem.db}, WAL mode, one connection).
 *
 * <p><b>Contract.</b> Every method that writes commits before it returns; the engine acknowledges
 * a request only after that. With {@link Durability#PROCESS_CRASH} ({@code synchronous=OFF}) a
 * committed record has been handed to the kernel with {@code write(2)} into the WAL file, so it
 * survives SIGKILL of the process (the kernel owns the page cache), but not a kernel crash or power
 * loss; with {@link Durability#POWER_LOSS} ({@code synchronous=FULL}) every commit is fsynced.
 * The connection holds SQLite's exclusive lock: one engine per state directory. Page-state changes
 * are stored as operations (CONVERTED, ALLOCATED, DISCARDED with their ranges) and replayed in
 * {@code seq} order onto the last snapshot of the lease's map.
 *
 * <p>Schema (version 2; a version 1 database gains {@code journal_batches} when opened):
 * <pre>
 *   meta(key PRIMARY KEY, value)                         schema_version, records_ingested_seq
 *   leases(id PRIMARY KEY, size, mode, backend, owner_uid, owner_pid, tee_kind, status,
 *          private_dev, private_ino, shared_dev, shared_ino, boot_id)
 *   journal(seq INTEGER PRIMARY KEY, time_ms, lease_id, kind, state, ranges BLOB)   seq assigned here
 *   journal_batches(first_seq INTEGER PRIMARY KEY, last_seq, records BLOB)   page-state records
 *          ingested from the record log, a batch per row, encoded as {@link RecordCodec} describes
 *   snapshots(lease_id PRIMARY KEY, upto_seq, map BLOB)
 *   audit_log(id PRIMARY KEY AUTOINCREMENT, time_ms, pid, clean, findings)
 * </pre>
 * The journal is the union of {@code journal} and {@code journal_batches}, ordered by seq; every
 * seq is in exactly one of them.
 *
 * <p><b>The record log.</b> Under {@code PROCESS_CRASH} durability, page-state records
 * ({@link #append}, {@link #tryAppend}) are not written to SQLite by the caller: they are copied
 * into the {@linkplain RecordLog record log} ({@code guestmem.db-records}) with one
 * {@code pwrite(2)} and committed there, which gives the same guarantee as a
 * {@code synchronous=OFF} SQLite commit (survives SIGKILL, not a kernel crash) for about a quarter
 * of the cost. A background thread ingests them into {@code journal_batches}, a row per batch of
 * up to {@link #INGEST_BATCH} records (a row per record would cost the ingester about 2 µs of CPU
 * per record, more than the append itself), copied as they were encoded from the record log's
 * image in memory (nothing is kept per record on the append path, and nothing decoded or encoded
 * again), each batch in one transaction together with
 * {@code meta.records_ingested_seq}, the highest seq ingested so far. {@link #open} first
 * ingests every record of the log with a higher seq (the ones a crash left behind), then starts a
 * fresh log. Readers that need every record ({@link #replay}, {@link #retract}) ingest whatever is
 * pending first, so SQL always sees the complete journal. Records too large for the log
 * ({@link RecordLog#MAX_BODY_BYTES}) and every other write (leases, status changes, snapshots,
 * audit) go to SQLite directly. Under {@code POWER_LOSS} there is no record log: every record is
 * an fsynced SQLite commit.
 *
 * <p>Thread-safe. Two locks, always taken in this order: the journal lock (seq assignment and the
 * record log; {@link #tryAppend} waits for it only briefly, for callers that must not block) and
 * the database lock (the SQLite connection). Appending to the record log takes only the first, so
 * ingestion, checkpoints and reads never hold up a transport thread's append.
 *
 * <p><b>Checkpoints.</b> SQLite's automatic WAL checkpoint is off: it would run inside whichever
 * commit crossed the threshold, possibly a transport thread's. The journal counts the WAL frames
 * it has written and checkpoints itself (PASSIVE, i.e. copying frames into the database file; no
 * fsync under {@code synchronous=OFF}) once {@link #CHECKPOINT_FRAMES} frames have accumulated,
 * the same threshold SQLite uses by default: in the ingester after a batch, or at the end of a
 * database write that may block; {@link #tryAppend} never runs one. A checkpoint changes nothing
 * about durability: a committed frame is readable from the WAL either way.
 */
public final class Journal implements AutoCloseable {
  public static final String FILE_NAME = "guestmem.db";
  public static final int SCHEMA_VERSION = 2;

  /** What {@link #tryAppend} returns when it wrote nothing because it would have had to wait. */
  public static final long BUSY = -1;
  /** Longest {@link #tryAppend} waits for another writer: several ordinary commits (~5 µs each), never a snapshot. */
  public static final long TRY_APPEND_WAIT_NANOS = 200_000;
  /** WAL frames (pages) after which the next writer that may block checkpoints (SQLite's default autocheckpoint). */
  public static final int CHECKPOINT_FRAMES = 1000;
  /** How often the ingester looks for records when nobody signals it. */
  static final long INGEST_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  /**
   * Records per ingestion transaction: bounds how long the ingester holds the database (about
   * 0.5 ms for a batch of single-range records, a few ms when its code and pages have gone cold).
   */
  static final int INGEST_BATCH = 1024;
  /**
   * An append signals the ingester after this many records since the last signal. Each time the
   * ingester wakes it starts cold (SQLite's code and pages evicted by the transport's work), so
   * fewer, larger rounds cost less CPU per record; the log's half-full signal and the ingester's
   * period bound the backlog either way.
   */
  static final int SIGNAL_EVERY = 8192;
  /** meta key of the highest seq ingested from the record log. */
  static final String INGESTED_KEY = "records_ingested_seq";

  private static final Logger LOG = LoggerFactory.getLogger(Journal.class);

  private final Connection db;
  /** Seq assignment and the record log; taken before {@link #dbLock} when both are needed. */
  private final ReentrantLock lock = new ReentrantLock();
  /** The SQLite connection and everything below that is marked "guarded by dbLock". */
  private final ReentrantLock dbLock = new ReentrantLock();
  /** WAL frames written since the last checkpoint, estimated from what was written; guarded by dbLock. */
  private long framesSinceCheckpoint;
  private PreparedStatement insertRecord;
  private PreparedStatement deleteRecord;
  private PreparedStatement setIngested;
  private PreparedStatement insertBatch;
  private volatile boolean closed;
  /** The seq the next record gets; this connection is the only writer (exclusive lock). Guarded by lock. */
  private long nextSeq;
  /**
   * The record log, or null (POWER_LOSS durability, or it could not be created). Set by
   * {@link #open} before the ingester starts, never replaced; appended to under lock, reset under
   * lock and dbLock,
   * read by ingestion under dbLock (records below its {@linkplain RecordLog#end end} only).
   */
  private RecordLog log;
  /**
   * Where ingestion has got to in the record log: every record below this offset is in SQLite,
   * every one from it to {@link RecordLog#end} is pending. Written under dbLock; volatile for the
   * ingester's look before it takes that lock.
   */
  private volatile int ingestedPos = RecordLog.HEADER_BYTES;
  /** Records appended to the record log (written under lock, published with release), and ingested from it, since open. */
  private final AtomicLong logAppended = new AtomicLong();
  private final AtomicLong ingestedCount = new AtomicLong();
  /** Records appended to the log since the ingester was last signalled; guarded by lock. */
  private int sinceSignal;
  /** Whether the ingester has been signalled since the log passed half full; guarded by lock. */
  private boolean signalledAtHalf;
  /** Highest seq ingested from the record log into SQLite (meta.records_ingested_seq); guarded by dbLock. */
  private long ingestedSeq;
  /** Records {@link #open} ingested from a record log a crash left behind. */
  private int recoveredFromLog;
  private Thread ingester;
  /** Whether appends that go to SQLite are committed in groups (POWER_LOSS: one fsync per group). */
  private boolean groupCommit;
  /** POWER_LOSS appends waiting for the next group commit, in seq order; guarded by lock. */
  private final ArrayDeque<GroupMember> group = new ArrayDeque<>();
  /** Whether a group commit is running (its leader holds no lock but dbLock meanwhile); guarded by lock. */
  private boolean committing;
  private final Condition groupDone = lock.newCondition();
  /** Runs in the leader before each group's commit, with the group's size; a test seam (ordering, injected failures). */
  private GroupCommitHook groupCommitHook = n -> { };
  /** Group commits so far, and the records they carried. */
  private final AtomicLong groupCommits = new AtomicLong();
  private final AtomicLong groupCommitRecords = new AtomicLong();
  /** The last ingestion failure the ingester logged, so that a persistent one is logged once. */
  private String lastIngestFailure;

  private Journal(Connection db) throws SQLException {
    this.db = db;
    prepareStatements();
  }

  private void prepareStatements() throws SQLException {
    this.insertRecord = db.prepareStatement(
        "INSERT INTO journal(seq, time_ms, lease_id, kind, state, ranges) VALUES (?, ?, ?, ?, ?, ?)");
    this.deleteRecord = db.prepareStatement("DELETE FROM journal WHERE seq = ?");
    this.setIngested = db.prepareStatement("INSERT OR REPLACE INTO meta(key, value) VALUES ('" + INGESTED_KEY + "', ?)");
    this.insertBatch = db.prepareStatement("INSERT INTO journal_batches(first_seq, last_seq, records) VALUES (?, ?, ?)");
  }

  /**
   * After a failed write (SQLITE_FULL, SQLITE_IOERR…) sqlite-jdbc leaves the reused statements
   * unusable ("statement is not executing"); prepare them again so that the journal works once
   * the cause is gone (space freed), without a restart. Nothing was committed by the failed write.
   */
  private void recoverStatements() {
    try {
      insertRecord.close();
      deleteRecord.close();
      setIngested.close();
      insertBatch.close();
    } catch (SQLException ignored) {
      // replaced below either way
    }
    try {
      prepareStatements();
    } catch (SQLException ignored) {
      // still failing: the next write reports it
    }
  }

  /** Opens (creating if needed) the journal in {@code stateDir}. */
  public static Journal open(Path stateDir, Durability durability) throws MemoryException {
    return open(stateDir, durability, RecordLog.DEFAULT_CAPACITY);
  }

  /**
   * {@link #open} with a record log of {@code logCapacity} bytes (0: none, every record is a
   * database write, as when the log cannot be created). Ingests what a crash left in the record
   * log, then (under {@code PROCESS_CRASH}) starts a fresh one and its ingester.
   */
  static Journal open(Path stateDir, Durability durability, int logCapacity) throws MemoryException {
    return open(stateDir, durability, logCapacity, true);
  }

  /**
   * {@link #open(Path, Durability, int)}, with or without the background ingester: without it,
   * records leave the log only when a caller needs them to (a full log, a reader, close), which
   * lets tests observe a full log.
   */
  static Journal open(Path stateDir, Durability durability, int logCapacity, boolean ingester) throws MemoryException {
    try {
      Files.createDirectories(stateDir);
    } catch (IOException e) {
      throw new MemoryException(Reason.JOURNAL_FAILED, "cannot create state directory " + stateDir + ": " + e.getMessage(), e);
    }
    Path file = stateDir.resolve(FILE_NAME);
    Connection c = null;
    try {
      // No generated keys: sqlite-jdbc would otherwise run "SELECT last_insert_rowid()" after
      // every insert (the journal assigns seq itself and reads no keys back).
      SQLiteConfig config = new SQLiteConfig();
      config.setGetGeneratedKeys(false);
      Properties props = config.toProperties();
      c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath(), props);
      try (Statement s = c.createStatement()) {
        // One engine per state directory: the first write takes an exclusive lock held until
        // close (a second engine gets SQLITE_BUSY), and the WAL index lives in heap memory.
        s.execute("PRAGMA page_size=1024"); // small WAL frames: one commit writes ~1 KiB (new databases only)
        s.execute("PRAGMA locking_mode=EXCLUSIVE");
        s.execute("PRAGMA busy_timeout=1000");
        s.execute("PRAGMA journal_mode=WAL");
        s.execute("PRAGMA synchronous=" + (durability == Durability.POWER_LOSS ? "FULL" : "OFF"));
        s.execute("PRAGMA wal_autocheckpoint=0"); // the journal checkpoints itself (see the class comment)
        // after a checkpoint lets the WAL start over, SQLite truncates a WAL file grown past this
        s.execute("PRAGMA journal_size_limit=" + (2 << 20));
        s.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
        s.execute("CREATE TABLE IF NOT EXISTS leases(id TEXT PRIMARY KEY, size INTEGER NOT NULL, mode TEXT NOT NULL,"
            + " backend TEXT NOT NULL, owner_uid INTEGER NOT NULL, owner_pid INTEGER NOT NULL, tee_kind TEXT NOT NULL,"
            + " status TEXT NOT NULL, private_dev INTEGER, private_ino INTEGER, shared_dev INTEGER, shared_ino INTEGER,"
            + " boot_id TEXT)");
        s.execute("CREATE TABLE IF NOT EXISTS journal(seq INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL,"
            + " lease_id TEXT NOT NULL, kind TEXT NOT NULL, state TEXT, ranges BLOB NOT NULL)");
        // No index on lease_id: every commit would write its page too. Replay at open scans.
        s.execute("CREATE TABLE IF NOT EXISTS journal_batches(first_seq INTEGER PRIMARY KEY, last_seq INTEGER NOT NULL,"
            + " records BLOB NOT NULL)");
        s.execute("CREATE TABLE IF NOT EXISTS snapshots(lease_id TEXT PRIMARY KEY, upto_seq INTEGER NOT NULL, map BLOB NOT NULL)");
        s.execute("CREATE TABLE IF NOT EXISTS audit_log(id INTEGER PRIMARY KEY AUTOINCREMENT, time_ms INTEGER NOT NULL,"
            + " pid INTEGER NOT NULL, clean INTEGER NOT NULL, findings TEXT NOT NULL)");
        s.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '" + SCHEMA_VERSION + "')");
        // A write now takes the exclusive lock at once, so a second engine fails here, not later.
        s.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('opened_ms', '" + System.currentTimeMillis() + "')");
        String v;
        try (ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE key = 'schema_version'")) {
          v = rs.next() ? rs.getString(1) : "";
        }
        if ("1".equals(v)) {
          // version 1 had no journal_batches, which now exists (created above, empty): the same journal
          s.execute("UPDATE meta SET value = '" + SCHEMA_VERSION + "' WHERE key = 'schema_version'");
          v = String.valueOf(SCHEMA_VERSION);
        }
        if (!String.valueOf(SCHEMA_VERSION).equals(v)) {
          throw new MemoryException(Reason.JOURNAL_FAILED, "journal " + file + " has schema version " + v
              + ", this build reads " + SCHEMA_VERSION);
        }
      }
      Journal j = new Journal(c);
      RecordLog.Scan left = j.recoverRecordLog(logFile(stateDir));
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT (SELECT COALESCE(MAX(seq), 0) FROM journal),"
          + " (SELECT COALESCE(MAX(last_seq), 0) FROM journal_batches)")) {
        rs.next();
        // never reuse a seq the record log has used, even one retracted since (recovery skips seqs up to the mark)
        j.nextSeq = Math.max(Math.max(rs.getLong(1), rs.getLong(2)), j.ingestedSeq) + 1;
      }
      if (durability == Durability.POWER_LOSS) {
        // every record of the old log is now in an fsynced commit
        Files.deleteIfExists(logFile(stateDir));
        j.groupCommit = true;
      } else if (logCapacity > 0) {
        j.startRecordLog(logFile(stateDir), logCapacity, ingester, left);
      }
      return j;
    } catch (SQLException | IOException e) {
      closeQuietly(c);
      throw new MemoryException(Reason.JOURNAL_FAILED, "cannot open journal " + file + ": " + e.getMessage(), e);
    } catch (MemoryException e) {
      closeQuietly(c);
      throw e;
    }
  }

  /** {@code <stateDir>/guestmem.db-records}. */
  static Path logFile(Path stateDir) {
    return stateDir.resolve(FILE_NAME + RecordLog.SUFFIX);
  }

  /**
   * Ingests every record of the record log at {@code file} above {@code meta.records_ingested_seq}
   * in one transaction (the records a crash left un-ingested). Called by {@link #open} only.
   */
  private RecordLog.Scan recoverRecordLog(Path file) throws SQLException, MemoryException {
    try (Statement s = db.createStatement();
         ResultSet rs = s.executeQuery("SELECT value FROM meta WHERE key = '" + INGESTED_KEY + "'")) {
      ingestedSeq = rs.next() ? Long.parseLong(rs.getString(1)) : 0;
    } catch (NumberFormatException e) {
      throw new MemoryException(Reason.JOURNAL_FAILED, "journal: meta " + INGESTED_KEY + " is not a number", e);
    }
    if (!Files.exists(file)) {
      return null;
    }
    RecordLog.Scan scan;
    try {
      scan = RecordLog.scan(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new MemoryException(Reason.JOURNAL_FAILED, "record log " + file + ": " + e.getMessage()
          + " (it may hold acknowledged records; move it aside only if losing them is acceptable)", e);
    }
    List<JournalRecord> left = new ArrayList<>();
    for (JournalRecord r : scan.records()) {
      if (r.seq() > ingestedSeq) {
        left.add(r);
      }
    }
    if (!left.isEmpty()) {
      dbLock.lock();
      try {
        // batches as the ingester writes them, each committed with its mark, checkpointing as it goes
        for (int i = 0; i < left.size(); i += INGEST_BATCH) {
          ingestLocked(left.subList(i, Math.min(left.size(), i + INGEST_BATCH)));
          checkpointIfDue();
        }
      } finally {
        dbLock.unlock();
      }
      recoveredFromLog = left.size();
    }
    return scan;
  }

  /** Starts the record log (empty) and its ingester; without one every record goes to SQLite. */
  private void startRecordLog(Path file, int capacity, boolean startIngester, RecordLog.Scan previous) {
    try {
      // an old log whose header was readable is kept (its records are in SQLite now); else a new one
      log = previous != null && previous.epoch() > 0 ? RecordLog.reopen(file, capacity, previous.epoch()) : RecordLog.create(file, capacity);
    } catch (IOException | RuntimeException e) {
      LOG.warn("cannot create the record log {} ({}); page-state records go to SQLite directly", file, e.toString());
      return;
    }
    ingestedPos = log.end();
    if (!startIngester) {
      return;
    }
    ingester = new Thread(this::ingestLoop, "guestmem-journal-ingest");
    ingester.setDaemon(true);
    ingester.start();
  }

  /** Records {@link #open} ingested from the record log a crash had left. */
  public int recoveredFromRecordLog() {
    return recoveredFromLog;
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // already failing
      }
    }
  }

  private void live() throws SQLException {
    if (closed) {
      throw new SQLException("journal closed");
    }
  }

  static byte[] encodeRanges(List<ByteRange> ranges) {
    ByteBuffer b = ByteBuffer.allocate(4 + 16 * ranges.size());
    b.putInt(ranges.size());
    for (ByteRange r : ranges) {
      b.putLong(r.offset()).putLong(r.length());
    }
    return b.array();
  }

  static List<ByteRange> decodeRanges(byte[] blob) throws SQLException {
    if (blob == null || blob.length < 4) {
      throw new SQLException("ranges blob truncated at offset 0");
    }
    ByteBuffer b = ByteBuffer.wrap(blob);
    int n = b.getInt();
    if (n < 0 || blob.length != 4 + 16L * n) {
      throw new SQLException("ranges blob of " + blob.length + " bytes does not hold " + n + " ranges");
    }
    List<ByteRange> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long off = b.getLong();
      long len = b.getLong();
      if (off < 0 || len < 0 || off + len < 0) {
        throw new SQLException("ranges blob: range " + i + " at offset " + (4 + 16 * i) + " is negative");
      }
      out.add(new ByteRange(off, len));
    }
    return out;
  }

  /** Writes a record with the next seq to SQLite (in the caller's transaction, if any); both locks held. */
  private long insert(String leaseId, MemoryEvent.Kind kind, PageState state, List<ByteRange> ranges) throws SQLException {
    long seq = nextSeq;
    int bytes = insertRow(new JournalRecord(seq, System.currentTimeMillis(), leaseId, kind, state, ranges));
    nextSeq = seq + 1;
    wrote(bytes);
    return seq;
  }

  /** One journal row; returns the size of its ranges blob. dbLock held. */
  private int insertRow(JournalRecord r) throws SQLException {
    insertRecord.setLong(1, r.seq());
    insertRecord.setLong(2, r.timeMillis());
    insertRecord.setString(3, r.leaseId());
    insertRecord.setString(4, r.kind().name());
    insertRecord.setString(5, r.to() == null ? null : r.to().name());
    byte[] blob = encodeRanges(r.ranges());
    insertRecord.setBytes(6, blob);
    insertRecord.executeUpdate();
    return blob.length;
  }

  /**
   * Writes {@code records} (records a crash left in the record log, in seq order) to SQLite as one
   * {@code journal_batches} row, in one transaction with the new ingestion mark. dbLock held.
   */
  private void ingestLocked(List<JournalRecord> records) throws SQLException {
    ingestBatch(RecordCodec.encodeBatch(records), records.get(0).seq(), records.get(records.size() - 1).seq());
  }

  /**
   * Writes one encoded batch of records {@code first}..{@code last} to SQLite as one
   * {@code journal_batches} row, in one transaction with the new ingestion mark. On failure
   * nothing is written and the records stay pending. dbLock held.
   */
  private void ingestBatch(byte[] batch, long first, long last) throws SQLException {
    try {
      transaction(() -> {
        insertBatch.setLong(1, first);
        insertBatch.setLong(2, last);
        insertBatch.setBytes(3, batch);
        insertBatch.executeUpdate();
        setIngested.setString(1, Long.toString(last));
        setIngested.executeUpdate();
        return null;
      });
    } catch (SQLException e) {
      recoverStatements();
      throw e;
    }
    ingestedSeq = last;
    wrote(batch.length);
  }

  @FunctionalInterface
  private interface SqlWork<T> {
    T run() throws SQLException;
  }

  /**
   * Runs {@code work} in one transaction: committed if it returns, rolled back (nothing written)
   * if it throws, with the first failure reported. dbLock held. (SQLite itself rolls a transaction
   * back on some errors, SQLITE_FULL among them, so the rollback and the return to autocommit may
   * find none; that is not a second failure.)
   */
  private <T> T transaction(SqlWork<T> work) throws SQLException {
    db.setAutoCommit(false);
    try {
      T result = work.run();
      db.commit();
      return result;
    } catch (SQLException | RuntimeException e) {
      try {
        db.rollback();
      } catch (SQLException ignored) {
        // already rolled back by SQLite
      }
      throw e;
    } finally {
      try {
        db.setAutoCommit(true);
      } catch (SQLException ignored) {
        // sqlite-jdbc is back in autocommit mode either way; a missing transaction is not an error here
      }
    }
  }

  /**
   * Ingests up to {@code max} pending records, taken from the record log's image as they were
   * written (see {@link RecordLog#batch}); returns how many. dbLock held. Only this method advances
   * {@link #ingestedPos}, and only after the commit, so {@code ingestedPos == log.end()} means
   * every record appended so far is in SQLite.
   */
  private int ingestPending(int max) throws SQLException {
    RecordLog l = log;
    if (l == null) {
      return 0;
    }
    RecordLog.Batch b = l.batch(ingestedPos, l.end(), max);
    if (b == null) {
      return 0;
    }
    ingestBatch(b.records(), b.firstSeq(), b.lastSeq());
    ingestedPos = b.end();
    ingestedCount.addAndGet(b.count());
    return b.count();
  }

  /** Whether records in the record log wait for ingestion (read without a lock: a hint, exact under dbLock). */
  private boolean hasPending() {
    RecordLog l = log;
    return l != null && l.end() > ingestedPos;
  }

  /**
   * Ingests every pending record, checkpointing between batches when due (so the WAL stays
   * bounded however much was pending). dbLock held (and lock, if nothing may be appended meanwhile).
   */
  private void ingestAll() throws SQLException {
    while (ingestPending(INGEST_BATCH) > 0) {
      checkpointIfDue();
    }
  }

  /**
   * Moves every record appended so far into SQLite now, rather than when the ingester next runs.
   * Readers that need the complete journal do this themselves; it is public for operations (a
   * consistent copy of the database files) and tests.
   */
  public void ingest() throws MemoryException {
    lock.lock();
    dbLock.lock();
    try {
      live();
      ingestAll();
      checkpointIfDue();
    } catch (SQLException e) {
      throw failed("ingest the record log", e);
    } finally {
      dbLock.unlock();
      lock.unlock();
    }
  }

  /**
   * The ingester: every {@link #INGEST_PERIOD_NANOS}, or when appends signal it, moves pending
   * records into SQLite in batches of {@link #INGEST_BATCH} (each its own transaction, so an
   * append waits for the database never, and for the journal lock never longer than a log
   * copy), checkpoints when due, and resets the log once it is half full and fully ingested.
   */
  private void ingestLoop() {
    while (!closed) {
      LockSupport.parkNanos(this, INGEST_PERIOD_NANOS);
      if (closed) {
        return;
      }
      try {
        if (!hasPending()) {
          continue; // idle: touch nothing
        }
        while (hasPending() && !closed) {
          dbLock.lock();
          try {
            if (closed) {
              return;
            }
            ingestPending(INGEST_BATCH);
            checkpointIfDue();
          } finally {
            dbLock.unlock();
          }
        }
        resetLogIfHalfFull();
        lastIngestFailure = null;
      } catch (SQLException | IOException | RuntimeException e) {
        // the records stay in the log and in the queue; appends block on a full log meanwhile
        if (!e.toString().equals(lastIngestFailure)) {
          LOG.warn("journal: ingesting the record log failed ({}); retrying", e.toString());
          lastIngestFailure = e.toString();
        }
      }
    }
  }

  /**
   * Once the record log is half full: holding off appends, ingests the few records that arrived
   * since the last batch and resets the log, so that appends find room without ever having to
   * ingest themselves while the ingester keeps up.
   */
  private void resetLogIfHalfFull() throws IOException, SQLException {
    lock.lock();
    try {
      if (closed || log == null || log.failed() || log.used() <= log.capacity() / 2) {
        return;
      }
      dbLock.lock();
      try {
        ingestAll();
        resetLog();
      } finally {
        dbLock.unlock();
      }
    } finally {
      lock.unlock();
    }
  }

  /** Starts the record log again; every record in it has been ingested. lock and dbLock held. */
  private void resetLog() throws IOException {
    log.reset();
    ingestedPos = log.end();
    signalledAtHalf = false;
  }

  /**
   * Counts the WAL frames one written row costs: its leaf page (1 KiB pages), overflow pages for
   * a long row, and an interior page now and then (counted as one more).
   */
  private void wrote(int rowBytes) {
    framesSinceCheckpoint += 2 + rowBytes / 1024;
  }

  /**
   * Checkpoints if {@link #CHECKPOINT_FRAMES} frames have accumulated; called with the lock held,
   * at the end of every writer except {@link #tryAppend}. A failed checkpoint is retried by the
   * next writer; nothing committed depends on it.
   */
  private void checkpointIfDue() {
    if (framesSinceCheckpoint < CHECKPOINT_FRAMES) {
      return;
    }
    try (Statement s = db.createStatement()) {
      s.execute("PRAGMA wal_checkpoint(PASSIVE)");
      framesSinceCheckpoint = 0;
    } catch (SQLException e) {
      // the WAL keeps growing until a later checkpoint succeeds; every commit in it stays valid
    }
  }

  private static MemoryException failed(String what, SQLException e) {
    return new MemoryException(Reason.JOURNAL_FAILED, "journal: " + what + ": " + e.getMessage(), e);
  }

  /** Records a new lease and its LEASE_OPENED event in one transaction; returns the event's seq. */
  public long insertLease(LeaseRecord r) throws MemoryException {
    lock.lock();
    dbLock.lock();
    try {
      try {
        live();
        long seq = transaction(() -> {
          try (PreparedStatement p = db.prepareStatement("INSERT INTO leases(id, size, mode, backend, owner_uid, owner_pid,"
              + " tee_kind, status, private_dev, private_ino, shared_dev, shared_ino, boot_id)"
              + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            p.setString(1, r.id());
            p.setLong(2, r.size());
            p.setString(3, r.mode().name());
            p.setString(4, r.backend());
            p.setInt(5, r.owner().uid());
            p.setInt(6, r.owner().pid());
            p.setString(7, r.teeKind());
            p.setString(8, r.status().name());
            setId(p, 9, r.privateId());
            setId(p, 11, r.sharedId());
            p.setString(13, r.bootId());
            p.executeUpdate();
            return insert(r.id(), MemoryEvent.Kind.LEASE_OPENED, null, List.of(new ByteRange(0, r.size())));
          }
        });
        wrote(256);
        checkpointIfDue();
        return seq;
      } catch (SQLException e) {
        recoverStatements();
        throw failed("insert lease " + r.id(), e);
      }
    } finally {
      dbLock.unlock();
      lock.unlock();
    }
  }

  private static void setId(PreparedStatement p, int i, FileId id) throws SQLException {
    if (id == null) {
      p.setNull(i, java.sql.Types.INTEGER);
      p.setNull(i + 1, java.sql.Types.INTEGER);
    } else {
      p.setLong(i, id.dev());
      p.setLong(i + 1, id.ino());
    }
  }

  /** Appends one page-state operation (CONVERTED, ALLOCATED, DISCARDED); returns its seq. */
  public long append(String leaseId, MemoryEvent.Kind kind, PageState to, List<ByteRange> ranges)
      throws MemoryException {
    lock.lock();
    try {
      live();
      JournalRecord r = new JournalRecord(nextSeq, System.currentTimeMillis(), leaseId, kind, to, ranges);
      if (log != null && !log.failed() && RecordLog.fits(r, log.capacity())) {
        if (toLog(r)) {
          return r.seq();
        }
        // full: ingest everything, start the log again, and append there
        dbLock.lock();
        try {
          ingestAll();
          resetLog();
        } finally {
          dbLock.unlock();
        }
        if (toLog(r)) {
          return r.seq();
        }
        throw new IllegalStateException("a record that fits an empty record log did not fit after a reset");
      }
      if (groupCommit) {
        return appendToGroup(r);
      }
      dbLock.lock();
      try {
        long seq = insert(leaseId, kind, to, ranges);
        checkpointIfDue();
        return seq;
      } finally {
        dbLock.unlock();
      }
    } catch (SQLException e) {
      recoverStatements();
      throw failed("append " + kind + " for " + leaseId, e);
    } catch (IOException e) {
      throw new MemoryException(Reason.JOURNAL_FAILED, "journal: append " + kind + " for " + leaseId + ": " + e.getMessage(), e);
    } finally {
      lock.unlock();
    }
  }

  /** One append waiting for a group commit. */
  private static final class GroupMember {
    final JournalRecord record;
    boolean done;
    Exception failure;

    GroupMember(JournalRecord record) {
      this.record = record;
    }
  }

  /** See {@link #groupCommitHook}. */
  @FunctionalInterface
  interface GroupCommitHook {
    void beforeCommit(int records) throws SQLException;
  }

  void setGroupCommitHook(GroupCommitHook hook) {
    lock.lock();
    try {
      groupCommitHook = hook;
    } finally {
      lock.unlock();
    }
  }

  /** What the journal has done since it opened (for metrics); takes no lock, so the counters are each current, not a snapshot. */
  public JournalStats stats() {
    long ingested = ingestedCount.get();
    return new JournalStats(Math.max(0, logAppended.get() - ingested), ingested, groupCommits.get(), groupCommitRecords.get());
  }

  /**
   * Group commit (POWER_LOSS): {@code r} joins the queue with the next seq; the first waiting
   * caller that finds no commit running becomes the leader, takes every queued record and writes
   * them in one transaction — one fsync for all of them — with the journal lock released, so that
   * the appends arriving meanwhile form the next group. Every member returns only once its group
   * is committed; if the commit fails, every member of that group fails (nothing of it was
   * written) and its seqs are not used again by this process. Groups commit in seq order: there
   * is one leader at a time and each takes the queue from its head. lock held on entry and exit.
   */
  private long appendToGroup(JournalRecord r) throws MemoryException {
    GroupMember me = new GroupMember(r);
    nextSeq = r.seq() + 1;
    group.add(me);
    while (!me.done) {
      if (committing) {
        groupDone.awaitUninterruptibly();
        continue;
      }
      committing = true;
      List<GroupMember> batch = new ArrayList<>(group);
      group.clear();
      GroupCommitHook hook = groupCommitHook;
      Exception failure = null;
      lock.unlock();
      try {
        dbLock.lock();
        try {
          live();
          hook.beforeCommit(batch.size());
          transaction(() -> {
            int bytes = 0;
            for (GroupMember m : batch) {
              bytes += insertRow(m.record);
            }
            wrote(bytes);
            return null;
          });
          checkpointIfDue();
        } catch (SQLException e) {
          recoverStatements();
          failure = e;
        } catch (RuntimeException e) {
          failure = e;
        } finally {
          dbLock.unlock();
        }
      } finally {
        lock.lock();
        committing = false;
        if (failure == null) {
          groupCommits.incrementAndGet();
          groupCommitRecords.addAndGet(batch.size());
        }
        for (GroupMember m : batch) {
          m.done = true;
          m.failure = failure;
        }
        groupDone.signalAll();
      }
    }
    if (me.failure != null) {
      String what = "append " + r.kind() + " for " + r.leaseId() + " (group commit)";
      throw me.failure instanceof SQLException e ? failed(what, e)
          : new MemoryException(Reason.JOURNAL_FAILED, "journal: " + what + ": " + me.failure, me.failure);
    }
    return r.seq();
  }

  /**
   * Copies {@code r} into the record log (lock held); false if the log is full. On success the
   * record is committed and queued for ingestion, and its seq is taken.
   */
  private boolean toLog(JournalRecord r) throws IOException {
    if (!log.append(r)) {
      return false;
    }
    nextSeq = r.seq() + 1;
    logAppended.lazySet(logAppended.get() + 1); // the only writer: lock held
    if (++sinceSignal >= SIGNAL_EVERY || (log.used() > log.capacity() / 2 && !signalledAtHalf)) {
      sinceSignal = 0;
      signalledAtHalf = log.used() > log.capacity() / 2;
      Thread t = ingester;
      if (t != null) {
        LockSupport.unpark(t);
      }
    }
    return true;
  }

  /**
   * {@link #append} for a caller that must not wait long (a transport thread): waits at most
   * {@link #TRY_APPEND_WAIT_NANOS} for the journal lock, and returns {@link #BUSY} without writing
   * anything where it would have to wait for more — another writer holding the journal longer,
   * a full record log (which needs an ingestion first), a record too large for the record log,
   * or, without a record log, a busy database or a due checkpoint; always under {@code POWER_LOSS}
   * (an fsync). Otherwise as {@link #append}:
   * committed when it returns a seq.
   */
  public long tryAppend(String leaseId, MemoryEvent.Kind kind, PageState to, List<ByteRange> ranges)
      throws MemoryException {
    try {
      if (!lock.tryLock(TRY_APPEND_WAIT_NANOS, TimeUnit.NANOSECONDS)) {
        return BUSY;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return BUSY;
    }
    try {
      live();
      if (log != null && !log.failed()) {
        JournalRecord r = new JournalRecord(nextSeq, System.currentTimeMillis(), leaseId, kind, to, ranges);
        // a full log needs an ingestion first, and a record too large for it a database write: both may block
        return RecordLog.fits(r, log.capacity()) && toLog(r) ? r.seq() : BUSY;
      }
      if (groupCommit) {
        return BUSY; // POWER_LOSS: every record waits for an fsync, in a group commit
      }
      // no record log: a database write, if the database is free within the same bound and no checkpoint is due
      if (!dbLock.tryLock(TRY_APPEND_WAIT_NANOS, TimeUnit.NANOSECONDS)) {
        return BUSY;
      }
      try {
        if (framesSinceCheckpoint >= CHECKPOINT_FRAMES) {
          return BUSY;
        }
        return insert(leaseId, kind, to, ranges);
      } finally {
        dbLock.unlock();
      }
    } catch (SQLException e) {
      recoverStatements();
      throw failed("append " + kind + " for " + leaseId, e);
    } catch (IOException e) {
      throw new MemoryException(Reason.JOURNAL_FAILED, "journal: append " + kind + " for " + leaseId + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return BUSY;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Removes a record that was written but never acknowledged (the operation failed after it was
   * recorded, and has been undone), so the journal is exactly as before the request.
   */
  public void retract(long seq) throws MemoryException {
    lock.lock();
    dbLock.lock();
    try {
      try {
        live();
        ingestAll(); // the record may still be in the record log
        deleteRecord.setLong(1, seq);
        if (deleteRecord.executeUpdate() == 0) {
          retractFromBatch(seq);
        }
        wrote(0);
        checkpointIfDue();
      } catch (SQLException e) {
        recoverStatements();
        throw failed("retract record " + seq, e);
      } catch (IOException e) {
        throw new MemoryException(Reason.JOURNAL_FAILED, "journal: retract record " + seq + ": " + e.getMessage(), e);
      }
    } finally {
      dbLock.unlock();
      lock.unlock();
    }
  }

  /** Removes record {@code seq} from the batch that holds it (rewriting the batch, or deleting an emptied one). dbLock held. */
  private void retractFromBatch(long seq) throws SQLException, IOException {
    long first;
    byte[] blob;
    try (PreparedStatement p = db.prepareStatement(
        "SELECT first_seq, records FROM journal_batches WHERE first_seq <= ? AND last_seq >= ?")) {
      p.setLong(1, seq);
      p.setLong(2, seq);
      try (ResultSet rs = p.executeQuery()) {
        if (!rs.next()) {
          return; // not recorded (already retracted)
        }
        first = rs.getLong(1);
        blob = rs.getBytes(2);
      }
    }
    List<JournalRecord> records = new ArrayList<>(RecordCodec.decodeBatch(blob, "journal_batches row " + first));
    if (!records.removeIf(r -> r.seq() == seq)) {
      return;
    }
    try (PreparedStatement p = db.prepareStatement(records.isEmpty()
        ? "DELETE FROM journal_batches WHERE first_seq = ?" : "UPDATE journal_batches SET records = ? WHERE first_seq = ?")) {
      if (records.isEmpty()) {
        p.setLong(1, first);
      } else {
        // first_seq and last_seq stay bounds of the batch's seqs
        p.setBytes(1, RecordCodec.encodeBatch(records));
        p.setLong(2, first);
      }
      p.executeUpdate();
    }
  }

  /**
   * Changes a lease's status and records the event ({@code kind}) in one transaction;
   * {@code privateId} replaces the stored private identity when non-null (ATTACHED). Returns seq.
   */
  public long changeStatus(String leaseId, LeaseStatus status, MemoryEvent.Kind kind, FileId privateId)
      throws MemoryException {
    lock.lock();
    dbLock.lock();
    try {
      live();
      long seq = transaction(() -> {
        try (PreparedStatement p = db.prepareStatement(privateId == null
            ? "UPDATE leases SET status = ? WHERE id = ?"
            : "UPDATE leases SET status = ?, private_dev = ?, private_ino = ? WHERE id = ?")) {
          p.setString(1, status.name());
          if (privateId == null) {
            p.setString(2, leaseId);
          } else {
            p.setLong(2, privateId.dev());
            p.setLong(3, privateId.ino());
            p.setString(4, leaseId);
          }
          if (p.executeUpdate() != 1) {
            throw new SQLException("no lease " + leaseId);
          }
        }
        return insert(leaseId, kind, null, List.of());
      });
      wrote(256);
      checkpointIfDue();
      return seq;
    } catch (SQLException e) {
      recoverStatements();
      throw failed("status of " + leaseId + " to " + status, e);
    } finally {
      dbLock.unlock();
      lock.unlock();
    }
  }

  private static final String LEASE_COLUMNS = "id, size, mode, backend, owner_uid, owner_pid, tee_kind, status,"
      + " private_dev, private_ino, shared_dev, shared_ino, boot_id";

  /** Every lease ever recorded, in id order. */
  public List<LeaseRecord> leases() throws MemoryException {
    dbLock.lock();
    try {
      try {
        live();
        List<LeaseRecord> out = new ArrayList<>();
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT " + LEASE_COLUMNS + " FROM leases ORDER BY id")) {
          while (rs.next()) {
            out.add(leaseRecord(rs));
          }
        }
        return out;
      } catch (SQLException | IllegalArgumentException e) {
        throw new MemoryException(Reason.JOURNAL_FAILED, "journal: read leases: " + e.getMessage(), e);
      }
    } finally {
      dbLock.unlock();
    }
  }

  /** One lease's record, if recorded. */
  public Optional<LeaseRecord> lease(String leaseId) throws MemoryException {
    dbLock.lock();
    try {
      try {
        live();
        try (PreparedStatement p = db.prepareStatement("SELECT " + LEASE_COLUMNS + " FROM leases WHERE id = ?")) {
          p.setString(1, leaseId);
          try (ResultSet rs = p.executeQuery()) {
            return rs.next() ? Optional.of(leaseRecord(rs)) : Optional.empty();
          }
        }
      } catch (SQLException | IllegalArgumentException e) {
        throw new MemoryException(Reason.JOURNAL_FAILED, "journal: read lease " + leaseId + ": " + e.getMessage(), e);
      }
    } finally {
      dbLock.unlock();
    }
  }

  private static LeaseRecord leaseRecord(ResultSet rs) throws SQLException {
    return new LeaseRecord(rs.getString(1), rs.getLong(2), LeaseMode.valueOf(rs.getString(3)), rs.getString(4),
        new Owner(rs.getInt(5), rs.getInt(6)), rs.getString(7), LeaseStatus.valueOf(rs.getString(8)),
        readId(rs, 9), readId(rs, 11), rs.getString(13));
  }

  private static FileId readId(ResultSet rs, int i) throws SQLException {
    long dev = rs.getLong(i);
    if (rs.wasNull()) {
      return null;
    }
    return new FileId(dev, rs.getLong(i + 1));
  }

  /** Status of one lease, if recorded. */
  public Optional<LeaseStatus> status(String leaseId) throws MemoryException {
    dbLock.lock();
    try {
      try {
        live();
        try (PreparedStatement p = db.prepareStatement("SELECT status FROM leases WHERE id = ?")) {
          p.setString(1, leaseId);
          try (ResultSet rs = p.executeQuery()) {
            return rs.next() ? Optional.of(LeaseStatus.valueOf(rs.getString(1))) : Optional.empty();
          }
        }
      } catch (SQLException e) {
        throw failed("status of " + leaseId, e);
      }
    } finally {
      dbLock.unlock();
    }
  }

  /** Feeds every record of {@code leaseId} with seq greater than {@code afterSeq} to {@code sink}, in order. */
  public long replay(String leaseId, long afterSeq, Consumer<JournalRecord> sink) throws MemoryException {
    lock.lock();
    dbLock.lock();
    try {
      try {
        live();
        ingestAll();
        List<JournalRecord> rows = new ArrayList<>();
        try (PreparedStatement p = db.prepareStatement(
            "SELECT seq, time_ms, kind, state, ranges FROM journal WHERE lease_id = ? AND seq > ? ORDER BY seq")) {
          p.setString(1, leaseId);
          p.setLong(2, afterSeq);
          try (ResultSet rs = p.executeQuery()) {
            while (rs.next()) {
              String st = rs.getString(4);
              rows.add(new JournalRecord(rs.getLong(1), rs.getLong(2), leaseId, MemoryEvent.Kind.valueOf(rs.getString(3)),
                  st == null ? null : PageState.valueOf(st), decodeRanges(rs.getBytes(5))));
            }
          }
        }
        List<JournalRecord> batched = new ArrayList<>();
        try (PreparedStatement p = db.prepareStatement(
            "SELECT first_seq, records FROM journal_batches WHERE last_seq > ? ORDER BY first_seq")) {
          p.setLong(1, afterSeq);
          try (ResultSet rs = p.executeQuery()) {
            while (rs.next()) {
              for (JournalRecord r : RecordCodec.decodeBatch(rs.getBytes(2), "journal_batches row " + rs.getLong(1))) {
                if (r.seq() > afterSeq && r.leaseId().equals(leaseId)) {
                  batched.add(r);
                }
              }
            }
          }
        }
        // both lists are in seq order; merge them
        long n = 0;
        int i = 0;
        int k = 0;
        while (i < rows.size() || k < batched.size()) {
          boolean fromRows = k == batched.size() || (i < rows.size() && rows.get(i).seq() < batched.get(k).seq());
          sink.accept(fromRows ? rows.get(i++) : batched.get(k++));
          n++;
        }
        return n;
      } catch (SQLException | IOException | IllegalArgumentException e) {
        throw new MemoryException(Reason.JOURNAL_FAILED, "journal: replay " + leaseId + ": " + e.getMessage(), e);
      }
    } finally {
      dbLock.unlock();
      lock.unlock();
    }
  }

  /** Highest seq written so far (0 if none). */
  public long lastSeq() throws MemoryException {
    lock.lock();
    try {
      try {
        live();
        return nextSeq - 1;
      } catch (SQLException e) {
        throw failed("last seq", e);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Stores a snapshot of a lease's map covering every record up to {@code uptoSeq}. */
  public void writeSnapshot(String leaseId, long uptoSeq, byte[] map) throws MemoryException {
    dbLock.lock();
    try {
      try {
        live();
        try (PreparedStatement p = db.prepareStatement(
            "INSERT OR REPLACE INTO snapshots(lease_id, upto_seq, map) VALUES (?, ?, ?)")) {
          p.setString(1, leaseId);
          p.setLong(2, uptoSeq);
          p.setBytes(3, map);
          p.executeUpdate();
        }
        wrote(map.length);
        checkpointIfDue();
      } catch (SQLException e) {
        throw failed("snapshot " + leaseId, e);
      }
    } finally {
      dbLock.unlock();
    }
  }

  /** The latest snapshot of a lease: (upto_seq, map bytes). */
  public Optional<Snapshot> snapshot(String leaseId) throws MemoryException {
    dbLock.lock();
    try {
      try {
        live();
        try (PreparedStatement p = db.prepareStatement("SELECT upto_seq, map FROM snapshots WHERE lease_id = ?")) {
          p.setString(1, leaseId);
          try (ResultSet rs = p.executeQuery()) {
            return rs.next() ? Optional.of(new Snapshot(rs.getLong(1), rs.getBytes(2))) : Optional.empty();
          }
        }
      } catch (SQLException e) {
        throw failed("read snapshot " + leaseId, e);
      }
    } finally {
      dbLock.unlock();
    }
  }

  /** A stored snapshot. */
  public record Snapshot(long uptoSeq, byte[] map) {
    public Snapshot {
      map = map.clone();
    }

    @Override
    public byte[] map() {
      return map.clone();
    }
  }

  /** Appends one audit result to the audit log. */
  public void recordAudit(int pid, boolean clean, String findings) throws MemoryException {
    dbLock.lock();
    try {
      try {
        live();
        try (PreparedStatement p = db.prepareStatement(
            "INSERT INTO audit_log(time_ms, pid, clean, findings) VALUES (?, ?, ?, ?)")) {
          p.setLong(1, System.currentTimeMillis());
          p.setInt(2, pid);
          p.setInt(3, clean ? 1 : 0);
          p.setString(4, findings);
          p.executeUpdate();
        }
        wrote(findings.length());
        checkpointIfDue();
      } catch (SQLException e) {
        throw failed("audit log", e);
      }
    } finally {
      dbLock.unlock();
    }
  }

  /** Number of audit log entries (for tests and status). */
  public long auditCount() throws MemoryException {
    dbLock.lock();
    try {
      try {
        live();
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM audit_log")) {
          return rs.next() ? rs.getLong(1) : 0;
        }
      } catch (SQLException e) {
        throw failed("audit count", e);
      }
    } finally {
      dbLock.unlock();
    }
  }

  /**
   * Stops the ingester, ingests what is pending (if that fails the records stay in the record
   * log, and the next {@link #open} ingests them), empties the record log and closes SQLite.
   */
  @Override
  public void close() {
    Thread t;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      t = ingester;
    } finally {
      lock.unlock();
    }
    if (t != null) {
      LockSupport.unpark(t);
      try {
        t.join(TimeUnit.SECONDS.toMillis(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    lock.lock();
    dbLock.lock();
    try {
      try {
        ingestAll();
        if (log != null && !log.failed()) {
          resetLog();
        }
      } catch (SQLException | IOException e) {
        LOG.warn("journal: closing with {} records not ingested ({}); the next start ingests them from the record log",
            Math.max(0, logAppended.get() - ingestedCount.get()), e.toString());
      }
      if (log != null) {
        log.close();
      }
      try {
        insertRecord.close();
        deleteRecord.close();
        setIngested.close();
        insertBatch.close();
        db.close();
      } catch (SQLException ignored) {
        // closing: WAL is already durable for every committed record
      }
    } finally {
      dbLock.unlock();
      lock.unlock();
    }
  }
}
