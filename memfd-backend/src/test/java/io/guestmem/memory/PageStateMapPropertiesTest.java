package io.guestmem.memory;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.function.IntUnaryOperator;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The range map against the simplest possible reference: one value per page. */
class PageStateMapPropertiesTest {
  private static final int PAGES = 48;
  private static final long P = PageStateMap.PAGE_SIZE;

  enum Kind { TO_PRIVATE, TO_SHARED, ALLOCATE, DISCARD }

  record Op(Kind kind, int from, int to) {}

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Op> op = Combinators.combine(
        Arbitraries.of(Kind.class), Arbitraries.integers().between(0, PAGES - 1), Arbitraries.integers().between(1, PAGES))
        .as((k, a, len) -> new Op(k, a, Math.min(PAGES, a + len)));
    return op.list().ofMinSize(1).ofMaxSize(60);
  }

  private static IntUnaryOperator f(Kind k) {
    switch (k) {
      case TO_PRIVATE: return EngineLease.toState(PageState.PRIVATE);
      case TO_SHARED: return EngineLease.toState(PageState.SHARED);
      case ALLOCATE: return EngineLease.MARK_ALLOCATED;
      default: return EngineLease.MARK_DISCARDED;
    }
  }

  @Property(tries = 300)
  void mapEqualsPerPageModel_andStaysCoalesced(@ForAll("ops") List<Op> ops) {
    PageStateMap m = new PageStateMap(PAGES * P);
    int[] model = new int[PAGES];
    for (Op op : ops) {
      IntUnaryOperator f = f(op.kind());
      m.assign(op.from() * P, op.to() * P, f);
      for (int p = op.from(); p < op.to(); p++) {
        model[p] = f.applyAsInt(model[p]);
      }
      // page by page
      for (int p = 0; p < PAGES; p++) {
        assertThat(PageStateMap.encode(m.stateAt(p * P), m.allocatedAt(p * P))).isEqualTo(model[p]);
      }
      // coalesced: ranges == runs of the model
      int runs = 1;
      for (int p = 1; p < PAGES; p++) {
        if (model[p] != model[p - 1]) {
          runs++;
        }
      }
      assertThat(m.rangeCount()).isEqualTo(runs);
      long allocPriv = 0;
      long allocShared = 0;
      for (int v : model) {
        if (PageStateMap.allocatedOf(v)) {
          if (PageStateMap.stateOf(v) == PageState.SHARED) {
            allocShared += P;
          } else {
            allocPriv += P;
          }
        }
      }
      assertThat(m.allocatedPrivateBytes()).isEqualTo(allocPriv);
      assertThat(m.allocatedSharedBytes()).isEqualTo(allocShared);
    }
    assertThat(PageStateMap.fromSnapshot(PAGES * P, m.toSnapshot())).isEqualTo(m);
  }
}
