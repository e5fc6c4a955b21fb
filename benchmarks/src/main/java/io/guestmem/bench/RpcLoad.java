package io.guestmem.bench;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.guestmem.memory.HostProbe;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.server.GuestmemServer;
import io.guestmem.rpc.v1.ByteRange;
import io.guestmem.rpc.v1.ConvertRequest;
import io.guestmem.rpc.v1.ConvertResponse;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.LeaseMode;
import io.guestmem.rpc.v1.OpenLeaseRequest;
import io.guestmem.rpc.v1.PageState;
import io.guestmem.rpc.v1.TeeKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * Load generator for the service over its unix socket: conversion RPCs against a same-run
 * baseline of an empty unary RPC ({@code grpc.health.v1.Health/Check}) on the same transport and
 * server configuration, at 1, 8 and 64 concurrent streams, for both executor configurations.
 * Reports throughput and p50/p99/p99.9 latency, and the ratios to the baseline. A third row per
 * point converts a batch of {@value #BATCH} pages per call (as a guest's bulk conversion would
 * arrive); its ratio is pages per second against the single-page calls' pages per second.
 * The load average is printed with each configuration, since other work on the host moves
 * every figure.
 *
 * <p>Each point runs {@code rounds} rounds of (empty, convert, batch) back to back, so that a
 * burst of other work on the host falls on both sides of a ratio; throughput is the median over
 * rounds, latency percentiles are over all calls of all rounds. Requests are built before the
 * clock starts (the empty call sends a prebuilt default instance too), so the load generator's own
 * message building does not compete with the server for the same cores.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.guestmem.bench.RpcLoad [callsPerPoint] [backend] [rounds]}.
 * Calls are bounded in number and every wait is bounded in time; everything stays on this host.
 */
