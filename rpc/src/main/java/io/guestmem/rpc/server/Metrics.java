package io.guestmem.rpc.server;

import com.sun.net.httpserver.HttpServer;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.guestmem.memory.LeaseInfo;
import io.guestmem.memory.LeaseStatus;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryEvent;
import io.guestmem.memory.PageState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.ToDoubleFunction;

/**
 * Prometheus metrics (Micrometer): RPC latency histograms per method and status code,
 * conversions and converted bytes, lease bytes by page state, allocated bytes by backing,
 * verification outcomes. Served as text on {@code http://HOST:PORT/metrics}.
 */
public final class Metrics implements AutoCloseable {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  /**
   * Registered timers per method, indexed by status code value: one map lookup by the method's
   * (interned, hash-cached) name per call, no string building; a registry lookup per call would
   * cost more than the call's other bookkeeping.
   */
  private final java.util.Map<String, Timer[]> timers = new java.util.concurrent.ConcurrentHashMap<>();
  private HttpServer http;
  private AutoCloseable engineSubscription;

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Times every call: {@code guestmem_rpc_server_seconds{method, code}}. */
  public ServerInterceptor rpcInterceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        long start = System.nanoTime();
        String method = call.getMethodDescriptor().getFullMethodName();
        Timer[] byCode = timers.computeIfAbsent(method, m -> new Timer[Status.Code.values().length]);
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            timer(byCode, method, status.getCode()).record(System.nanoTime() - start, java.util.concurrent.TimeUnit.NANOSECONDS);
            super.close(status, trailers);
          }
        }, headers);
      }
    };
  }

  /** The timer of {@code method} ending with {@code code}, registered on first use (registering twice yields the same timer). */
  private Timer timer(Timer[] byCode, String method, Status.Code code) {
    Timer t = byCode[code.value()];
    if (t == null) {
      t = Timer.builder("guestmem.rpc.server")
          .description("gRPC server call latency")
          .tag("method", method)
          .tag("code", code.name())
          .publishPercentileHistogram()
          .register(registry);
      byCode[code.value()] = t;
    }
    return t;
  }

  /** Memory gauges and conversion counters from the engine. */
  public void bind(MemoryEngine engine) {
    gauge("guestmem.lease.bytes", "state", "private", engine, e -> sum(e, l -> l.bytesIn(PageState.PRIVATE)));
    gauge("guestmem.lease.bytes", "state", "shared", engine, e -> sum(e, l -> l.bytesIn(PageState.SHARED)));
    gauge("guestmem.allocated.bytes", "backing", "private", engine, e -> sum(e, LeaseInfo::allocatedPrivateBytes));
    gauge("guestmem.allocated.bytes", "backing", "shared", engine, e -> sum(e, LeaseInfo::allocatedSharedBytes));
    Gauge.builder("guestmem.leases", engine, e -> e.leases().stream().filter(l -> l.status() != LeaseStatus.CLOSED).count())
        .description("open leases").register(registry);
    Gauge.builder("guestmem.journal.pending.records", engine, e -> e.journalStats().pendingRecords())
        .description("page-state records acknowledged from the record log and not yet ingested into SQLite").register(registry);
    FunctionCounter.builder("guestmem.journal.ingested.records", engine, e -> e.journalStats().ingestedRecords())
        .description("records moved from the record log into SQLite").register(registry);
    FunctionCounter.builder("guestmem.journal.group.commits", engine, e -> e.journalStats().groupCommits())
        .description("journal group commits (power-loss durability: one fsync each)").register(registry);
    FunctionCounter.builder("guestmem.journal.group.commit.records", engine, e -> e.journalStats().groupCommitRecords())
        .description("records carried by journal group commits").register(registry);
    // registered once: the listener runs on the conversion's own thread, before it is acknowledged
    Counter toPrivate = Counter.builder("guestmem.conversions").tag("to", "private").register(registry);
    Counter toShared = Counter.builder("guestmem.conversions").tag("to", "shared").register(registry);
    Counter bytesPrivate = Counter.builder("guestmem.conversion.bytes").tag("to", "private").register(registry);
    Counter bytesShared = Counter.builder("guestmem.conversion.bytes").tag("to", "shared").register(registry);
    engineSubscription = engine.addListener(ev -> {
      if (ev.kind() == MemoryEvent.Kind.CONVERTED) {
        boolean priv = ev.to() == PageState.PRIVATE;
        long bytes = 0;
        for (var r : ev.ranges()) {
          bytes += r.length();
        }
        (priv ? toPrivate : toShared).increment();
        (priv ? bytesPrivate : bytesShared).increment(bytes);
      }
    });
  }

  private void gauge(String name, String tag, String value, MemoryEngine engine, ToDoubleFunction<MemoryEngine> f) {
    Gauge.builder(name, engine, f).tag(tag, value).baseUnit("bytes").register(registry);
  }

  private static double sum(MemoryEngine e, java.util.function.ToLongFunction<LeaseInfo> f) {
    return e.leases().stream().filter(l -> l.status() != LeaseStatus.CLOSED).mapToLong(f).sum();
  }

  /** Counts a verification outcome: {@code guestmem_verifications_total{tee, status}}. */
  public void verified(String tee, String status) {
    Counter.builder("guestmem.verifications").tag("tee", tee).tag("status", status).register(registry).increment();
  }

  /** Serves {@code /metrics} on {@code host:port} (port 0: any free port); returns the bound port. */
  public int serve(String host, int port) throws IOException {
    http = HttpServer.create(new InetSocketAddress(host, port), 16);
    http.createContext("/metrics", exchange -> {
      byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    });
    http.setExecutor(Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "guestmem-metrics");
      t.setDaemon(true);
      return t;
    }));
    http.start();
    return http.getAddress().getPort();
  }

  @Override
  public void close() {
    if (http != null) {
      http.stop(0);
      http = null;
    }
    if (engineSubscription != null) {
      try {
        engineSubscription.close();
      } catch (Exception e) {
        // a listener handle: nothing to recover
      }
      engineSubscription = null;
    }
    registry.close();
  }
}
