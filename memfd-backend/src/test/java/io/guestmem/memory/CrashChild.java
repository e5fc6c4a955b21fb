package io.guestmem.memory;

import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/**
 * The child JVM of the crash test: opens an engine, opens a lease and performs a deterministic
 * sequence of conversions (tried inline first, as the RPC service does), allocations and discards
 * (from a seed), printing {@code ACK n} after the n-th request returned, until it is killed. Its
 * records go to the journal's record log, so the restart recovers them from there.
 */
public final class CrashChild {
  static final long PAGES = 256;
  static final long P = 4096;

  /** One request of the sequence. */
  record Op(MemoryEvent.Kind kind, PageState to, ByteRange range) {}

  static Op next(Random r) {
    long first = r.nextInt((int) PAGES);
    long len = 1 + r.nextInt((int) (PAGES - first));
    ByteRange range = new ByteRange(first * P, Math.min(len, 32) * P);
    int k = r.nextInt(10);
    if (k < 6) {
      return new Op(MemoryEvent.Kind.CONVERTED, r.nextBoolean() ? PageState.SHARED : PageState.PRIVATE, range);
    }
    return new Op(k < 8 ? MemoryEvent.Kind.ALLOCATED : MemoryEvent.Kind.DISCARDED, null, range);
  }

  static void perform(Lease l, Op op) throws MemoryException {
    switch (op.kind()) {
      case CONVERTED:
        // as the RPC service does: the inline path first, the one that may block when it declines
        if (!l.tryConvert(List.of(op.range()), op.to())) {
          l.convert(List.of(op.range()), op.to());
        }
        break;
      case ALLOCATED:
        l.allocate(List.of(op.range()));
        break;
      default:
        l.discard(List.of(op.range()));
    }
  }

  /** The page-state map after the first {@code n} requests of {@code seed}: the reference model. */
  static PageStateMap model(long seed, int n) {
    PageStateMap m = new PageStateMap(PAGES * P);
    Random r = new Random(seed);
    for (int i = 0; i < n; i++) {
      Op op = next(r);
      java.util.function.IntUnaryOperator f = op.kind() == MemoryEvent.Kind.CONVERTED ? EngineLease.toState(op.to())
          : op.kind() == MemoryEvent.Kind.ALLOCATED ? EngineLease.MARK_ALLOCATED : EngineLease.MARK_DISCARDED;
      m.assign(op.range().offset(), op.range().end(), f);
    }
    return m;
  }

  public static void main(String[] args) throws Exception {
    Path state = Path.of(args[0]);
    String backend = args[1];
    long seed = Long.parseLong(args[2]);
    try (MemoryEngine e = MemoryEngine.open(EngineConfig.of(state, backend))) {
      Lease l = e.openLease(LeaseRequest.owned(PAGES * P, "none"));
      System.out.println("LEASE " + l.id());
      System.out.flush();
      Random r = new Random(seed);
      for (int n = 1; n <= 100_000; n++) {
        perform(l, next(r));
        System.out.println("ACK " + n);
        System.out.flush();
      }
    }
  }
}
