package io.guestmem.memory.journal;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.MemoryEvent;
import io.guestmem.memory.PageState;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The binary encoding of a page-state record (CONVERTED, ALLOCATED, DISCARDED), shared by the
 * {@linkplain RecordLog record log} and the {@code journal_batches} table. All integers
 * little-endian. A record body:
 * <pre>
 *   u64 seq, u64 time_ms, u8 kind (1 CONVERTED, 2 ALLOCATED, 3 DISCARDED),
 *   u8 state (0 none, 1 PRIVATE, 2 SHARED), u16 lease id length N (1..1024), N bytes lease id (UTF-8),
 *   u32 range count R, R × (u64 offset, u64 length)
 * </pre>
 * A batch (one {@code journal_batches.records} value): u32 record count, then per record u32 body
 * length and the body, in increasing seq order.
 */
final class RecordCodec {
  /** seq, time, kind, state, lease id length: the fixed part of a body before the id. */
  static final int BODY_FIXED = 8 + 8 + 1 + 1 + 2;
  /** Longest lease id a record carries (lease ids are UUIDs; the bound only guards parsing). */
  static final int MAX_LEASE_ID_BYTES = 1024;

  private RecordCodec() {}

  /** A record's encoding is not valid (a bad kind or state, a length mismatch, a negative range…). */
  static final class CorruptRecordException extends IOException {
    private static final long serialVersionUID = 1L;

    CorruptRecordException(String message) {
      super(message);
    }
  }

  /** Bytes of {@code r}'s body, or -1 if its lease id cannot be encoded (empty or too long). */
  static long bodySize(JournalRecord r) {
    int idBytes = utf8Length(r.leaseId());
    if (idBytes < 1 || idBytes > MAX_LEASE_ID_BYTES) {
      return -1;
    }
    return BODY_FIXED + idBytes + 4 + 16L * r.ranges().size();
  }

  private static int utf8Length(String s) {
    int n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n += 1;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }

  /** Writes {@code r}'s body at {@code b}'s position (little-endian buffer with room for {@link #bodySize}). */
  static void putBody(ByteBuffer b, JournalRecord r) {
    b.putLong(r.seq()).putLong(r.timeMillis()).put(kindCode(r.kind())).put(stateCode(r.to()));
    byte[] id = r.leaseId().getBytes(StandardCharsets.UTF_8);
    b.putShort((short) id.length).put(id).putInt(r.ranges().size());
    for (ByteRange range : r.ranges()) {
      b.putLong(range.offset()).putLong(range.length());
    }
  }

  private static byte kindCode(MemoryEvent.Kind k) {
    switch (k) {
      case CONVERTED:
        return 1;
      case ALLOCATED:
        return 2;
      case DISCARDED:
        return 3;
      default:
        throw new IllegalArgumentException("a page-state record is CONVERTED, ALLOCATED or DISCARDED, not " + k);
    }
  }

  private static byte stateCode(PageState s) {
    return s == null ? 0 : s == PageState.PRIVATE ? (byte) 1 : (byte) 2;
  }

  /** Whether {@code k} is a page-state record's kind (the ones this encoding holds). */
  static boolean isPageState(MemoryEvent.Kind k) {
    return k == MemoryEvent.Kind.CONVERTED || k == MemoryEvent.Kind.ALLOCATED || k == MemoryEvent.Kind.DISCARDED;
  }

