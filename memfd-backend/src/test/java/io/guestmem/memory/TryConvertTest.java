package io.guestmem.memory;

import static io.guestmem.memory.ConversionSemanticsTest.expect;
import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.memory.MemoryException.Reason;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Lease#tryConvert}: the conversion a transport thread may run itself. It either converts
 * exactly as {@link Lease#convert} would (same map, same journal record, same event), or declines
 * having changed and held nothing, whenever it would have had to wait or do unbounded work.
 */
class TryConvertTest {
  private static final long P = 4096;
  private static final long SIZE = 1024 * P;

  @TempDir Path dir;

  static java.util.stream.Stream<String> backends() {
    return Backends.all();
  }

  private static List<ByteRange> r(long off, long len) {
    return List.of(new ByteRange(off, len));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void anUncontendedSmallConversion_isDoneAtOnce_recordedAndPublishedLikeConvert(String backend) throws Exception {
    try (MemoryEngine e = Backends.open(dir, backend)) {
      Lease l = e.openLease(LeaseRequest.owned(SIZE, "none"));
      List<MemoryEvent> events = new CopyOnWriteArrayList<>();
      e.addListener(events::add);
      long before = e.journal().lastSeq();

      assertThat(l.tryConvert(List.of(new ByteRange(4 * P, 2 * P), new ByteRange(P, P)), PageState.SHARED)).isTrue();

      assertThat(l.info().ranges()).containsExactly(
          new StateRange(new ByteRange(0, P), PageState.PRIVATE, false),
          new StateRange(new ByteRange(P, P), PageState.SHARED, false),
          new StateRange(new ByteRange(2 * P, 2 * P), PageState.PRIVATE, false),
          new StateRange(new ByteRange(4 * P, 2 * P), PageState.SHARED, false),
          new StateRange(new ByteRange(6 * P, SIZE - 6 * P), PageState.PRIVATE, false));
      assertThat(e.journal().lastSeq()).isEqualTo(before + 1);
      assertThat(events).singleElement().satisfies(ev -> {
        assertThat(ev.kind()).isEqualTo(MemoryEvent.Kind.CONVERTED);
        assertThat(ev.seq()).isEqualTo(before + 1);
        assertThat(ev.to()).isEqualTo(PageState.SHARED);
        assertThat(ev.ranges()).containsExactly(new ByteRange(P, P), new ByteRange(4 * P, 2 * P));
      });
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void aConversionTryConvertDid_survivesARestart(String backend) throws Exception {
    try (MemoryEngine e = Backends.open(dir, backend)) {
      Lease l = e.openLease(LeaseRequest.owned(SIZE, "none"));
      assertThat(l.tryConvert(r(8 * P, P), PageState.SHARED)).isTrue();
    }
    try (MemoryEngine e = Backends.open(dir, backend)) {
      LeaseInfo i = e.leases().get(0);
      assertThat(i.status()).isEqualTo(LeaseStatus.ORPHANED);
      assertThat(i.ranges()).contains(new StateRange(new ByteRange(8 * P, P), PageState.SHARED, false));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void badRequests_areRefusedWithConvertsReasons(String backend) throws Exception {
    try (MemoryEngine e = Backends.open(dir, backend)) {
      Lease l = e.openLease(LeaseRequest.owned(SIZE, "none"));
      expect(Reason.UNALIGNED, () -> l.tryConvert(r(P + 1, P), PageState.SHARED));
      expect(Reason.OUT_OF_RANGE, () -> l.tryConvert(r(SIZE, P), PageState.SHARED));
      expect(Reason.INVALID_ARGUMENT, () -> l.tryConvert(List.of(), PageState.SHARED));
      expect(Reason.INVALID_ARGUMENT, () -> l.tryConvert(r(0, P), null));
      expect(Reason.INVALID_ARGUMENT, () -> l.tryConvert(List.of(new ByteRange(0, 2 * P), new ByteRange(P, P)), PageState.SHARED));
      l.release();
      expect(Reason.LEASE_CLOSED, () -> l.tryConvert(r(0, P), PageState.SHARED));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void aRangeAnotherRequestHolds_isDeclined_whileDisjointRangesConvert(String backend) throws Exception {
    try (MemoryEngine e = Backends.open(dir, backend)) {
      Lease l = e.openLease(LeaseRequest.owned(SIZE, "none"));
      // A listener runs while its request still holds its range locks: park one there.
      CountDownLatch inListener = new CountDownLatch(1);
      CountDownLatch release = new CountDownLatch(1);
      e.addListener(ev -> {
        if (ev.kind() == MemoryEvent.Kind.CONVERTED && ev.ranges().get(0).offset() == 0) {
          inListener.countDown();
          try {
            release.await(30, TimeUnit.SECONDS);
          } catch (InterruptedException x) {
            Thread.currentThread().interrupt();
          }
        }
      });
      CompletableFuture<Void> holder = CompletableFuture.runAsync(() -> {
        try {
          l.convert(r(0, 4 * P), PageState.SHARED);
        } catch (MemoryException x) {
          throw new IllegalStateException(x);
        }
      });
      assertThat(inListener.await(30, TimeUnit.SECONDS)).isTrue();
      long seq = e.journal().lastSeq();
      List<StateRange> before = l.info().ranges();

      assertThat(l.tryConvert(r(2 * P, 4 * P), PageState.SHARED)).isFalse();
      assertThat(l.info().ranges()).isEqualTo(before);
      assertThat(e.journal().lastSeq()).isEqualTo(seq);
      assertThat(l.tryConvert(r(8 * P, P), PageState.SHARED)).isTrue();

      release.countDown();
      holder.get(30, TimeUnit.SECONDS);
      // nothing was left queued by the declined attempt: the whole lease can be locked again
      assertThat(l.tryConvert(r(2 * P, 4 * P), PageState.SHARED)).isTrue();
      assertThat(l.info().ranges()).containsExactly(
          new StateRange(new ByteRange(0, 6 * P), PageState.SHARED, false),
          new StateRange(new ByteRange(6 * P, 2 * P), PageState.PRIVATE, false),
          new StateRange(new ByteRange(8 * P, P), PageState.SHARED, false),
          new StateRange(new ByteRange(9 * P, SIZE - 9 * P), PageState.PRIVATE, false));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void largeBatches_areDeclined_andConvertDoesThem(String backend) throws Exception {
    try (MemoryEngine e = Backends.open(dir, backend)) {
      Lease l = e.openLease(LeaseRequest.owned(SIZE, "none"));
      List<ByteRange> many = new ArrayList<>();
      for (int i = 0; i <= EngineLease.INLINE_MAX_RANGES; i++) {
        many.add(new ByteRange(2 * i * P, P));
      }
      long seq = e.journal().lastSeq();
      assertThat(l.tryConvert(many, PageState.SHARED)).isFalse();
      assertThat(l.tryConvert(r(0, EngineLease.INLINE_MAX_BYTES + P), PageState.SHARED)).isFalse();
      assertThat(l.rangeCount()).isEqualTo(1);
      assertThat(e.journal().lastSeq()).isEqualTo(seq);

      assertThat(l.tryConvert(many.subList(0, EngineLease.INLINE_MAX_RANGES), PageState.SHARED)).isTrue();
      assertThat(l.tryConvert(r(512 * P, EngineLease.INLINE_MAX_BYTES), PageState.SHARED)).isTrue();
      l.convert(many, PageState.SHARED);
      assertThat(l.info().bytesIn(PageState.SHARED)).isEqualTo((EngineLease.INLINE_MAX_RANGES + 1) * P + EngineLease.INLINE_MAX_BYTES);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void powerLossDurability_isAlwaysDeclined_becauseEveryCommitFsyncs(String backend) throws Exception {
    Backends.assume(backend);
    try (MemoryEngine e = MemoryEngine.open(EngineConfig.of(dir, backend).withDurability(Durability.POWER_LOSS))) {
      Lease l = e.openLease(LeaseRequest.owned(SIZE, "none"));
      assertThat(l.tryConvert(r(0, P), PageState.SHARED)).isFalse();
      assertThat(l.rangeCount()).isEqualTo(1);
      l.convert(r(0, P), PageState.SHARED);
      assertThat(l.stateAt(0)).isEqualTo(PageState.SHARED);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void snapshots_areLeftToConvert_andStillHappenWhenEveryRequestTriesFirst(String backend) throws Exception {
    try (MemoryEngine e = Backends.open(dir, backend)) {
      Lease l = e.openLease(LeaseRequest.owned(SIZE, "none"));
      int declined = 0;
      PageState to = PageState.SHARED;
      for (int i = 0; i < EngineLease.SNAPSHOT_EVERY + 16; i++) {
        if (!l.tryConvert(r(0, P), to)) {
          declined++;
          l.convert(r(0, P), to);
        }
        to = to == PageState.SHARED ? PageState.PRIVATE : PageState.SHARED;
      }
      // one snapshot was due, and declined once; WAL checkpoints are the journal's ingester's
      // (records go to the record log), so they no longer make a conversion wait
      assertThat(declined).isEqualTo(1);
      assertThat(e.journal().snapshot(l.id())).hasValueSatisfying(s -> assertThat(s.uptoSeq()).isGreaterThan(EngineLease.SNAPSHOT_EVERY));
      assertThat(l.stateAt(0)).isEqualTo(PageState.PRIVATE);
    }
  }
}
