package io.guestmem.memory.journal;

import com.sun.jna.Memory;
import io.guestmem.memory.journal.RecordCodec.CorruptRecordException;
import io.guestmem.memory.sys.Errno;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Syscalls;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32C;


/**
 * The record log ({@code <stateDir>/guestmem.db-records}): where the journal writes page-state
 * records (CONVERTED, ALLOCATED, DISCARDED) under {@code PROCESS_CRASH} durability before they
 * are ingested into SQLite in batches off the caller's thread.
 *
 * <p>The file has a fixed size, allocated when it is created, and appending a record is one
 * {@code pwrite(2)} into it: once {@link #append} returns, the record is in the page cache and
 * survives SIGKILL of the process (the kernel owns the page), exactly the guarantee a
 * {@code synchronous=OFF} SQLite commit gives, at a fraction of its cost (no B-tree, no WAL
 * frame, one small write). It does not survive a kernel crash or power loss; under
 * {@code POWER_LOSS} durability the journal does not use this file.
 *
 * <p><b>Format</b> (all integers little-endian). A 64-byte header: the magic {@code GMRECLOG},
 * u32 format version (1), u32 zero, u64 epoch, zeros. Records follow from offset 64, each starting
 * at a multiple of 8:
 * <pre>
 *   u32 body length L         (the record occupies 8 + L bytes, rounded up to a multiple of 8)
 *   u32 CRC-32C               over the epoch (u64) followed by the body
 *   body                      the record, encoded as {@link RecordCodec} describes
 * </pre>
 * The valid records are the longest prefix whose CRCs match under the header's epoch. A record
 * torn by a crash while it was being written fails its CRC and ends the log (it had not been
 * acknowledged); so do the records of an earlier epoch behind the write position, since the
 * epoch is part of every CRC. Once every record has been ingested into SQLite the journal
 * {@linkplain #reset resets} the log: it bumps the epoch (one aligned 8-byte write), invalidating
 * every record at once, and writes again from offset 64. A record whose CRC matches but whose
 * contents are not a valid record is corruption, not a torn tail, and is reported as such.
 *
 * <p>Failure: a write the kernel refuses (ENOSPC on a copy-on-write filesystem, EIO) fails the
 * append with an {@link IOException}; the record may be partly written, which a scan reads as a
 * torn tail, and was not acknowledged. The log then refuses further appends, so the journal falls
 * back to writing SQLite directly (which reports the same condition as long as it lasts). The log
 * is written with {@code pwrite(2)} rather than through a shared mapping because a store into a
 * mapping the kernel cannot back raises SIGBUS, which the JVM delivers asynchronously, after the
 * store has "returned": an acknowledged record could be missing without anyone knowing.
 *
 * <p><b>Image.</b> The log keeps an image of the file in native memory: a record is encoded at
 * its place in the image and written to the file from there. The records appended so far are
 * therefore readable without a system call, and already encoded: {@link #batch} hands them to the
 * ingester as a {@code journal_batches} value by copying their bodies, without decoding them into
 * objects and encoding them again.
 *
 * <p>Not thread-safe, with one exception: the journal calls everything under its lock, except
 * {@link #end} and {@link #batch} over records below {@link #end}, which the ingester calls without
 * it while appends go on beyond that end (it holds the journal's database lock, under which alone
 * the log is {@linkplain #reset reset}).
 */
final class RecordLog {
  /** Suffix of the file next to the database: {@code guestmem.db-records}. */
  static final String SUFFIX = "-records";
  static final int HEADER_BYTES = 64;
  static final int VERSION = 1;
  /** Default size of the file: about 40,000 single-range records. */
  static final int DEFAULT_CAPACITY = 4 << 20;
  /** Largest record body: 4,000 ranges; larger records go to SQLite directly. */
  static final int MAX_BODY_BYTES = 64 * 1024;

  private static final byte[] MAGIC = "GMRECLOG".getBytes(StandardCharsets.US_ASCII);
  private static final int EPOCH_OFFSET = 16;

