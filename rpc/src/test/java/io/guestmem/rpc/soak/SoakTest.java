package io.guestmem.rpc.soak;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.guestmem.memory.HostProbe;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.server.GuestmemServer;
import io.guestmem.rpc.v1.AttestationGrpc;
import io.guestmem.rpc.v1.ByteRange;
import io.guestmem.rpc.v1.CloseLeaseRequest;
import io.guestmem.rpc.v1.Collateral;
import io.guestmem.rpc.v1.ConvertRequest;
import io.guestmem.rpc.v1.EmulateResponse;
import io.guestmem.rpc.v1.EmulateSnpRequest;
import io.guestmem.rpc.v1.Evidence;
import io.guestmem.rpc.v1.GetLeaseRequest;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.LeaseMode;
import io.guestmem.rpc.v1.OpenLeaseRequest;
import io.guestmem.rpc.v1.PageState;
import io.guestmem.rpc.v1.TeeKind;
import io.guestmem.rpc.v1.VerifyRequest;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bounded soak of the running service over its unix socket: 64 concurrent clients, each a
 * closed loop mixing conversions on its own lease (~70 %), page-map reads (~20 %), evidence
 * verifications (~10 %), and lease churn (close and reopen every 200 operations). Every call must
 * succeed (each client owns its lease, so no refusal is expected); open fds must come back to
 * where they started once the clients are gone, and the heap after GC must not grow. Duration:
 * {@code -Dguestmem.soak.seconds} (60 in CI; the documented long form is 600). Prints latency
 * percentiles per operation and the fd/heap samples for docs/RELIABILITY.md.
 */
class SoakTest {
  private static final int CLIENTS = 64;
  private static final int PAGE = 4096;
  private static final long LEASE = 256L * PAGE;
  @TempDir Path tmp;

  private static long openFds() throws Exception {
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }

