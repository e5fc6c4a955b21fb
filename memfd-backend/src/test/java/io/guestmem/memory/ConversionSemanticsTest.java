package io.guestmem.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guestmem.memory.MemoryException.Reason;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Conversion, allocation and discard semantics, identical on every backend. */
class ConversionSemanticsTest {
  private static final long P = 4096;
  private static final long SIZE = 64 * P;

  @TempDir Path dir;

  static java.util.stream.Stream<String> backends() {
    return Backends.all();
  }

  private static List<ByteRange> r(long off, long len) {
    return List.of(new ByteRange(off, len));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void newLease_isAllPrivate_andNothingIsAllocated(String backend) throws Exception {
    try (MemoryEngine e = Backends.open(dir, backend)) {
      Lease l = e.openLease(LeaseRequest.owned(SIZE, "none"));
      LeaseInfo i = l.info();
      assertThat(i.status()).isEqualTo(LeaseStatus.OPEN);
      assertThat(i.backend()).isEqualTo(backend);
      assertThat(i.ranges()).containsExactly(new StateRange(new ByteRange(0, SIZE), PageState.PRIVATE, false));
      assertThat(i.allocatedPrivateBytes() + i.allocatedSharedBytes()).isZero();
      assertThat(l.stateAt(SIZE - P)).isEqualTo(PageState.PRIVATE);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void sharedDataWritten_isZeroAfterARoundTripThroughPrivate(String backend) throws Exception {
    try (MemoryEngine e = Backends.open(dir, backend)) {
      Lease l = e.openLease(LeaseRequest.owned(SIZE, "tdx"));
      l.convert(r(4 * P, 4 * P), PageState.SHARED);
      byte[] pattern = new byte[(int) (4 * P)];
      Arrays.fill(pattern, (byte) 0xaa);
      try (HostMapping m = l.mapShared(new ByteRange(4 * P, 4 * P))) {
        m.write(4 * P, pattern);
      }
      l.convert(r(5 * P, P), PageState.PRIVATE);
      l.convert(r(5 * P, P), PageState.SHARED);
      try (HostMapping m = l.mapShared(new ByteRange(4 * P, 4 * P))) {
        byte[] page = new byte[(int) P];
        m.read(5 * P, page);
        assertThat(page).containsOnly(0);
        m.read(4 * P, page);
        assertThat(page).containsOnly((byte) 0xaa);
        m.read(6 * P, page);
        assertThat(page).containsOnly((byte) 0xaa);
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void allocatingTwice_countsEachPageOnce_onTheSideOfItsState(String backend) throws Exception {
    try (MemoryEngine e = Backends.open(dir, backend)) {
      Lease l = e.openLease(LeaseRequest.owned(SIZE, "snp"));
      l.convert(r(8 * P, 8 * P), PageState.SHARED);
      l.allocate(r(0, 16 * P));
      l.allocate(r(4 * P, 8 * P));
      LeaseInfo i = l.info();
      assertThat(i.allocatedPrivateBytes()).isEqualTo(8 * P);
      assertThat(i.allocatedSharedBytes()).isEqualTo(8 * P);
      assertThat(e.allocatedBytes()).isEqualTo(16 * P);
      // Converting frees the old side: nothing is counted on both.
      l.convert(r(0, 16 * P), PageState.SHARED);
      i = l.info();
      assertThat(i.allocatedPrivateBytes()).isZero();
      assertThat(i.allocatedSharedBytes()).isEqualTo(8 * P);
      l.discard(r(8 * P, 8 * P));
      assertThat(l.info().allocatedSharedBytes()).isZero();
      assertThat(e.allocatedBytes()).isZero();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void aBatch_isOneRequest_andIsAllOrNothing(String backend) throws Exception {
    try (MemoryEngine e = Backends.open(dir, backend)) {
      Lease l = e.openLease(LeaseRequest.owned(SIZE, "none"));
      List<MemoryEvent> events = new ArrayList<>();
      e.addListener(events::add);
      l.convert(List.of(new ByteRange(0, P), new ByteRange(10 * P, 2 * P)), PageState.SHARED);
      assertThat(events).hasSize(1);
      LeaseInfo before = l.info();
      // second range out of bounds: nothing converted
      assertThatThrownBy(() -> l.convert(List.of(new ByteRange(20 * P, P), new ByteRange(SIZE, P)), PageState.SHARED))
          .isInstanceOfSatisfying(MemoryException.class, x -> assertThat(x.reason()).isEqualTo(Reason.OUT_OF_RANGE));
      assertThat(l.info()).isEqualTo(before);
      // second range busy (mapped for host I/O): nothing converted, the first range included
      try (HostMapping m = l.mapShared(new ByteRange(10 * P, P))) {
        assertThatThrownBy(() -> l.convert(List.of(new ByteRange(0, P), new ByteRange(11 * P - P, P)), PageState.PRIVATE))
            .isInstanceOfSatisfying(MemoryException.class, x -> {
              assertThat(x.reason()).isEqualTo(Reason.RANGE_BUSY);
              assertThat(x.getMessage()).contains(new ByteRange(10 * P, P).toString());
            });
        assertThat(l.info()).isEqualTo(before);
        assertThat(l.stateAt(0)).isEqualTo(PageState.SHARED);
        // a range that does not touch the mapping still converts
        l.convert(r(11 * P, P), PageState.PRIVATE);
      }
      l.convert(r(10 * P, P), PageState.PRIVATE);
      assertThat(l.stateAt(10 * P)).isEqualTo(PageState.PRIVATE);
      assertThat(events).hasSize(3);
      assertThat(events).extracting(MemoryEvent::seq).isSorted();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void discard_ofAMappedRange_isBusy_andMappingAPrivateRange_isRefused(String backend) throws Exception {
    try (MemoryEngine e = Backends.open(dir, backend)) {
      Lease l = e.openLease(LeaseRequest.owned(SIZE, "none"));
      assertThatThrownBy(() -> l.mapShared(new ByteRange(0, P)))
          .isInstanceOfSatisfying(MemoryException.class, x -> assertThat(x.reason()).isEqualTo(Reason.RANGE_NOT_SHARED));
      l.convert(r(0, 2 * P), PageState.SHARED);
      HostMapping m = l.mapShared(new ByteRange(0, 2 * P));
      assertThatThrownBy(() -> l.discard(r(P, P)))
          .isInstanceOfSatisfying(MemoryException.class, x -> assertThat(x.reason()).isEqualTo(Reason.RANGE_BUSY));
      assertThatThrownBy(l::release)
          .isInstanceOfSatisfying(MemoryException.class, x -> assertThat(x.reason()).isEqualTo(Reason.RANGE_BUSY));
      assertThatThrownBy(() -> m.read(Long.MAX_VALUE - 1, new byte[8])).isInstanceOf(IndexOutOfBoundsException.class);
      assertThatThrownBy(() -> m.write(2 * P - 1, new byte[2])).isInstanceOf(IndexOutOfBoundsException.class);
      assertThatThrownBy(() -> m.read(-1, new byte[1])).isInstanceOf(IndexOutOfBoundsException.class);
      m.close();
      assertThatThrownBy(() -> m.read(0, new byte[1])).isInstanceOf(IllegalStateException.class);
      l.discard(r(P, P));
      l.release();
    }
  }

  /** Every kind of bad input: a precise reason, and the lease exactly as before. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void badInput_getsItsReason_andChangesNothing(String backend) throws Exception {
    try (MemoryEngine e = Backends.open(dir, backend)) {
      Lease l = e.openLease(LeaseRequest.owned(SIZE, "none"));
      l.convert(r(0, 4 * P), PageState.SHARED);
      LeaseInfo before = l.info();
      AtomicInteger events = new AtomicInteger();
      e.addListener(ev -> events.incrementAndGet());
      expect(Reason.UNALIGNED, () -> l.convert(r(1, P), PageState.SHARED));
      expect(Reason.UNALIGNED, () -> l.convert(r(P, P + 1), PageState.SHARED));
      expect(Reason.INVALID_ARGUMENT, () -> l.convert(r(P, 0), PageState.SHARED));
      expect(Reason.INVALID_ARGUMENT, () -> l.convert(List.of(), PageState.SHARED));
      expect(Reason.INVALID_ARGUMENT, () -> l.convert(r(P, P), null));
      expect(Reason.INVALID_ARGUMENT, () -> l.convert(List.of(new ByteRange(0, 2 * P), new ByteRange(P, P)), PageState.PRIVATE));
      expect(Reason.OUT_OF_RANGE, () -> l.convert(r(SIZE - P, 2 * P), PageState.SHARED));
      expect(Reason.OUT_OF_RANGE, () -> l.convert(r(SIZE, P), PageState.SHARED));
      expect(Reason.OUT_OF_RANGE, () -> l.convert(r(0, 1L << 62), PageState.SHARED));
      expect(Reason.OUT_OF_RANGE, () -> l.stateAt(SIZE));
      expect(Reason.UNALIGNED, () -> l.allocate(r(P / 2, P)));
      expect(Reason.OUT_OF_RANGE, () -> l.discard(r(0, SIZE + P)));
      assertThat(l.info()).isEqualTo(before);
      assertThat(events.get()).isZero();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void quotas_areCheckedBeforeAllocating(String backend) throws Exception {
    Backends.assume(backend);
    EngineConfig cfg = EngineConfig.of(dir, backend).withQuotas(new Quotas(SIZE, 8 * P, 12 * P, 2));
    try (MemoryEngine e = MemoryEngine.open(cfg)) {
      Lease a = e.openLease(LeaseRequest.owned(SIZE, "none"));
      Lease b = e.openLease(LeaseRequest.owned(SIZE, "none"));
      expect(Reason.QUOTA_EXCEEDED, () -> e.openLease(LeaseRequest.owned(SIZE, "none")));
      expect(Reason.QUOTA_EXCEEDED, () -> e.openLease(LeaseRequest.owned(2 * SIZE, "none")));
      a.allocate(r(0, 8 * P));
      expect(Reason.QUOTA_EXCEEDED, () -> a.allocate(r(8 * P, P)));
      a.allocate(r(0, 8 * P)); // already allocated: costs nothing
      b.allocate(r(0, 4 * P));
      expect(Reason.QUOTA_EXCEEDED, () -> b.allocate(r(4 * P, P)));
      assertThat(b.info().allocatedPrivateBytes()).isEqualTo(4 * P);
      assertThat(e.allocatedBytes()).isEqualTo(12 * P);
      a.release();
      b.allocate(r(4 * P, 4 * P));
      assertThat(e.allocatedBytes()).isEqualTo(8 * P);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void aReleasedLease_refusesEverything_withLeaseClosed(String backend) throws Exception {
    try (MemoryEngine e = Backends.open(dir, backend)) {
      Lease l = e.openLease(LeaseRequest.owned(SIZE, "none"));
      l.allocate(r(0, P));
      l.release();
      assertThat(l.info().status()).isEqualTo(LeaseStatus.CLOSED);
      assertThat(l.privateFd()).isEmpty();
      assertThat(l.sharedFd()).isEmpty();
      expect(Reason.LEASE_CLOSED, () -> l.convert(r(0, P), PageState.SHARED));
      expect(Reason.LEASE_CLOSED, () -> l.allocate(r(0, P)));
      expect(Reason.LEASE_CLOSED, () -> l.discard(r(0, P)));
      expect(Reason.LEASE_CLOSED, () -> l.mapShared(new ByteRange(0, P)));
      expect(Reason.LEASE_CLOSED, l::release);
      expect(Reason.LEASE_CLOSED, () -> e.convert(l.id(), r(0, P), PageState.SHARED));
      expect(Reason.LEASE_NOT_FOUND, () -> e.lease("lease-nope"));
      assertThat(e.allocatedBytes()).isZero();
    }
  }

  /**
   * A released lease is dropped from memory (a service releases leases without end): the engine
   * no longer holds it, and answers for it from the journal — CLOSED with no ranges, LEASE_CLOSED
   * for anything else — the same in the run that released it as after a restart.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void releasedLeases_areNotHeld_andAreDescribedFromTheJournal(String backend) throws Exception {
    String id;
    try (MemoryEngine e = Backends.open(dir, backend)) {
      Lease keep = e.openLease(LeaseRequest.owned(SIZE, "none"));
      for (int i = 0; i < 200; i++) {
        Lease l = e.openLease(LeaseRequest.owned(SIZE, "none"));
        l.convert(r(0, P), PageState.SHARED);
        l.release();
      }
      Lease last = e.openLease(LeaseRequest.owned(SIZE, "none"));
      id = last.id();
      last.release();
      assertThat(e.leases()).extracting(LeaseInfo::id).containsExactly(keep.id());
      assertThat(e.heldLease(id)).isEmpty();
      LeaseInfo closed = e.info(id);
      assertThat(closed.status()).isEqualTo(LeaseStatus.CLOSED);
      assertThat(closed.size()).isEqualTo(SIZE);
      assertThat(closed.owner()).isEqualTo(Owner.self());
      assertThat(closed.ranges()).isEmpty();
      assertThat(closed.allocatedPrivateBytes() + closed.allocatedSharedBytes()).isZero();
      expect(Reason.LEASE_CLOSED, () -> e.lease(id));
      expect(Reason.LEASE_CLOSED, () -> e.closeLease(id));
      expect(Reason.LEASE_NOT_FOUND, () -> e.info("lease-nope"));
    }
    try (MemoryEngine e = Backends.open(dir, backend)) {
      assertThat(e.info(id).status()).isEqualTo(LeaseStatus.CLOSED);
      expect(Reason.LEASE_CLOSED, () -> e.convert(id, r(0, P), PageState.SHARED));
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void leaseRequests_areValidated(String backend) throws Exception {
    try (MemoryEngine e = Backends.open(dir, backend)) {
      expect(Reason.INVALID_ARGUMENT, () -> e.openLease(LeaseRequest.owned(0, "none")));
      expect(Reason.UNALIGNED, () -> e.openLease(LeaseRequest.owned(P + 1, "none")));
      expect(Reason.QUOTA_EXCEEDED, () -> e.openLease(LeaseRequest.owned(Long.MAX_VALUE - 4095, "none")));
      expect(Reason.INVALID_ARGUMENT, () -> e.openLease(LeaseRequest.owned(P, "Bad Label!")));
      expect(Reason.NOT_OWNER, () -> e.lease(e.openLease(LeaseRequest.owned(P, "none")).id(), Owner.self().uid() + 1));
      if (!backend.equals("kvm")) {
        expect(Reason.UNSUPPORTED, () -> e.openLease(new LeaseRequest(P, LeaseMode.ATTACHED, Owner.self(), "none")));
      }
      assertThat(e.leases()).hasSize(1);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("backends")
  void pagingThroughTheMap_visitsEveryRangeOnce(String backend) throws Exception {
    try (MemoryEngine e = Backends.open(dir, backend)) {
      Lease l = e.openLease(LeaseRequest.owned(SIZE, "none"));
      List<ByteRange> odd = new ArrayList<>();
      for (long page = 1; page < 64; page += 2) {
        odd.add(new ByteRange(page * P, P));
      }
      l.convert(odd, PageState.SHARED);
      assertThat(l.rangeCount()).isEqualTo(64);
      List<StateRange> all = new ArrayList<>();
      long from = 0;
      List<StateRange> page;
      while (!(page = l.rangePage(from, 10)).isEmpty()) {
        assertThat(page).hasSizeLessThanOrEqualTo(10);
        all.addAll(page);
        from = page.get(page.size() - 1).range().end();
      }
      assertThat(all).isEqualTo(l.info().ranges());
      assertThat(l.rangePage(3 * P + 100, 1)).containsExactly(new StateRange(new ByteRange(3 * P + 100, P - 100), PageState.SHARED, false));
      expect(Reason.INVALID_ARGUMENT, () -> l.rangePage(-1, 10));
      expect(Reason.INVALID_ARGUMENT, () -> l.rangePage(0, 0));
    }
  }

  interface Call {
    void run() throws Exception;
  }

  static void expect(Reason reason, Call c) {
    assertThatThrownBy(c::run).isInstanceOfSatisfying(MemoryException.class, x -> assertThat(x.reason()).isEqualTo(reason));
  }
}
