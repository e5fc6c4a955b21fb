package io.guestmem.bench;

import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.guestmem.memory.Durability;
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
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
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
 * The load average is printed before and after, since other work on the host moves every figure.
 *
 * <p>Both configurations (direct and default executor) run at once, each its own service with its
 * own state directory, client and lease. Each point runs {@code rounds} rounds; a round is
 * (empty, convert, batch) on the direct service and then on the default one, back to back, so
 * that a burst of other work on the host, or the host switching how it schedules the vCPUs,
 * falls on both sides of every ratio. Throughput is the median over rounds, latency percentiles
 * are over all calls of all rounds; "paired" is the median over rounds of each round's own
 * convert/empty throughput ratio. After each point a "best" line compares the faster
 * configuration's conversions with the faster configuration's empty calls (the target's
 * definition). Requests are built before the clock starts (the empty call sends a prebuilt
 * default instance too), so the load generator's own message building does not compete with the
 * server for the same cores.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.guestmem.bench.RpcLoad [callsPerPoint] [backend] [rounds] [streams,...] [durability]}
 * (default {@code 20000 <the host's default backend> 20 1,8,64 process-crash}; {@code power-loss} serves with an fsync
 * per record); the state directories are removed at the end.
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
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    int[] levels = args.length > 3 ? Arrays.stream(args[3].split(",")).mapToInt(Integer::parseInt).toArray() : new int[] {1, 8, 64};
    if (Arrays.stream(levels).anyMatch(l -> l < 1 || l > MAX_STREAMS)) {
      throw new IllegalArgumentException("stream counts are 1.." + MAX_STREAMS);
    }
    Durability durability = args.length > 4 ? Durability.valueOf(args[4].toUpperCase(Locale.ROOT).replace('-', '_')) : Durability.PROCESS_CRASH;
    System.out.printf(Locale.ROOT, "guestmem RpcLoad: %d calls per point in %d rounds, backend %s, durability %s, %d cores%n", calls, rounds,
        backend, durability, Runtime.getRuntime().availableProcessors());
    System.out.println("# idle CPUs: " + idlePolicy());
    Path stateDirect = Files.createTempDirectory("guestmem-load-direct-");
    Path stateDefault = Files.createTempDirectory("guestmem-load-default-");
    try {
      try (Target direct = Target.start(true, stateDirect, backend, durability); Target dflt = Target.start(false, stateDefault, backend, durability)) {
        List<Target> targets = List.of(direct, dflt);
        // warm-up of both configurations: JIT, connections, journals
        for (Target t : targets) {
          t.warmUp(Math.max(1000, calls / 5));
        }
        System.out.println("# load average " + loadAverage());
        System.out.printf(Locale.ROOT, "%-8s %-6s %-9s %10s %9s %9s %9s %10s %10s %10s%n",
            "executor", "streams", "call", "calls/s", "p50 µs", "p99 µs", "p99.9 µs", "tput/base", "p50/base", "paired");
        System.out.println("(batch64: tput/base is pages/s against the single-page convert row's pages/s; p50/base against the empty call;"
            + " paired: median over rounds of each round's convert/empty throughput)");
        for (int streams : levels) {
          int perRound = Math.max(streams, calls / rounds);
          Map<Target, List<Result>> bases = new LinkedHashMap<>();
          Map<Target, List<Result>> convs = new LinkedHashMap<>();
          Map<Target, List<Result>> batches = new LinkedHashMap<>();
          for (int r = 0; r < rounds; r++) {
            // the configurations' rounds interleave too, so that the "best empty" comparison is as fair as the per-configuration one
            for (Target t : targets) {
              bases.computeIfAbsent(t, k -> new ArrayList<>()).add(run(t.client, streams, perRound, t.empty()));
              convs.computeIfAbsent(t, k -> new ArrayList<>()).add(run(t.client, streams, perRound, t.convert()));
              batches.computeIfAbsent(t, k -> new ArrayList<>()).add(run(t.client, streams, Math.max(streams, perRound / 8), t.convertBatch()));
            }
          }
          Result bestEmpty = null;
          Result bestConvert = null;
          String bestEmptyName = "";
          String bestConvertName = "";
          for (Target t : targets) {
            Result base = Result.combine(bases.get(t));
            Result conv = Result.combine(convs.get(t));
            Result batch = Result.combine(batches.get(t));
            print(t.name, streams, "empty", base, base, 1.0);
            print(t.name, streams, "convert", conv, base, pairedRatio(convs.get(t), bases.get(t)));
            System.out.printf(Locale.ROOT, "%-8s %-6d %-9s %10.0f %9d %9d %9d %10.2f %10.2f%n", t.name, streams,
                "batch" + BATCH, batch.callsPerSecond(), batch.p50(), batch.p99(), batch.p999(),
                batch.callsPerSecond() * BATCH / conv.callsPerSecond(), (double) batch.p50() / base.p50());
            if (bestEmpty == null || base.callsPerSecond() > bestEmpty.callsPerSecond()) {
              bestEmpty = base;
              bestEmptyName = t.name;
            }
            if (bestConvert == null || conv.callsPerSecond() > bestConvert.callsPerSecond()) {
              bestConvert = conv;
              bestConvertName = t.name;
            }
          }
          long bestEmptyP50 = Math.min(Result.combine(bases.get(direct)).p50(), Result.combine(bases.get(dflt)).p50());
          long bestConvertP50 = Math.min(Result.combine(convs.get(direct)).p50(), Result.combine(convs.get(dflt)).p50());
          System.out.printf(Locale.ROOT, "best     %-6d convert %s vs empty %s: throughput %.2f, p50 %d vs %d µs = %.2f%n", streams,
              bestConvertName, bestEmptyName, bestConvert.callsPerSecond() / bestEmpty.callsPerSecond(), bestConvertP50, bestEmptyP50,
              (double) bestConvertP50 / bestEmptyP50);
        }
        System.out.println("# load average " + loadAverage());
      }
    } finally {
      deleteTree(stateDirect);
      deleteTree(stateDefault);
    }
  }

  /** Removes a state directory a run made (the services have stopped by then). */
  static void deleteTree(Path dir) throws java.io.IOException {
    try (java.util.stream.Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** Median over rounds of (convert calls/s in round r) / (empty calls/s in round r). */
  private static double pairedRatio(List<Result> convs, List<Result> bases) {
    double[] ratios = new double[convs.size()];
    for (int i = 0; i < ratios.length; i++) {
      ratios[i] = convs.get(i).callsPerSecond() / bases.get(i).callsPerSecond();
    }
    return median(ratios);
  }

  /** The median of {@code values} (at least one). */
  static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** One server configuration under test, with its client, lease and prebuilt requests. */
  private static final class Target implements AutoCloseable {
    final String name;
    final GuestmemServer server;
    final ServiceClient client;
    final String lease;
    final HealthGrpc.HealthStub health;
    final GuestMemoryGrpc.GuestMemoryStub memory;
    private BiConsumer<Integer, StreamObserverDone> convert;
    private BiConsumer<Integer, StreamObserverDone> convertBatch;

    private Target(String name, GuestmemServer server, ServiceClient client, String lease) {
      this.name = name;
      this.server = server;
      this.client = client;
      this.lease = lease;
      this.health = HealthGrpc.newStub(client.channel());
      this.memory = GuestMemoryGrpc.newStub(client.channel());
    }

    static Target start(boolean direct, Path state, String backend, Durability durability) throws Exception {
      GuestmemServer server = new GuestmemServer(GuestmemServer.Options.defaults(state).withoutTcp().withBackend(backend)
          .withMetrics("127.0.0.1", -1).withDirectExecutor(direct).withDurability(durability));
      server.start();
      ServiceClient client = ServiceClient.connect(state);
      String lease = GuestMemoryGrpc.newBlockingStub(client.channel()).openLease(OpenLeaseRequest.newBuilder()
          .setSizeBytes((long) MAX_STREAMS * PAGES_PER_STREAM * PAGE).setMode(LeaseMode.LEASE_MODE_OWNED).setTeeKind(TeeKind.TEE_KIND_NONE).build())
          .getLease().getLeaseId();
      return new Target(direct ? "direct" : "default", server, client, lease);
    }

    BiConsumer<Integer, StreamObserverDone> empty() {
      return (i, done) -> health.check(HealthCheckRequest.getDefaultInstance(), observer(done));
    }

    BiConsumer<Integer, StreamObserverDone> convert() {
      if (convert == null) {
        convert = RpcLoad.convert(memory, lease);
      }
      return convert;
    }

    BiConsumer<Integer, StreamObserverDone> convertBatch() {
      if (convertBatch == null) {
        convertBatch = RpcLoad.convertBatch(memory, lease);
      }
      return convertBatch;
    }

    void warmUp(int calls) throws Exception {
      run(client, 1, calls, empty());
      run(client, 1, calls, convert());
      run(client, 1, calls / 4, convertBatch());
      run(client, 64, calls, empty());
      run(client, 64, calls, convert());
    }

    @Override
    public void close() throws InterruptedException {
      client.close();
      server.shutdown(2);
    }
  }

  /**
   * How this machine's idle CPUs wait, which decides what waking a thread on another CPU costs:
   * the cpuidle driver and governor, and (with the {@code haltpoll} driver of a KVM guest) how long
   * an idle vCPU polls before it halts, {@code guest_halt_poll_ns} (0: it halts at once, and the
   * wake-up is an exit to the hypervisor). See docs/PERFORMANCE.md, "Session 6".
   */
  static String idlePolicy() {
    Path cpuidle = Path.of("/sys/devices/system/cpu/cpuidle");
    Path haltPoll = Path.of("/sys/module/haltpoll/parameters/guest_halt_poll_ns");
    String driver = firstLine(cpuidle.resolve("current_driver"));
    String governor = firstLine(cpuidle.resolve("current_governor"));
    if (governor.equals("unknown")) {
      governor = firstLine(cpuidle.resolve("current_governor_ro"));
    }
    String line = "cpuidle driver " + driver + ", governor " + governor;
    return Files.isReadable(haltPoll) ? line + ", guest_halt_poll_ns " + firstLine(haltPoll) : line;
  }

  private static String firstLine(Path p) {
    try {
      return Files.readString(p).trim();
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  /** {@code /proc/loadavg}, as one line. */
  static String loadAverage() {
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
      double median = median(rounds.stream().mapToDouble(Result::callsPerSecond).toArray());
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

  private static void print(String executor, int streams, String what, Result r, Result base, double paired) {
    System.out.printf(Locale.ROOT, "%-8s %-6d %-9s %10.0f %9d %9d %9d %10.2f %10.2f %10.2f%n", executor, streams, what,
        r.callsPerSecond(), r.p50(), r.p99(), r.p999(), r.callsPerSecond() / base.callsPerSecond(), (double) r.p50() / base.p50(), paired);
  }
}