public final class RpcLoad {
  private static final int PAGE = 4096;
  /** Pages per call in the batch row. */
  static final int BATCH = 64;
  /** Pages each stream owns: its single-page calls use the first two, its batches the first 2 × BATCH. */
  private static final int PAGES_PER_STREAM = 2 * BATCH;
  private static final int MAX_STREAMS = 64;

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    String backend = args.length > 1 ? args[1] : HostProbe.probe().defaultBackend();
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    int[] levels = {1, 8, 64};
    System.out.printf(Locale.ROOT, "guestmem RpcLoad: %d calls per point in %d rounds, backend %s, %d cores%n", calls, rounds, backend,
        Runtime.getRuntime().availableProcessors());
    System.out.printf(Locale.ROOT, "%-8s %-6s %-9s %10s %9s %9s %9s %10s %10s%n",
        "executor", "streams", "call", "calls/s", "p50 µs", "p99 µs", "p99.9 µs", "tput/base", "p50/base");
    System.out.println("(batch64: tput/base is pages/s against the single-page convert row's pages/s; p50/base against the empty call)");
    // a first pass over both configurations warms the JIT for everything; only the second is printed
    for (int pass = 0; pass < 2; pass++) {
      for (boolean direct : new boolean[] {true, false}) {
        measure(direct, backend, pass == 0 ? Math.max(1000, calls / 5) : calls, pass == 0 ? 1 : rounds, levels, pass == 1);
      }
    }
  }

  private static void measure(boolean direct, String backend, int calls, int rounds, int[] levels, boolean print) throws Exception {
    {
      Path state = Files.createTempDirectory("guestmem-load-");
      GuestmemServer server = new GuestmemServer(GuestmemServer.Options.defaults(state).withoutTcp().withBackend(backend)
          .withMetrics("127.0.0.1", -1).withDirectExecutor(direct));
      server.start();
      try (ServiceClient client = ServiceClient.connect(state)) {
        String lease = GuestMemoryGrpc.newBlockingStub(client.channel()).openLease(OpenLeaseRequest.newBuilder()
            .setSizeBytes((long) MAX_STREAMS * PAGES_PER_STREAM * PAGE).setMode(LeaseMode.LEASE_MODE_OWNED).setTeeKind(TeeKind.TEE_KIND_NONE).build())
            .getLease().getLeaseId();
        HealthGrpc.HealthStub health = HealthGrpc.newStub(client.channel());
        GuestMemoryGrpc.GuestMemoryStub memory = GuestMemoryGrpc.newStub(client.channel());
        // warm-up: JIT, connection, journal
        run(client, 1, calls / 4, (i, done) -> health.check(HealthCheckRequest.getDefaultInstance(), observer(done)));
        run(client, 1, calls / 4, convert(memory, lease));
        run(client, 1, calls / 16, convertBatch(memory, lease));
        if (print) {
          System.out.println("# " + (direct ? "direct" : "default") + " executor, load average " + loadAverage());
        }
        for (int streams : levels) {
          List<Result> bases = new ArrayList<>();
          List<Result> convs = new ArrayList<>();
          List<Result> batches = new ArrayList<>();
          int perRound = Math.max(streams, calls / rounds);
          for (int r = 0; r < rounds; r++) {
            bases.add(run(client, streams, perRound, (i, done) -> health.check(HealthCheckRequest.getDefaultInstance(), observer(done))));
            convs.add(run(client, streams, perRound, convert(memory, lease)));
            batches.add(run(client, streams, Math.max(streams, perRound / 8), convertBatch(memory, lease)));
          }
          Result base = Result.combine(bases);
          Result conv = Result.combine(convs);
          Result batch = Result.combine(batches);
          if (print) {
            print(direct, streams, "empty", base, base);
            print(direct, streams, "convert", conv, base);
            System.out.printf(Locale.ROOT, "%-8s %-6d %-9s %10.0f %9d %9d %9d %10.2f %10.2f%n", direct ? "direct" : "default", streams,
                "batch" + BATCH, batch.callsPerSecond(), batch.p50(), batch.p99(), batch.p999(),
                batch.callsPerSecond() * BATCH / conv.callsPerSecond(), (double) batch.p50() / base.p50());
          }
        }
      } finally {
        server.shutdown(2);
      }
    }
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  /**
   * Stream s converts its own two pages, alternating: page 0 to SHARED, page 1 to SHARED, page 0
   * to PRIVATE, page 1 to PRIVATE, and so on (counted per stream, so every call really changes a
   * page's state); streams never contend on a range (they do share the journal).
   */
  private static BiConsumer<Integer, StreamObserverDone> convert(GuestMemoryGrpc.GuestMemoryStub memory, String lease) {
    ConvertRequest[][] requests = new ConvertRequest[MAX_STREAMS][4];
    for (int s = 0; s < MAX_STREAMS; s++) {
      for (int n = 0; n < 4; n++) {
        long page = (long) s * PAGES_PER_STREAM + (n & 1);
        PageState to = ((n >> 1) & 1) == 0 ? PageState.PAGE_STATE_SHARED : PageState.PAGE_STATE_PRIVATE;
        requests[s][n] = ConvertRequest.newBuilder().setLeaseId(lease)
            .addRanges(ByteRange.newBuilder().setOffset(page * PAGE).setLength(PAGE)).setTo(to).build();
      }
    }
    AtomicIntegerArray perStream = new AtomicIntegerArray(MAX_STREAMS);
    return (i, done) -> memory.convert(requests[done.stream][perStream.getAndIncrement(done.stream) & 3], observer(done));
  }

  /** Stream s converts every other page of its own 2 × BATCH pages ({@value #BATCH} ranges per call), alternately to SHARED and PRIVATE. */
  private static BiConsumer<Integer, StreamObserverDone> convertBatch(GuestMemoryGrpc.GuestMemoryStub memory, String lease) {
    ConvertRequest[][] requests = new ConvertRequest[MAX_STREAMS][2];
    for (int s = 0; s < MAX_STREAMS; s++) {
      for (int n = 0; n < 2; n++) {
        ConvertRequest.Builder b = ConvertRequest.newBuilder().setLeaseId(lease)
            .setTo(n == 0 ? PageState.PAGE_STATE_SHARED : PageState.PAGE_STATE_PRIVATE);
        for (int k = 0; k < BATCH; k++) {
          b.addRanges(ByteRange.newBuilder().setOffset(((long) s * PAGES_PER_STREAM + 2L * k) * PAGE).setLength(PAGE));
        }
        requests[s][n] = b.build();
      }
    }
    AtomicIntegerArray perStream = new AtomicIntegerArray(MAX_STREAMS);
    return (i, done) -> memory.convert(requests[done.stream][perStream.getAndIncrement(done.stream) & 1], observer(done));
  }

  /** One measurement: throughput and the sorted latencies (ns) of its calls. */
  record Result(double callsPerSecond, long[] sortedNanos) {
    /** Median throughput over rounds; percentiles over every call of every round. */
    static Result combine(List<Result> rounds) {
      double[] tput = rounds.stream().mapToDouble(Result::callsPerSecond).sorted().toArray();
      double median = tput.length % 2 == 1 ? tput[tput.length / 2] : (tput[tput.length / 2 - 1] + tput[tput.length / 2]) / 2;
      long[] all = rounds.stream().flatMapToLong(r -> Arrays.stream(r.sortedNanos())).sorted().toArray();
      return new Result(median, all);
    }

    long p50() {
      return pct(sortedNanos, 0.50);
    }

    long p99() {
      return pct(sortedNanos, 0.99);
    }

    long p999() {
      return pct(sortedNanos, 0.999);
    }
  }

  static final class StreamObserverDone {
    final int stream;
    final Runnable onDone;
    final AtomicReference<Throwable> error;

    StreamObserverDone(int stream, Runnable onDone, AtomicReference<Throwable> error) {
      this.stream = stream;
      this.onDone = onDone;
      this.error = error;
    }
  }

  private static <T> StreamObserver<T> observer(StreamObserverDone done) {
    return new StreamObserver<>() {
      @Override public void onNext(T value) { }
      @Override public void onError(Throwable t) {
        done.error.compareAndSet(null, t);
        done.onDone.run();
      }
      @Override public void onCompleted() {
        done.onDone.run();
      }
    };
  }

  /** {@code streams} closed loops issue {@code calls} calls in total; each loop starts its next call when the last completes. */
  private static Result run(ServiceClient client, int streams, int calls, BiConsumer<Integer, StreamObserverDone> call) throws Exception {
    long[] latencies = new long[calls];
    AtomicInteger next = new AtomicInteger();
    AtomicReference<Throwable> error = new AtomicReference<>();
    CountDownLatch finished = new CountDownLatch(streams);
    long start = System.nanoTime();
    for (int s = 0; s < streams; s++) {
      final int stream = s;
      Runnable[] issue = new Runnable[1];
      issue[0] = () -> {
        int i = next.getAndIncrement();
        if (i >= calls || error.get() != null) {
          finished.countDown();
          return;
        }
        long t0 = System.nanoTime();
        call.accept(i, new StreamObserverDone(stream, () -> {
          latencies[i] = System.nanoTime() - t0;
          issue[0].run();
        }, error));
      };
      issue[0].run();
    }
    if (!finished.await(10, TimeUnit.MINUTES)) {
      throw new IllegalStateException("load run did not finish in 10 minutes");
    }
    if (error.get() != null) {
      throw new IllegalStateException("a call failed", error.get());
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    long[] sorted = Arrays.copyOf(latencies, Math.min(calls, next.get()));
    Arrays.sort(sorted);
    return new Result(sorted.length / seconds, sorted);
  }

  private static long pct(long[] sorted, double q) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1000;
  }

  private static void print(boolean direct, int streams, String what, Result r, Result base) {
    System.out.printf(Locale.ROOT, "%-8s %-6d %-9s %10.0f %9d %9d %9d %10.2f %10.2f%n", direct ? "direct" : "default", streams, what,
        r.callsPerSecond(), r.p50(), r.p99(), r.p999(), r.callsPerSecond() / base.callsPerSecond(), (double) r.p50() / base.p50());
  }
}
