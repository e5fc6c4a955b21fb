package io.guestmem.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class PageStateMapTest {
  private static final long P = PageStateMap.PAGE_SIZE;
  private static final long MIB2 = 2L << 20;

  @Test
  void newMap_isOneRangeAllPrivateNothingAllocated() {
    PageStateMap m = new PageStateMap(16 * P);
    assertThat(m.rangeCount()).isEqualTo(1);
    assertThat(m.ranges()).containsExactly(new StateRange(new ByteRange(0, 16 * P), PageState.PRIVATE, false));
    assertThat(m.allocatedPrivateBytes()).isZero();
    assertThat(m.allocatedSharedBytes()).isZero();
  }

  @Test
  void settingTheMiddle_splitsIntoThree_andSettingItBack_mergesIntoOne() {
    PageStateMap m = new PageStateMap(16 * P);
    m.set(4 * P, 8 * P, PageState.SHARED, false);
    assertThat(m.ranges()).containsExactly(
        new StateRange(new ByteRange(0, 4 * P), PageState.PRIVATE, false),
        new StateRange(new ByteRange(4 * P, 4 * P), PageState.SHARED, false),
        new StateRange(new ByteRange(8 * P, 8 * P), PageState.PRIVATE, false));
    m.set(4 * P, 8 * P, PageState.PRIVATE, false);
    assertThat(m.rangeCount()).isEqualTo(1);
  }

  @Test
  void adjacentEqualRanges_areCoalesced_acrossTheWindowEdges() {
    PageStateMap m = new PageStateMap(16 * P);
    m.set(0, 4 * P, PageState.SHARED, false);
    m.set(8 * P, 12 * P, PageState.SHARED, false);
    m.set(4 * P, 8 * P, PageState.SHARED, false);
    assertThat(m.ranges()).containsExactly(
        new StateRange(new ByteRange(0, 12 * P), PageState.SHARED, false),
        new StateRange(new ByteRange(12 * P, 4 * P), PageState.PRIVATE, false));
  }

  @Test
  void allocatedBytes_areCountedOnTheSideOfTheCurrentStateOnly() {
    PageStateMap m = new PageStateMap(16 * P);
    m.set(0, 4 * P, PageState.PRIVATE, true);
    m.set(4 * P, 6 * P, PageState.SHARED, true);
    assertThat(m.allocatedPrivateBytes()).isEqualTo(4 * P);
    assertThat(m.allocatedSharedBytes()).isEqualTo(2 * P);
    m.assign(0, 16 * P, EngineLease.toState(PageState.SHARED));
    assertThat(m.allocatedPrivateBytes()).isZero();
    assertThat(m.allocatedSharedBytes()).isEqualTo(2 * P);
  }

  @Test
  void badWindows_areRefused() {
    PageStateMap m = new PageStateMap(16 * P);
    assertThatThrownBy(() -> m.set(1, P, PageState.SHARED, false)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> m.set(0, 17 * P, PageState.SHARED, false)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> m.set(P, P, PageState.SHARED, false)).isInstanceOf(IllegalArgumentException.class);
    assertThat(m.rangeCount()).isEqualTo(1);
  }

  @Test
  void snapshot_roundTrips_andCorruptSnapshots_areRefusedWithTheirOffset() {
    PageStateMap m = new PageStateMap(64 * P);
    m.set(3 * P, 9 * P, PageState.SHARED, true);
    m.set(20 * P, 21 * P, PageState.PRIVATE, true);
    byte[] snap = m.toSnapshot();
    assertThat(PageStateMap.fromSnapshot(64 * P, snap)).isEqualTo(m);
    byte[] bad = snap.clone();
    bad[4 + 9 + 7] = 1; // second range's start no longer page-aligned
    assertThatThrownBy(() -> PageStateMap.fromSnapshot(64 * P, bad))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("range 1 at offset 13");
    assertThatThrownBy(() -> PageStateMap.fromSnapshot(64 * P, new byte[3])).isInstanceOf(IllegalArgumentException.class);
  }

  /**
   * The bound: a 1 TiB lease with 262,144 alternating 2 MiB ranges must fit in a few tens
   * of MiB. Here 262,144 SHARED 2 MiB ranges alternate with PRIVATE ones over the first half, and
   * then the whole second half alternates too: 524,288 ranges in all, the strictest reading. Measured structurally from the map's arrays (their capacity, element sizes and
   * headers), not by timing or by the GC.
   */
  @Test
  void oneTebibyteWith262144Alternating2MiBRanges_fitsInAFewMiB() {
    long size = 1L << 40;
    PageStateMap m = new PageStateMap(size);
    for (long off = MIB2; off < size; off += 2 * MIB2) {
      m.set(off, off + MIB2, PageState.SHARED, false);
    }
    assertThat(m.rangeCount()).isEqualTo(524_288);
    assertThat(m.bytesMatching(0, size, PageStateMap.SHARED_BIT, PageStateMap.SHARED_BIT)).isEqualTo(262_144L * MIB2);
    assertThat(m.ranges(0, 4 * MIB2)).extracting(StateRange::state)
        .containsExactly(PageState.PRIVATE, PageState.SHARED, PageState.PRIVATE, PageState.SHARED);
    // Structure: one long (start) and one byte (value) per slot; two array headers (24 each); the
    // object (16-byte header, long size, two references, three ints for count and gap, two long counters = 60).
    long structural = 8L * m.capacity() + m.capacity() + 2 * 24 + 60;
    assertThat(m.retainedBytes()).isEqualTo(structural);
    double bytesPerRange = (double) m.retainedBytes() / m.rangeCount();
    assertThat(bytesPerRange).isLessThanOrEqualTo(32.0);
    assertThat(m.retainedBytes()).isLessThan(16L << 20);
    System.out.printf("PageStateMap 1 TiB / %d ranges: %d bytes retained, %.2f bytes per range%n",
        m.rangeCount(), m.retainedBytes(), bytesPerRange);
  }

  @Test
  void rangesQuery_clipsToTheWindow() {
    PageStateMap m = new PageStateMap(16 * P);
    m.set(4 * P, 8 * P, PageState.SHARED, false);
    List<StateRange> r = m.ranges(6 * P, 10 * P);
    assertThat(r).containsExactly(
        new StateRange(new ByteRange(6 * P, 2 * P), PageState.SHARED, false),
        new StateRange(new ByteRange(8 * P, 2 * P), PageState.PRIVATE, false));
  }
}