  private final Path file;
  private final int capacity;
  /** The open file (O_CLOEXEC), or -1 once closed. */
  private int fd;
  private long epoch;
  private int writePos = HEADER_BYTES;
  /** {@link #writePos}, published (release) for {@link #batch}'s reader, which reads it with acquire. */
  private final AtomicInteger end = new AtomicInteger(HEADER_BYTES);
  private boolean failed;
  /**
   * The image of the file (see the class comment): native memory, so nothing is copied between
   * encoding a record and writing it. Bytes from {@link #HEADER_BYTES} to {@link #end} are the
   * records of the current epoch; the rest of the image is not kept in step with the file.
   */
  private final Memory image;
  /** The appender's view of {@link #image} (its position and limit are used under the journal lock). */
  private final ByteBuffer imageView;
  /** The ingester's view of {@link #image} (absolute reads only). */
  private final ByteBuffer readView;
  private final byte[] epochBytes = new byte[8];
  private final CRC32C crc = new CRC32C();

  private RecordLog(Path file, int capacity, int fd, long epoch) {
    this.file = file;
    this.capacity = capacity;
    this.fd = fd;
    this.image = new Memory(capacity);
    this.imageView = image.getByteBuffer(0, capacity).order(ByteOrder.LITTLE_ENDIAN);
    this.readView = imageView.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    setEpoch(epoch);
  }

