package io.guestmem.memory.journal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.MemoryEvent;
import io.guestmem.memory.PageState;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The batch encoding of {@code journal_batches}: round trip, and each way a batch can be malformed. */
class RecordCodecTest {
  private static JournalRecord rec(long seq, String lease, int ranges) {
    List<ByteRange> rs = new ArrayList<>();
    for (int i = 0; i < ranges; i++) {
      rs.add(new ByteRange(8192L * i, 4096));
    }
    return new JournalRecord(seq, 1000 + seq, lease, seq % 2 == 0 ? MemoryEvent.Kind.CONVERTED : MemoryEvent.Kind.DISCARDED,
        seq % 2 == 0 ? PageState.PRIVATE : null, rs);
  }

  @Test
  void aBatch_decodesToTheRecordsEncoded() throws Exception {
    List<JournalRecord> records = List.of(rec(3, "a", 1), rec(4, "lease-ü", 3), rec(9, "a", 0));
    assertThat(RecordCodec.decodeBatch(RecordCodec.encodeBatch(records), "b")).isEqualTo(records);
    assertThat(RecordCodec.decodeBatch(RecordCodec.encodeBatch(List.of()), "b")).isEmpty();
  }

  @Test
  void malformedBatches_areRejectedWithWhereAndWhat() {
    byte[] good = RecordCodec.encodeBatch(List.of(rec(3, "a", 1), rec(4, "b", 2)));
    assertThatThrownBy(() -> RecordCodec.decodeBatch(new byte[2], "row 7")).hasMessage("row 7: truncated at offset 0");
    assertThatThrownBy(() -> RecordCodec.decodeBatch(Arrays.copyOf(good, good.length - 1), "row 7"))
        .isInstanceOf(RecordCodec.CorruptRecordException.class).hasMessageContaining("overruns the batch");
    assertThatThrownBy(() -> RecordCodec.decodeBatch(Arrays.copyOf(good, good.length + 3), "row 7"))
        .hasMessage("row 7: 3 bytes after the last record");
    byte[] count = good.clone();
    ByteBuffer.wrap(count).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 1_000_000);
    assertThatThrownBy(() -> RecordCodec.decodeBatch(count, "row 7")).hasMessageContaining("1000000 records cannot fit");
    List<JournalRecord> backwards = List.of(rec(4, "a", 1), rec(3, "b", 1));
    assertThatThrownBy(() -> RecordCodec.decodeBatch(RecordCodec.encodeBatch(backwards), "row 7"))
        .hasMessageContaining("record 1 has seq 3 after seq 4");
    byte[] kind = good.clone();
    kind[4 + 4 + 16] = 7; // first record's kind
    assertThatThrownBy(() -> RecordCodec.decodeBatch(kind, "row 7")).hasMessage("row 7 record 0: unknown kind 7");
  }

  @Test
  void onlyPageStateRecords_haveThisEncoding() {
    JournalRecord opened = new JournalRecord(1, 0, "a", MemoryEvent.Kind.LEASE_OPENED, null, List.of());
    assertThatThrownBy(() -> RecordCodec.encodeBatch(List.of(opened))).isInstanceOf(IllegalArgumentException.class);
    assertThat(RecordCodec.isPageState(MemoryEvent.Kind.CONVERTED)).isTrue();
    assertThat(RecordCodec.isPageState(MemoryEvent.Kind.LEASE_CLOSED)).isFalse();
    assertThat(RecordCodec.bodySize(new JournalRecord(1, 0, "", MemoryEvent.Kind.DISCARDED, null, List.of()))).isEqualTo(-1);
  }
}