  private static long heapAfterGc() throws InterruptedException {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  @Test
  void sixtyFourClientsMixingConversionsLeaseChurnAndVerifications() throws Exception {
    long seconds = Long.getLong("guestmem.soak.seconds", 60);
    Path state = tmp.resolve("state");
    GuestmemServer server = new GuestmemServer(GuestmemServer.Options.defaults(state).withoutTcp()
        .withBackend(HostProbe.probe().defaultBackend()).withMetrics("127.0.0.1", -1));
    server.start();
    Map<String, Latencies> latencies = new ConcurrentHashMap<>();
    AtomicLong errors = new AtomicLong();
    List<String> firstErrors = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<long[]> samples = new ArrayList<>();
    long fdsBefore;
    long heapBefore;
    try (ServiceClient client = ServiceClient.connect(state)) {
      GuestMemoryGrpc.GuestMemoryBlockingStub blocking = GuestMemoryGrpc.newBlockingStub(client.channel()).withDeadlineAfter(120, TimeUnit.SECONDS);
      // one emulated SNP report and its certificates to verify over and over
      String emuLease = blocking.openLease(OpenLeaseRequest.newBuilder().setSizeBytes(4 << 20).setMode(LeaseMode.LEASE_MODE_OWNED)
          .setTeeKind(TeeKind.TEE_KIND_SNP).build()).getLease().getLeaseId();
      EmulateResponse emu = AttestationGrpc.newBlockingStub(client.channel()).withDeadlineAfter(120, TimeUnit.SECONDS)
          .emulateSnp(EmulateSnpRequest.newBuilder().setLeaseId(emuLease).setSeed(1).build());
      Collateral.Builder coll = Collateral.newBuilder();
      emu.getFilesMap().forEach((name, bytes) -> {
        if (name.startsWith("kds/vcek/") && !name.endsWith("/crl")) {
          coll.addCertificates(bytes);
        }
      });
      VerifyRequest verify = VerifyRequest.newBuilder().setEvidence(Evidence.newBuilder().setData(emu.getEvidence())).setCollateral(coll).build();
      blocking.closeLease(CloseLeaseRequest.newBuilder().setLeaseId(emuLease).build());

      fdsBefore = openFds();
      heapBefore = heapAfterGc();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      GuestMemoryGrpc.GuestMemoryStub memory = GuestMemoryGrpc.newStub(client.channel());
      AttestationGrpc.AttestationStub attestation = AttestationGrpc.newStub(client.channel());
      CountDownLatch done = new CountDownLatch(CLIENTS);
      for (int c = 0; c < CLIENTS; c++) {
        new Client(memory, attestation, verify, deadline, latencies, errors, firstErrors, done).openThenLoop();
      }
      long start = System.nanoTime();
      while (!done.await(5, TimeUnit.SECONDS)) {
        samples.add(new long[] {(System.nanoTime() - start) / 1_000_000_000L, openFds(),
            ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() >> 20});
      }
    } finally {
      server.shutdown(5);
    }
    long fdsAfter = openFds();
    long heapAfter = heapAfterGc();

    System.out.printf(Locale.ROOT, "soak: %d s, %d clients, errors %d%n", seconds, CLIENTS, errors.get());
    for (String op : List.of("convert", "getLease", "verify", "open", "close")) {
      Latencies l = latencies.get(op);
      if (l != null && l.count() > 0) {
        System.out.printf(Locale.ROOT, "  %-9s n=%-8d p50=%6d µs  p99=%7d µs  p99.9=%8d µs  max=%8d µs%n", op, l.count(),
            l.percentile(.5) / 1000, l.percentile(.99) / 1000, l.percentile(.999) / 1000, l.max() / 1000);
      }
    }
    for (long[] s : samples) {
      System.out.printf(Locale.ROOT, "  t=%3d s  fds=%d  heap=%d MiB%n", s[0], s[1], s[2]);
    }
    System.out.printf(Locale.ROOT, "  fds before %d after %d; heap after GC before %d MiB after %d MiB%n",
        fdsBefore, fdsAfter, heapBefore >> 20, heapAfter >> 20);

    assertThat(errors.get()).as("unexpected errors, first ones: %s", firstErrors).isZero();
    assertThat(latencies.get("convert").count()).isPositive();
    assertThat(latencies.get("verify").count()).isPositive();
    assertThat(latencies.get("open").count()).as("lease churn happened").isGreaterThan(CLIENTS);
    // everything the clients opened is closed again: no fd is left behind (the server is stopped)
    assertThat(fdsAfter).as("open fds after the soak").isLessThanOrEqualTo(fdsBefore + 8);
    assertThat(heapAfter).as("heap after GC").isLessThan(heapBefore + (96L << 20));
  }

  /**
   * Latencies of one operation in constant memory (the heap check must see the service, not the
   * load generator's records): log-linear buckets, 64 per power of two (within 1.6 % of the value),
   * from 1 ns to 2^63 ns; percentiles report a bucket's upper bound.
   */
  static final class Latencies {
    private static final int SUB = 64;
    private final java.util.concurrent.atomic.AtomicLongArray counts = new java.util.concurrent.atomic.AtomicLongArray(64 * SUB);
    private final AtomicLong total = new AtomicLong();
    private final AtomicLong max = new AtomicLong();

    static int bucket(long nanos) {
      long v = Math.max(1, nanos);
      int exp = 63 - Long.numberOfLeadingZeros(v);
      int sub = exp < 6 ? (int) (v << (6 - exp)) & (SUB - 1) : (int) (v >>> (exp - 6)) & (SUB - 1);
      return exp * SUB + sub;
    }

    static long upperBound(int bucket) {
      int exp = bucket / SUB;
      int sub = bucket % SUB;
      // below 64 ns every value has its own bucket; above, a bucket spans 2^(exp-6) values
      return exp < 6 ? (long) (SUB + sub) >>> (6 - exp) : ((long) (SUB + sub + 1) << (exp - 6)) - 1;
    }

    void record(long nanos) {
      counts.incrementAndGet(bucket(nanos));
      total.incrementAndGet();
      max.accumulateAndGet(nanos, Math::max);
    }

    long count() {
      return total.get();
    }

    long max() {
      return max.get();
    }

    long percentile(double q) {
      long rank = Math.max(1, (long) Math.ceil(q * total.get()));
      long seen = 0;
      for (int i = 0; i < counts.length(); i++) {
        seen += counts.get(i);
        if (seen >= rank) {
          return Math.min(upperBound(i), max.get());
        }
      }
      return max.get();
    }
  }

  /** One client: a closed loop of asynchronous calls until the deadline, then it closes its lease. */
  private static final class Client {
    private final GuestMemoryGrpc.GuestMemoryStub memory;
    private final AttestationGrpc.AttestationStub attestation;
    private final VerifyRequest verify;
    private final long deadline;
    private final Map<String, Latencies> latencies;
    private final AtomicLong errors;
    private final List<String> firstErrors;
    private final CountDownLatch done;
    private String lease;
    private int ops;
    private final PageState[] pages = new PageState[(int) (LEASE / PAGE)];

    Client(GuestMemoryGrpc.GuestMemoryStub memory, AttestationGrpc.AttestationStub attestation, VerifyRequest verify, long deadline,
           Map<String, Latencies> latencies, AtomicLong errors, List<String> firstErrors, CountDownLatch done) {
      this.memory = memory;
      this.attestation = attestation;
      this.verify = verify;
      this.deadline = deadline;
      this.latencies = latencies;
      this.errors = errors;
      this.firstErrors = firstErrors;
      this.done = done;
    }

    private <T> StreamObserver<T> timed(String op, java.util.function.Consumer<T> then) {
      long t0 = System.nanoTime();
      return new StreamObserver<>() {
        T value;

        @Override public void onNext(T v) {
          value = v;
        }

        @Override public void onError(Throwable t) {
          errors.incrementAndGet();
          if (firstErrors.size() < 5) {
            firstErrors.add(op + ": " + t);
          }
          done.countDown();
        }

        @Override public void onCompleted() {
          latencies.computeIfAbsent(op, k -> new Latencies()).record(System.nanoTime() - t0);
          then.accept(value);
        }
      };
    }

    void openThenLoop() {
      Arrays.fill(pages, PageState.PAGE_STATE_PRIVATE);
      memory.openLease(OpenLeaseRequest.newBuilder().setSizeBytes(LEASE).setMode(LeaseMode.LEASE_MODE_OWNED)
          .setTeeKind(TeeKind.TEE_KIND_NONE).build(), timed("open", r -> {
            lease = r.getLease().getLeaseId();
            next();
          }));
    }

    void next() {
      if (System.nanoTime() > deadline) {
        memory.closeLease(CloseLeaseRequest.newBuilder().setLeaseId(lease).build(), timed("close", r -> done.countDown()));
        return;
      }
      ops++;
      if (ops % 200 == 0) {
        memory.closeLease(CloseLeaseRequest.newBuilder().setLeaseId(lease).build(), timed("close", r -> openThenLoop()));
        return;
      }
      int dice = ThreadLocalRandom.current().nextInt(100);
      if (dice < 70) {
        int p = ThreadLocalRandom.current().nextInt(pages.length);
        PageState to = pages[p] == PageState.PAGE_STATE_PRIVATE ? PageState.PAGE_STATE_SHARED : PageState.PAGE_STATE_PRIVATE;
        memory.convert(ConvertRequest.newBuilder().setLeaseId(lease).setTo(to)
            .addRanges(ByteRange.newBuilder().setOffset((long) p * PAGE).setLength(PAGE)).build(), timed("convert", r -> {
              pages[p] = to;
              next();
            }));
      } else if (dice < 90) {
        memory.getLease(GetLeaseRequest.newBuilder().setLeaseId(lease).build(), timed("getLease", r -> next()));
      } else {
        attestation.verify(verify, timed("verify", r -> next()));
      }
    }
  }
}