  /**
   * Creates a fresh, empty log of {@code capacity} bytes at {@code file}, replacing any file there:
   * its blocks allocated now ({@code fallocate}, or zeros written where the filesystem has no
   * fallocate), so that appends overwrite allocated blocks, and made under a temporary name that
   * is renamed into place, so {@code file} is never half made.
   */
  static RecordLog create(Path file, int capacity) throws IOException {
    if (capacity < HEADER_BYTES + 8 + RecordCodec.BODY_FIXED || capacity % 8 != 0) {
      throw new IllegalArgumentException("record log capacity " + capacity + " is too small or not a multiple of 8");
    }
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    int fd = -1;
    try {
      fd = Syscalls.open(tmp.toString(), Syscalls.O_RDWR);
      try {
        Syscalls.fallocate(fd, 0, 0, capacity);
      } catch (ErrnoException e) {
        if (e.errno() != Errno.EOPNOTSUPP) {
          throw e;
        }
        // in 64 KiB writes, not one: a file filled by a single large write is cached in large
        // folios, and every later small append walks all of a folio's block buffers (ext4 on
        // Linux 6.18: 6.2 µs per 96-byte append instead of 0.55; docs/PERFORMANCE.md, session 6)
        Memory zeros = new Memory(64 * 1024);
        zeros.clear();
        for (long pos = 0; pos < capacity; pos += zeros.size()) {
          Syscalls.pwriteFully(fd, zeros, Math.min(zeros.size(), capacity - pos), pos);
        }
      }
      ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
      header.put(MAGIC).putInt(VERSION).putInt(0).putLong(1L);
      Memory h = new Memory(HEADER_BYTES);
      h.write(0, header.array(), 0, HEADER_BYTES);
      Syscalls.pwriteFully(fd, h, HEADER_BYTES, 0);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (ErrnoException e) {
      closeQuietly(fd);
      Files.deleteIfExists(tmp);
      throw new IOException("record log " + file + ": " + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      closeQuietly(fd);
      Files.deleteIfExists(tmp);
      throw e;
    }
    return new RecordLog(file, capacity, fd, 1L);
  }

  /**
   * Starts a new epoch in an existing log of {@code capacity} bytes whose records (of epoch
   * {@code epoch}, as a {@link #scan} found) are all in SQLite: the file and its blocks are kept,
   * which a restart on a nearly full disk needs (creating a new file beside the old one would
   * briefly need its size twice). A file of another size is replaced by {@link #create}.
   */
  static RecordLog reopen(Path file, int capacity, long epoch) throws IOException {
    if (Files.size(file) != capacity) {
      return create(file, capacity);
    }
    RecordLog log = overExisting(file, capacity);
    log.setEpoch(epoch);
    try {
      log.reset();
    } catch (IOException e) {
      log.close();
      throw e;
    }
    return log;
  }

  /**
   * A log over an existing file, written as it is (no header written, nothing allocated): for
   * tests that need a file whose writes the kernel refuses, such as {@code /dev/full}.
   */
  static RecordLog overExisting(Path file, int capacity) throws IOException {
    try {
      return new RecordLog(file, capacity, Syscalls.open(file.toString(), Syscalls.O_RDWR), 1L);
    } catch (ErrnoException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  private static void closeQuietly(int fd) {
    if (fd >= 0) {
      try {
        Syscalls.close(fd);
      } catch (ErrnoException ignored) {
        // already failing
      }
    }
  }

  Path file() {
    return file;
  }

  int capacity() {
    return capacity;
  }

  /** Bytes from the start of the file to the end of the last record. */
  int used() {
    return writePos;
  }

  /**
   * The end of the last appended record, as published to a thread that does not hold the journal
   * lock: every record below it is in the image and in the file. {@link #HEADER_BYTES} when empty.
   */
  int end() {
    return end.get();
  }

  /** Records taken from the log by {@link #batch}: a {@code journal_batches} value and what it holds. */
  record Batch(byte[] records, int count, long firstSeq, long lastSeq, int end) {
  }

  /**
   * The records from offset {@code from} (a record boundary at or above {@link #HEADER_BYTES}) up
   * to {@code to} (at most {@link #end}), at most {@code max} of them, as one {@code journal_batches}
   * value in {@link RecordCodec}'s batch encoding: each body is copied from the image as it was
   * written, not decoded. {@code end} of the result is where the next batch starts. May be called
   * without the journal lock while appends go on (see the class comment); null if there is no record
   * in the range.
   */
  Batch batch(int from, int to, int max) {
    ByteBuffer b = readView;
    int pos = from;
    int n = 0;
    long bytes = 4;
    int last = -1;
    while (pos < to && n < max) {
      int bodyLength = b.getInt(pos);
      bytes += 4 + bodyLength;
      last = pos;
      pos += (8 + bodyLength + 7) & ~7;
      n++;
    }
    if (n == 0) {
      return null;
    }
    byte[] out = new byte[(int) bytes];
    ByteBuffer o = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
    o.putInt(0, n);
    int at = 4;
    for (int p = from; p <= last; ) {
      int bodyLength = b.getInt(p);
      o.putInt(at, bodyLength);
      b.get(p + 8, out, at + 4, bodyLength);
      at += 4 + bodyLength;
      p += (8 + bodyLength + 7) & ~7;
    }
    return new Batch(out, n, b.getLong(from + 8), b.getLong(last + 8), pos);
  }

  long epoch() {
    return epoch;
  }

  /** True once a store failed: the log takes no more records. */
  boolean failed() {
    return failed;
  }

  /** Whether a record of this kind and size could ever be appended (after a reset). */
  static boolean fits(JournalRecord r, int capacity) {
    if (!RecordCodec.isPageState(r.kind())) {
      return false; // only page-state records have the log's encoding; others go to SQLite
    }
    long size = recordSize(r);
    return size > 0 && size - 8 <= MAX_BODY_BYTES && size <= capacity - HEADER_BYTES;
  }

  /**
   * Appends {@code r}. Returns false, having written nothing, if the rest of the file cannot hold
   * it (the caller ingests and {@linkplain #reset resets}). Returns true once the record is in the
   * page cache.
   *
   * @throws IOException if the store failed (SIGBUS) or the log failed before; nothing valid was
   *     written, and the log takes no more records
   */
  boolean append(JournalRecord r) throws IOException {
    if (failed) {
      throw new IOException("record log " + file + " failed earlier");
    }
    long size = recordSize(r);
    if (size < 0 || size - 8 > MAX_BODY_BYTES) {
      throw new IllegalArgumentException("record of " + r.ranges().size() + " ranges does not fit a record log record");
    }
    if (writePos + size > capacity) {
      return false;
    }
    int len = encode(r, writePos);
    try {
      Syscalls.pwriteFully(fd, image, writePos, len, writePos);
    } catch (ErrnoException e) {
      failed = true;
      throw new IOException("record log " + file + ": the write at offset " + writePos + " failed: " + e.getMessage(), e);
    }
    writePos += len;
    end.lazySet(writePos); // release: the record's bytes in the image before its end
    return true;
  }

  /**
   * Empties the log: bumps the epoch in the header, which invalidates every record in the file,
   * and appends from offset 64 again. Only once every record has been ingested into SQLite.
   */
  void reset() throws IOException {
    if (failed) {
      throw new IOException("record log " + file + " failed earlier");
    }
    long next = epoch + 1;
    byte[] b = new byte[8];
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(next);
    image.write(EPOCH_OFFSET, b, 0, 8);
    try {
      Syscalls.pwriteFully(fd, image, EPOCH_OFFSET, 8, EPOCH_OFFSET);
    } catch (ErrnoException e) {
      failed = true;
      throw new IOException("record log " + file + ": the header write failed: " + e.getMessage(), e);
    }
    setEpoch(next);
    writePos = HEADER_BYTES;
    end.set(HEADER_BYTES);
  }

  /** Closes the file (which stays). */
  void close() {
    closeQuietly(fd);
    fd = -1;
    failed = true;
  }

  private void setEpoch(long e) {
    epoch = e;
    ByteBuffer.wrap(epochBytes).order(ByteOrder.LITTLE_ENDIAN).putLong(e);
  }

  /** Bytes the record occupies in the file (prefix + body, rounded up to 8), or -1 if it cannot be encoded. */
  static long recordSize(JournalRecord r) {
    long body = RecordCodec.bodySize(r);
    return body < 0 ? -1 : (8 + body + 7) & ~7L;
  }

  /**
   * Encodes {@code r} into the image at {@code at} (room checked by the caller); returns the bytes
   * to write (a multiple of 8).
   */
  private int encode(JournalRecord r, int at) {
    ByteBuffer b = imageView;
    b.clear();
    b.position(at + 8);
    RecordCodec.putBody(b, r);
    int bodyEnd = b.position();
    int bodyLength = bodyEnd - at - 8;
    crc.reset();
    crc.update(epochBytes, 0, 8);
    b.limit(bodyEnd).position(at + 8);
    crc.update(b);
    b.clear();
    b.putInt(at, bodyLength).putInt(at + 4, (int) crc.getValue());
    int padded = (bodyEnd + 7) & ~7;
    for (int i = bodyEnd; i < padded; i++) {
      b.put(i, (byte) 0);
    }
    return padded - at;
  }

  /** What a scan of a log file found: the header's epoch and the valid records, in file order. */
  record Scan(long epoch, List<JournalRecord> records, int end) {
    Scan {
      records = List.copyOf(records);
    }
  }

  /**
   * Reads the valid records of a log file's contents. A file shorter than the header or whose
   * header is all zeros (a crash before the first header was written) holds no records.
   *
   * @throws CorruptRecordException if the magic or version is not this format's, or a record whose
   *     CRC matches is malformed (bad kind/state, length mismatch, negative range, seqs not increasing)
   */
  static Scan scan(byte[] data) throws CorruptRecordException {
    if (data.length < HEADER_BYTES || allZero(data, 0, HEADER_BYTES)) {
      return new Scan(0, List.of(), 0);
    }
    ByteBuffer b = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < MAGIC.length; i++) {
      if (data[i] != MAGIC[i]) {
        throw new CorruptRecordException("not a guestmem record log (bad magic at offset 0)");
      }
    }
    int version = b.getInt(8);
    if (version != VERSION) {
      throw new CorruptRecordException("record log format version " + version + " at offset 8; this build reads " + VERSION);
    }
    long epoch = b.getLong(EPOCH_OFFSET);
    byte[] eb = new byte[8];
    ByteBuffer.wrap(eb).order(ByteOrder.LITTLE_ENDIAN).putLong(epoch);
    CRC32C crc = new CRC32C();
    List<JournalRecord> out = new ArrayList<>();
    int pos = HEADER_BYTES;
    long lastSeq = 0;
    while (pos + 8 <= data.length) {
      int bodyLength = b.getInt(pos);
      if (bodyLength < RecordCodec.BODY_FIXED + 1 + 4 || bodyLength > MAX_BODY_BYTES || (long) pos + 8 + bodyLength > data.length) {
        break; // zeros, a torn prefix or an earlier epoch's bytes: the end of the log
      }
      crc.reset();
      crc.update(eb, 0, 8);
      crc.update(data, pos + 8, bodyLength);
      if ((int) crc.getValue() != b.getInt(pos + 4)) {
        break; // torn, or written under another epoch
      }
      JournalRecord r = RecordCodec.getBody(b, pos + 8, bodyLength, "record at offset " + pos);
      if (r.seq() <= lastSeq) {
        throw new CorruptRecordException("record at offset " + pos + " has seq " + r.seq() + " after seq " + lastSeq);
      }
      lastSeq = r.seq();
      out.add(r);
      pos += (8 + bodyLength + 7) & ~7;
    }
    return new Scan(epoch, out, pos);
  }

  private static boolean allZero(byte[] d, int from, int to) {
    for (int i = from; i < to; i++) {
      if (d[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
