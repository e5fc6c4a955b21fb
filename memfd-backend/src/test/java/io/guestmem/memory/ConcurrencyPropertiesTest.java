package io.guestmem.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.memory.MemoryException.Reason;
import io.guestmem.memory.sys.Errno;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Syscalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntUnaryOperator;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

/**
 * Model-based concurrency: several threads issue random conversions, allocations, discards and
 * host I/O mappings on one lease at once (conversions both through {@code convert} and through
 * {@code tryConvert} falling back to {@code convert}). Throughout, a checker thread asserts the invariants
 * "no PRIVATE page is inside a guestmem host mapping" and (kvm) "the private backing cannot be
 * mapped". At the end, the lease's state must equal a single-threaded reference model fed with
 * the acknowledged requests in journal order, and every refused request must have been refused
 * for a reason the interleaving explains (busy or not shared), never anything else.
 */
class ConcurrencyPropertiesTest {
  private static final long P = 4096;
  private static final int PAGES = 64;
  private static final int THREADS = 4;

  /** TRY_*: {@link Lease#tryConvert} first and {@code convert} when it declines, as the RPC service does. */
  enum Kind { TO_SHARED, TO_PRIVATE, TRY_SHARED, TRY_PRIVATE, ALLOCATE, DISCARD, MAP }

  record Op(Kind kind, int first, int pages) {
    ByteRange range() {
      return new ByteRange(first * P, pages * P);
    }
  }

  @Provide
  Arbitrary<List<List<Op>>> scripts() {
    Arbitrary<Op> op = Combinators.combine(Arbitraries.of(Kind.class), Arbitraries.integers().between(0, PAGES - 1),
        Arbitraries.integers().between(1, 16)).as((k, f, n) -> new Op(k, f, Math.min(n, PAGES - f)));
    return op.list().ofMinSize(5).ofMaxSize(30).list().ofSize(THREADS);
  }

  @Provide
  Arbitrary<String> backends() {
    return Arbitraries.of(Stream.of("emulated", "kvm", "secretmem").filter(b -> {
      try {
        Backends.assume(b);
        return true;
      } catch (org.opentest4j.TestAbortedException e) {
        return false;
      }
    }).toArray(String[]::new));
  }

  private record HeldMapping(HostMapping mapping, ByteRange range) {}

