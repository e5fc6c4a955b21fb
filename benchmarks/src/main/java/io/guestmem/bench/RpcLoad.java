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
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * Load generator for the service over its unix socket: conversion RPCs against a same-run
 * baseline of an empty unary RPC ({@code grpc.health.v1.Health/Check}) on the same transport and
 * server configuration, at 1, 8 and 64 concurrent streams, for both executor configurations.
 * Reports throughput and p50/p99/p99.9 latency, and the ratios to the baseline.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar io.guestmem.bench.RpcLoad [callsPerLevel] [backend]}.
 * Calls are bounded in number and every wait is bounded in time; everything stays on this host.
 */
public final class RpcLoad {
  private static final int PAGE = 4096;

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    String backend = args.length > 1 ? args[1] : HostProbe.probe().defaultBackend();
    int[] levels = {1, 8, 64};
    System.out.printf(Locale.ROOT, "guestmem RpcLoad: %d calls per point, backend %s, %d cores%n", calls, backend,
        Runtime.getRuntime().availableProcessors());
    System.out.printf(Locale.ROOT, "%-8s %-6s %-9s %10s %9s %9s %9s %10s %10s%n",
        "executor", "streams", "call", "calls/s", "p50 µs", "p99 µs", "p99.9 µs", "tput/base", "p50/base");
    // a first pass over both configurations warms the JIT for everything; only the second is printed
    for (int pass = 0; pass < 2; pass++) {
      for (boolean direct : new boolean[] {true, false}) {
        measure(direct, backend, pass == 0 ? Math.max(1000, calls / 5) : calls, levels, pass == 1);
      }
    }
  }

  private static void measure(boolean direct, String backend, int calls, int[] levels, boolean print) throws Exception {
    {
      Path state = Files.createTempDirectory("guestmem-load-");
      GuestmemServer server = new GuestmemServer(GuestmemServer.Options.defaults(state).withoutTcp().withBackend(backend)
          .withMetrics("127.0.0.1", -1).withDirectExecutor(direct));
      server.start();
      try (ServiceClient client = ServiceClient.connect(state)) {
        String lease = GuestMemoryGrpc.newBlockingStub(client.channel()).openLease(OpenLeaseRequest.newBuilder()
            .setSizeBytes(64L * 64 * 2 * PAGE).setMode(LeaseMode.LEASE_MODE_OWNED).setTeeKind(TeeKind.TEE_KIND_NONE).build())
            .getLease().getLeaseId();
        HealthGrpc.HealthStub health = HealthGrpc.newStub(client.channel());
        GuestMemoryGrpc.GuestMemoryStub memory = GuestMemoryGrpc.newStub(client.channel());
        // warm-up: JIT, connection, journal
        run(client, 1, calls / 4, (i, done) -> health.check(HealthCheckRequest.getDefaultInstance(), observer(done)));
        run(client, 1, calls / 4, convert(memory, lease));
        for (int streams : levels) {
          Result base = run(client, streams, calls, (i, done) -> health.check(HealthCheckRequest.getDefaultInstance(), observer(done)));
          Result conv = run(client, streams, calls, convert(memory, lease));
          if (print) {
            print(direct, streams, "empty", base, base);
            print(direct, streams, "convert", conv, base);
          }
        }
      } finally {
        server.shutdown(2);
      }
    }
  }

  /** Stream s converts its own pages, alternating SHARED and PRIVATE, so streams never contend on a range. */
  private static BiConsumer<Integer, StreamObserverDone> convert(GuestMemoryGrpc.GuestMemoryStub memory, String lease) {
    return (i, done) -> {
      int stream = done.stream;
      long page = (long) stream * 2 + (i & 1);
      PageState to = ((i >> 1) & 1) == 0 ? PageState.PAGE_STATE_SHARED : PageState.PAGE_STATE_PRIVATE;
      memory.convert(ConvertRequest.newBuilder().setLeaseId(lease)
          .addRanges(ByteRange.newBuilder().setOffset(page * PAGE).setLength(PAGE)).setTo(to).build(), observer(done));
    };
  }

  record Result(double callsPerSecond, long p50, long p99, long p999) {}

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
    return new Result(sorted.length / seconds, pct(sorted, 0.50), pct(sorted, 0.99), pct(sorted, 0.999));
  }

  private static long pct(long[] sorted, double q) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)] / 1000;
  }

  private static void print(boolean direct, int streams, String what, Result r, Result base) {
    System.out.printf(Locale.ROOT, "%-8s %-6d %-9s %10.0f %9d %9d %9d %10.2f %10.2f%n", direct ? "direct" : "default", streams, what,
        r.callsPerSecond(), r.p50(), r.p99(), r.p999(), r.callsPerSecond() / base.callsPerSecond(), (double) r.p50() / base.p50());
  }
}
