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
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.LeaseMode;
import io.guestmem.rpc.v1.OpenLeaseRequest;
import io.guestmem.rpc.v1.PageState;
import io.guestmem.rpc.v1.TeeKind;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Where the CPU of one call goes, by thread, for the empty call and the single-page conversion:
 * one service (direct executor, unix socket) and one client in this JVM, one stream, in
 * alternating phases of empty calls and conversions (so both see the same JIT state and machine
 * state). For each phase it prints calls/s and the CPU time per call of each thread group
 * (the service's transport threads {@code guestmem-unix}, the client's event loop
 * {@code guestmem-client} and its executor, the journal's ingester, the lease-operation pool),
 * from {@link ThreadMXBean}; at the end the median of each over the phases of each kind.
 *
 * <p>Run it pinned to one CPU ({@code taskset -c 0}) to see CPU alone: there a call's wall time
 * is the sum of its threads' CPU, and the conversion/empty ratio is the ratio of CPU per call. On
 * two vCPUs the same counts include what waking a thread on the other vCPU costs the waker.
 *
 * <p>Arguments: {@code [pairs] [phase seconds] [warm-up seconds] [backend]}, defaults 5, 4, 15
 * and the host's default backend.
 */
public final class RpcCpu {
  private static final int PAGE = 4096;

  private RpcCpu() {}

  public static void main(String[] args) throws Exception {
    int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    double phaseSeconds = args.length > 1 ? Double.parseDouble(args[1]) : 4;
    double warmSeconds = args.length > 2 ? Double.parseDouble(args[2]) : 15;
    String backend = args.length > 3 ? args[3] : HostProbe.probe().defaultBackend();
    Path state = Files.createTempDirectory("guestmem-rpccpu-");
    GuestmemServer server = new GuestmemServer(GuestmemServer.Options.defaults(state).withoutTcp().withBackend(backend)
        .withMetrics("127.0.0.1", -1).withDirectExecutor(true).withDurability(Durability.PROCESS_CRASH));
    server.start();
    try (ServiceClient client = ServiceClient.connect(state)) {
      String lease = GuestMemoryGrpc.newBlockingStub(client.channel()).openLease(OpenLeaseRequest.newBuilder()
          .setSizeBytes(2L * PAGE).setMode(LeaseMode.LEASE_MODE_OWNED).setTeeKind(TeeKind.TEE_KIND_NONE).build())
          .getLease().getLeaseId();
      HealthGrpc.HealthStub health = HealthGrpc.newStub(client.channel());
      GuestMemoryGrpc.GuestMemoryStub memory = GuestMemoryGrpc.newStub(client.channel());
      // page 0 -> SHARED, page 1 -> SHARED, page 0 -> PRIVATE, page 1 -> PRIVATE, …: every call changes a page
      ConvertRequest[] converts = new ConvertRequest[4];
      for (int n = 0; n < 4; n++) {
        converts[n] = ConvertRequest.newBuilder().setLeaseId(lease)
            .addRanges(ByteRange.newBuilder().setOffset((n & 1) * (long) PAGE).setLength(PAGE))
            .setTo(((n >> 1) & 1) == 0 ? PageState.PAGE_STATE_SHARED : PageState.PAGE_STATE_PRIVATE).build();
      }
      AtomicInteger next = new AtomicInteger();
      Call empty = obs -> health.check(HealthCheckRequest.getDefaultInstance(), anyResponse(obs));
      Call convert = obs -> memory.convert(converts[next.getAndIncrement() & 3], anyResponse(obs));
      System.out.printf(Locale.ROOT, "guestmem RpcCpu: %d pairs of %.1f s phases after %.0f s of warm-up, backend %s, %d cores, load %s%n",
          pairs, phaseSeconds, warmSeconds, backend, Runtime.getRuntime().availableProcessors(), RpcLoad.loadAverage());
      System.out.println("# idle CPUs: " + RpcLoad.idlePolicy());
      phase(empty, warmSeconds / 2);
      phase(convert, warmSeconds / 2);
      Map<String, List<Double>> byKey = new TreeMap<>();
      List<Double> ratios = new ArrayList<>();
      for (int p = 0; p < pairs; p++) {
        Phase e = phase(empty, phaseSeconds);
        Phase c = phase(convert, phaseSeconds);
        print("empty", e);
        print("convert", c);
        ratios.add(c.callsPerSecond / e.callsPerSecond);
        e.cpuPerCall.forEach((k, v) -> byKey.computeIfAbsent("empty   " + k, x -> new ArrayList<>()).add(v));
        c.cpuPerCall.forEach((k, v) -> byKey.computeIfAbsent("convert " + k, x -> new ArrayList<>()).add(v));
        byKey.computeIfAbsent("empty   all threads", x -> new ArrayList<>()).add(e.totalCpuPerCall());
        byKey.computeIfAbsent("convert all threads", x -> new ArrayList<>()).add(c.totalCpuPerCall());
      }
      System.out.println("# medians over the phases, CPU µs per call:");
      byKey.forEach((k, v) -> System.out.printf(Locale.ROOT, "  %-48s %8.2f%n", k, median(v)));
      System.out.printf(Locale.ROOT, "# convert/empty throughput, median of the pairs: %.2f (load %s)%n", median(ratios), RpcLoad.loadAverage());
    } finally {
      server.shutdown(2);
      RpcLoad.deleteTree(state);
    }
  }

  /** The phase's observer ignores responses, whatever their type. */
  @SuppressWarnings("unchecked")
  private static <T> StreamObserver<T> anyResponse(StreamObserver<Object> observer) {
    return (StreamObserver<T>) (StreamObserver<?>) observer;
  }

  @FunctionalInterface
  private interface Call {
    void issue(StreamObserver<Object> observer);
  }

  /** One phase: calls/s and CPU µs per call by thread group (names with their numbering removed). */
  private record Phase(double callsPerSecond, Map<String, Double> cpuPerCall) {
    double totalCpuPerCall() {
      return cpuPerCall.values().stream().mapToDouble(Double::doubleValue).sum();
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Phase phase(Call call, double seconds) throws InterruptedException {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Map<Long, Long> before = new HashMap<>();
    for (long id : mx.getAllThreadIds()) {
      before.put(id, mx.getThreadCpuTime(id));
    }
    AtomicLong calls = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch done = new CountDownLatch(1);
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    StreamObserver<Object>[] self = new StreamObserver[1];
    self[0] = new StreamObserver<>() {
      @Override public void onNext(Object value) { }
      @Override public void onError(Throwable t) {
        failure.set(t);
        done.countDown();
      }
      @Override public void onCompleted() {
        calls.incrementAndGet();
        if (System.nanoTime() >= end) {
          done.countDown();
        } else {
          call.issue(self[0]);
        }
      }
    };
    call.issue(self[0]);
    if (!done.await((long) seconds + 60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("a phase did not finish");
    }
    if (failure.get() != null) {
      throw new IllegalStateException("a call failed", failure.get());
    }
    double elapsed = (System.nanoTime() - start) / 1e9;
    long n = calls.get();
    Map<String, Double> perCall = new TreeMap<>();
    for (long id : mx.getAllThreadIds()) {
      ThreadInfo ti = mx.getThreadInfo(id);
      long cpu = mx.getThreadCpuTime(id);
      if (ti == null || cpu < 0) {
        continue;
      }
      double us = (cpu - before.getOrDefault(id, 0L)) / 1e3 / n;
      if (us >= 0.01) {
        perCall.merge(ti.getThreadName().replaceAll("[-#0-9]+$", ""), us, Double::sum);
      }
    }
    return new Phase(n / elapsed, perCall);
  }

  private static void print(String what, Phase p) {
    StringBuilder b = new StringBuilder();
    for (String k : new TreeSet<>(p.cpuPerCall.keySet())) {
      if (p.cpuPerCall.get(k) >= 0.1) {
        b.append(String.format(Locale.ROOT, "  %s %.2f", k, p.cpuPerCall.get(k)));
      }
    }
    System.out.printf(Locale.ROOT, "%-8s %8.0f calls/s  CPU µs/call: all %.2f |%s%n", what, p.callsPerSecond, p.totalCpuPerCall(), b);
  }

  private static double median(List<Double> v) {
    return RpcLoad.median(v.stream().mapToDouble(Double::doubleValue).toArray());
  }
}
