package io.guestmem.attestation.collateral;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The online fetcher against a scripted local HTTP server (a fake PCS/KDS). */
class CollateralFetcherTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  @TempDir Path cache;
  private HttpServer server;
  private final AtomicInteger requests = new AtomicInteger();
  private final List<Duration> sleeps = new ArrayList<>();

  /** Serves "body" for every path; {@code statusFor} maps the request number (1-based) to a status. */
  private URI serve(IntUnaryOperator statusFor, String retryAfter, CountDownLatch hold) throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.createContext("/", ex -> {
      int n = requests.incrementAndGet();
      try {
        if (hold != null) {
          hold.await(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      int status = statusFor.applyAsInt(n);
      if (retryAfter != null) {
        ex.getResponseHeaders().add("Retry-After", retryAfter);
      }
      ex.getResponseHeaders().add("TCB-Info-Issuer-Chain", "-----BEGIN%20CERTIFICATE-----%0A");
      byte[] body = ("body " + ex.getRequestURI()).getBytes(StandardCharsets.US_ASCII);
      ex.sendResponseHeaders(status, body.length);
      ex.getResponseBody().write(body);
      ex.close();
    });
    server.start();
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  private CollateralFetcher fetcher(URI base, int attempts) throws Exception {
    CollateralFetcher.Config c = new CollateralFetcher.Config(base, base, Duration.ofSeconds(5), attempts,
        Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofHours(1));
    return new CollateralFetcher(c, cache, HttpClient.newHttpClient(), Clock.fixed(NOW, ZoneOffset.UTC), sleeps::add);
  }

  @Test
  void rateLimited_backsOffAsToldByRetryAfter_thenStoresBodyAndIssuerChain() throws Exception {
    URI base = serve(n -> n == 1 ? 429 : 200, "7", null);
    fetcher(base, 4).ensure(CollateralFetcher.Service.INTEL_PCS, "/tdx/certification/v4/tcb?fmspc=00A06D080000",
        "tdx/certification/v4/tcb/00A06D080000", Optional.of("TCB-Info-Issuer-Chain"));
    assertThat(requests).hasValue(2);
    assertThat(sleeps).containsExactly(Duration.ofSeconds(7));
    assertThat(Files.readString(cache.resolve("tdx/certification/v4/tcb/00A06D080000")))
        .isEqualTo("body /tdx/certification/v4/tcb?fmspc=00A06D080000");
    assertThat(Files.readString(cache.resolve("tdx/certification/v4/tcb/00A06D080000.issuer-chain")))
        .isEqualTo("-----BEGIN%20CERTIFICATE-----%0A");
  }

  @Test
  void persistentUnavailability_backsOffExponentially_thenFails() throws Exception {
    URI base = serve(n -> 503, null, null);
    assertThatThrownBy(() -> fetcher(base, 4).ensure(CollateralFetcher.Service.AMD_KDS, "/vcek/v1/Milan/crl",
        "vcek/v1/Milan/crl", Optional.empty())).isInstanceOf(CollateralUnavailableException.class).hasMessageContaining("503");
    assertThat(requests).hasValue(4);
    assertThat(sleeps).containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(40));
  }

  @Test
  void notFound_failsAtOnce() throws Exception {
    URI base = serve(n -> 404, null, null);
    assertThatThrownBy(() -> fetcher(base, 4).ensure(CollateralFetcher.Service.AMD_KDS, "/vcek/v1/Turin/00", "vcek/v1/Turin/00",
        Optional.empty())).isInstanceOf(CollateralUnavailableException.class).hasMessageContaining("404");
    assertThat(requests).hasValue(1);
    assertThat(sleeps).isEmpty();
  }

  @Test
  void concurrentMisses_areCoalescedIntoOneRequest() throws Exception {
    CountDownLatch hold = new CountDownLatch(1);
    URI base = serve(n -> 200, null, hold);
    CollateralFetcher f = fetcher(base, 1);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> calls = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        calls.add(pool.submit(() -> {
          f.ensure(CollateralFetcher.Service.AMD_KDS, "/vcek/v1/Genoa/cert_chain", "vcek/v1/Genoa/cert_chain", Optional.empty());
          return null;
        }));
      }
      Thread.sleep(300);
      hold.countDown();
      for (Future<?> c : calls) {
        c.get(10, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(requests).hasValue(1);
  }

  @Test
  void freshFiles_areNotFetched_staleOnesAreRefreshed_andKeptWhenTheRefreshFails() throws Exception {
    URI base = serve(n -> n == 1 ? 200 : 500, null, null);
    CollateralFetcher f = fetcher(base, 1);
    Path crl = cache.resolve("vcek/v1/Milan/crl");
    Files.createDirectories(crl.getParent());
    Files.writeString(crl, "cached");
    Files.setLastModifiedTime(crl, FileTime.from(NOW.minusSeconds(60)));
    f.ensure(CollateralFetcher.Service.AMD_KDS, "/vcek/v1/Milan/crl", "vcek/v1/Milan/crl", Optional.empty());
    assertThat(requests).hasValue(0);
    Files.setLastModifiedTime(crl, FileTime.from(NOW.minus(Duration.ofHours(2))));
    f.ensure(CollateralFetcher.Service.AMD_KDS, "/vcek/v1/Milan/crl", "vcek/v1/Milan/crl", Optional.empty());
    assertThat(Files.readString(crl)).isEqualTo("body /vcek/v1/Milan/crl");
    Files.setLastModifiedTime(crl, FileTime.from(NOW.minus(Duration.ofHours(2))));
    f.ensure(CollateralFetcher.Service.AMD_KDS, "/vcek/v1/Milan/crl", "vcek/v1/Milan/crl", Optional.empty());
    assertThat(requests).hasValue(2);
    assertThat(Files.readString(crl)).as("kept after a failed refresh").isEqualTo("body /vcek/v1/Milan/crl");
  }
}