  /**
   * Reads the body of {@code bodyLength} bytes at {@code at}; {@code where} names it in errors.
   *
   * @throws CorruptRecordException if it is not a valid record body
   */
  static JournalRecord getBody(ByteBuffer b, int at, int bodyLength, String where) throws CorruptRecordException {
    if (bodyLength < BODY_FIXED + 1 + 4) {
      throw new CorruptRecordException(where + ": a body of " + bodyLength + " bytes is too short");
    }
    long seq = b.getLong(at);
    long time = b.getLong(at + 8);
    int kind = b.get(at + 16);
    int state = b.get(at + 17);
    int idLength = b.getShort(at + 18) & 0xffff;
    if (seq <= 0) {
      throw new CorruptRecordException(where + ": seq " + seq + " is not positive");
    }
    MemoryEvent.Kind k;
    switch (kind) {
      case 1:
        k = MemoryEvent.Kind.CONVERTED;
        break;
      case 2:
        k = MemoryEvent.Kind.ALLOCATED;
        break;
      case 3:
        k = MemoryEvent.Kind.DISCARDED;
        break;
      default:
        throw new CorruptRecordException(where + ": unknown kind " + kind);
    }
    PageState to;
    if (k == MemoryEvent.Kind.CONVERTED) {
      if (state != 1 && state != 2) {
        throw new CorruptRecordException(where + ": a conversion to state " + state);
      }
      to = state == 1 ? PageState.PRIVATE : PageState.SHARED;
    } else if (state != 0) {
      throw new CorruptRecordException(where + ": " + k + " with state " + state);
    } else {
      to = null;
    }
    if (idLength < 1 || idLength > MAX_LEASE_ID_BYTES || BODY_FIXED + idLength + 4 > bodyLength) {
      throw new CorruptRecordException(where + ": lease id of " + idLength + " bytes");
    }
    String id;
    try {
      id = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(b.duplicate().position(at + BODY_FIXED).limit(at + BODY_FIXED + idLength)).toString();
    } catch (CharacterCodingException e) {
      throw new CorruptRecordException(where + ": lease id is not UTF-8");
    }
    int rangesAt = at + BODY_FIXED + idLength;
    int count = b.getInt(rangesAt);
    if (count < 0 || BODY_FIXED + idLength + 4 + 16L * count != bodyLength) {
      throw new CorruptRecordException(where + ": " + count + " ranges in a body of " + bodyLength + " bytes");
    }
    List<ByteRange> ranges = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      long off = b.getLong(rangesAt + 4 + 16 * i);
      long len = b.getLong(rangesAt + 12 + 16 * i);
      if (off < 0 || len < 0 || off + len < 0) {
        throw new CorruptRecordException(where + ": range " + i + " is negative or overflows");
      }
      ranges.add(new ByteRange(off, len));
    }
    return new JournalRecord(seq, time, id, k, to, ranges);
  }

  /** Encodes records (page-state, increasing seq) as one batch. */
  static byte[] encodeBatch(List<JournalRecord> records) {
    long size = 4;
    for (JournalRecord r : records) {
      long body = bodySize(r);
      if (body < 0) {
        throw new IllegalArgumentException("record " + r.seq() + " has a lease id that cannot be encoded");
      }
      size += 4 + body;
    }
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("a batch of " + size + " bytes");
    }
    ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(records.size());
    for (JournalRecord r : records) {
      int at = b.position();
      b.putInt(0);
      putBody(b, r);
      b.putInt(at, b.position() - at - 4);
    }
    return b.array();
  }

  /**
   * Decodes a batch; {@code where} names it in errors.
   *
   * @throws CorruptRecordException if it is not a valid batch (truncated, trailing bytes, a bad body, seqs not increasing)
   */
  static List<JournalRecord> decodeBatch(byte[] blob, String where) throws CorruptRecordException {
    if (blob == null || blob.length < 4) {
      throw new CorruptRecordException(where + ": truncated at offset 0");
    }
    ByteBuffer b = ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN);
    int n = b.getInt(0);
    if (n < 0 || n > (blob.length - 4) / (4 + BODY_FIXED + 5)) {
      throw new CorruptRecordException(where + ": " + n + " records cannot fit " + blob.length + " bytes");
    }
    List<JournalRecord> out = new ArrayList<>(n);
    int pos = 4;
    long last = 0;
    for (int i = 0; i < n; i++) {
      if (pos + 4 > blob.length) {
        throw new CorruptRecordException(where + ": truncated at offset " + pos);
      }
      int len = b.getInt(pos);
      if (len < 0 || (long) pos + 4 + len > blob.length) {
        throw new CorruptRecordException(where + ": record " + i + " of " + len + " bytes at offset " + pos + " overruns the batch");
      }
      JournalRecord r = getBody(b, pos + 4, len, where + " record " + i);
      if (r.seq() <= last) {
        throw new CorruptRecordException(where + ": record " + i + " has seq " + r.seq() + " after seq " + last);
      }
      last = r.seq();
      out.add(r);
      pos += 4 + len;
    }
    if (pos != blob.length) {
      throw new CorruptRecordException(where + ": " + (blob.length - pos) + " bytes after the last record");
    }
    return out;
  }
}