  /**
   * Under {@code POWER_LOSS} the journal commits concurrent requests in groups (one fsync each);
   * the model check below then also checks that group commits keep journal order.
   */
  @Property(tries = 16)
  void concurrentRequests_keepTheInvariants_andEndInTheModelsState(@ForAll("scripts") List<List<Op>> scripts,
                                                                   @ForAll("backends") String backend,
                                                                   @ForAll Durability durability) throws Exception {
    Statistics.label("durability").collect(durability);
    Path dir = Files.createTempDirectory("guestmem-concurrency");
    PageState[] expected;
    try {
      try (MemoryEngine e = MemoryEngine.open(EngineConfig.of(dir, backend).withDurability(durability))) {
        Lease lease = e.openLease(LeaseRequest.owned(PAGES * P, "none"));
        ConcurrentLinkedQueue<MemoryEvent> events = new ConcurrentLinkedQueue<>();
        e.addListener(ev -> {
          if (ev.leaseId().equals(lease.id())) {
            events.add(ev);
          }
        });
        Set<HeldMapping> held = ConcurrentHashMap.newKeySet();
        ConcurrentLinkedQueue<Throwable> problems = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        Thread checker = new Thread(() -> {
          while (running.get()) {
            try {
              // Only mappings open for the whole time the snapshot was taken are checked.
              Set<HeldMapping> before = Set.copyOf(held);
              List<StateRange> states = lease.info().ranges();
              for (HeldMapping h : before) {
                if (!held.contains(h)) {
                  continue;
                }
                for (StateRange s : states) {
                  if (s.range().overlaps(h.range()) && s.state() == PageState.PRIVATE) {
                    problems.add(new AssertionError("PRIVATE " + s.range() + " inside host mapping " + h.range()));
                  }
                }
              }
              if (backend.equals("kvm")) {
                int fd = lease.privateFd().orElseThrow();
                try {
                  Syscalls.munmap(Syscalls.mmap(P, Syscalls.PROT_READ, Syscalls.MAP_SHARED, fd, 0), P); // untouched
                  problems.add(new AssertionError("the private guest_memfd became mappable"));
                } catch (ErrnoException x) {
                  if (x.errno() != Errno.ENODEV) {
                    problems.add(new AssertionError("private mmap failed with " + x.errnoName() + ", not ENODEV"));
                  }
                }
              }
            } catch (RuntimeException x) {
              problems.add(x);
            }
          }
        });
        checker.start();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (List<Op> script : scripts) {
          Thread t = new Thread(() -> {
            HeldMapping mine = null;
            try {
              start.await();
              for (Op op : script) {
                try {
                  switch (op.kind()) {
                    case TO_SHARED -> lease.convert(List.of(op.range()), PageState.SHARED);
                    case TO_PRIVATE -> lease.convert(List.of(op.range()), PageState.PRIVATE);
                    case TRY_SHARED, TRY_PRIVATE -> {
                      PageState to = op.kind() == Kind.TRY_SHARED ? PageState.SHARED : PageState.PRIVATE;
                      if (!lease.tryConvert(List.of(op.range()), to)) {
                        lease.convert(List.of(op.range()), to);
                      }
                    }
                    case ALLOCATE -> lease.allocate(List.of(op.range()));
                    case DISCARD -> lease.discard(List.of(op.range()));
                    case MAP -> {
                      if (mine != null) {
                        held.remove(mine);
                        mine.mapping().close();
                        mine = null;
                      } else {
                        HostMapping m = lease.mapShared(op.range());
                        mine = new HeldMapping(m, op.range());
                        held.add(mine);
                        m.write(op.range().offset(), new byte[] {42});
                      }
                    }
                    default -> throw new IllegalStateException();
                  }
                } catch (MemoryException x) {
                  if (x.reason() != Reason.RANGE_BUSY && x.reason() != Reason.RANGE_NOT_SHARED) {
                    problems.add(x);
                  }
                }
              }
            } catch (InterruptedException | RuntimeException x) {
              problems.add(x);
            } finally {
              if (mine != null) {
                held.remove(mine);
                mine.mapping().close();
              }
            }
          });
          workers.add(t);
          t.start();
        }
        start.countDown();
        for (Thread t : workers) {
          t.join();
        }
        running.set(false);
        checker.join();
        assertThat(problems).isEmpty();

        PageStateMap model = new PageStateMap(PAGES * P);
        List<MemoryEvent> ordered = new ArrayList<>(events);
        ordered.sort(Comparator.comparingLong(MemoryEvent::seq));
        for (MemoryEvent ev : ordered) {
          IntUnaryOperator f = switch (ev.kind()) {
            case CONVERTED -> EngineLease.toState(ev.to());
            case ALLOCATED -> EngineLease.MARK_ALLOCATED;
            case DISCARDED -> EngineLease.MARK_DISCARDED;
            default -> v -> v;
          };
          for (ByteRange r : ev.ranges()) {
            model.assign(r.offset(), r.end(), f);
          }
        }
        LeaseInfo info = lease.info();
        assertThat(info.ranges()).isEqualTo(model.ranges());
        assertThat(info.allocatedPrivateBytes()).isEqualTo(model.allocatedPrivateBytes());
        assertThat(info.allocatedSharedBytes()).isEqualTo(model.allocatedSharedBytes());
        assertThat(e.allocatedBytes()).isEqualTo(model.allocatedPrivateBytes() + model.allocatedSharedBytes());
        expected = byPage(model.ranges());
      }
      // the journal alone gives the same page states: a restart recovers exactly the acknowledged requests
      try (MemoryEngine again = MemoryEngine.open(EngineConfig.of(dir, backend).withDurability(durability))) {
        assertThat(again.leases()).hasSize(1);
        assertThat(byPage(again.leases().get(0).ranges())).containsExactly(expected);
      }
    } finally {
      deleteTree(dir);
    }
  }

  private static PageState[] byPage(List<StateRange> ranges) {
    PageState[] out = new PageState[PAGES];
    for (StateRange r : ranges) {
      for (long off = r.range().offset(); off < r.range().end(); off += P) {
        out[(int) (off / P)] = r.state();
      }
    }
    return out;
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
