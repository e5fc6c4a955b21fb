package io.guestmem.tdx.emu;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.EngineConfig;
import io.guestmem.memory.Lease;
import io.guestmem.memory.LeaseRequest;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryEvent;
import io.guestmem.memory.PageState;
import io.guestmem.tdx.abi.Quote;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end: the emulated TD converts a real lease of the memory engine (emulated backend). */
class TdxEmulationOnMemoryEngineTest {
  @TempDir Path state;
  @TempDir Path out;

  @Test
  void lifecycle_convertsTheLeaseSharedAndBack_throughTheEngineJournal() throws Exception {
    try (MemoryEngine engine = MemoryEngine.open(EngineConfig.emulated(state))) {
      Lease lease = engine.openLease(LeaseRequest.owned(16L << 20, "tdx"));
      List<MemoryEvent> events = new CopyOnWriteArrayList<>();
      AutoCloseable subscription = engine.addListener(events::add);
      try {
        TdxEmulation.Result r =
            TdxEmulation.run(lease, TdxEmulation.Options.defaults(out).withQuoteVersion(5).withIssueTime(Instant.parse("2026-03-01T00:00:00Z")));
        assertThat(Quote.parse(Files.readAllBytes(out.resolve("quote.bin"))).version()).isEqualTo(5);
        assertThat(r.log()).anyMatch(l -> l.contains("lease offset 0x800000: SHARED"));
      } finally {
        subscription.close();
      }
      List<MemoryEvent> conversions = events.stream().filter(e -> e.kind() == MemoryEvent.Kind.CONVERTED).toList();
      assertThat(conversions).hasSize(6);
      assertThat(conversions.subList(0, 3)).allMatch(e -> e.to() == PageState.SHARED && e.leaseId().equals(lease.id()));
      assertThat(conversions.subList(3, 6)).allMatch(e -> e.to() == PageState.PRIVATE);
      assertThat(conversions.get(0).ranges()).containsExactly(new ByteRange(8L << 20, conversions.get(0).ranges().get(0).length()));
      assertThat(lease.info().bytesIn(PageState.PRIVATE)).isEqualTo(16L << 20);
      assertThat(lease.stateAt(8L << 20)).isEqualTo(PageState.PRIVATE);
    }
  }
}
