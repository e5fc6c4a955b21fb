package io.guestmem.snp.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.CollateralFetcher;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.pki.Certificates;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Online fetching (opt-in) from a fake AMD KDS that serves the real Genoa v5 vectors at KDS paths
 * and answers the first VCEK request with 429, as KDS rate-limits.
 */
class OnlineKdsTest {
  static final Instant T = Instant.parse("2026-04-12T00:00:00Z");
  @TempDir Path cache;
  private HttpServer server;
  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  private final List<Duration> sleeps = new ArrayList<>();

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  @Test
  void genoaReport_withNothingButTheFakeKds_isAffirming() throws Exception {
    byte[] chainPem = Files.readAllBytes(SnpVectors.path("routex-client-lua/vcek-chain-genoa-v5.pem"));
    byte[] vcek = Certificates.parseAll(chainPem, "chain").get(0).getEncoded();
    byte[] askArk = Files.readAllBytes(SnpVectors.path("go-sev-guest/ask_ark_genoa.pem"));
    byte[] crl = Files.readAllBytes(SnpVectors.path("cyntrisec-kds/Genoa/crl.der"));
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", ex -> {
      String path = ex.getRequestURI().getPath();
      int n = hits.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
      byte[] body = path.equals("/vcek/v1/Genoa/cert_chain") ? askArk : path.equals("/vcek/v1/Genoa/crl") ? crl
          : path.startsWith("/vcek/v1/Genoa/") && ex.getRequestURI().getQuery().contains("ucodeSPL=") ? vcek : null;
      int status = body == null ? 404 : path.startsWith("/vcek/v1/Genoa/") && body == vcek && n == 1 ? 429 : 200;
      byte[] out = status == 200 ? body : new byte[0];
      ex.sendResponseHeaders(status, out.length == 0 ? -1 : out.length);
      if (out.length > 0) {
        ex.getResponseBody().write(out);
      }
      ex.close();
    });
    server.start();
    URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    CollateralFetcher fetcher = new CollateralFetcher(new CollateralFetcher.Config(base, base, Duration.ofSeconds(5), 3,
        Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofDays(1)), cache, HttpClient.newHttpClient(),
        Clock.fixed(T, ZoneOffset.UTC), sleeps::add);
    Verifiers verifiers = new Verifiers(VerifiedCache.defaultCache(), Clock.systemUTC()).register(new SnpVerifier());
    VerificationRequest req = VerificationRequest.builder()
        .evidence(SnpVectors.report("routex-client-lua/DERIVED.attestation_spec.genoa-v5.report.bin"))
        .at(T).fetchOnline(fetcher).build();
    Verdict v = verifiers.verify(req);
    assertThat(v.failures()).isEmpty();
    assertThat(v.notRun()).isEmpty();
    assertThat(v.status()).isEqualTo(TrustStatus.AFFIRMING);
    assertThat(sleeps).containsExactly(Duration.ofSeconds(10));
    verifiers.verify(req);
    assertThat(hits.values().stream().mapToInt(AtomicInteger::get).sum()).as("second verification served from the cache").isEqualTo(4);
  }

  @Test
  void kdsDown_listsTheChecksThatCouldNotRun() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", ex -> {
      ex.sendResponseHeaders(500, -1);
      ex.close();
    });
    server.start();
    URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    CollateralFetcher fetcher = new CollateralFetcher(new CollateralFetcher.Config(base, base, Duration.ofSeconds(5), 1,
        Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofDays(1)), cache, HttpClient.newHttpClient(),
        Clock.fixed(T, ZoneOffset.UTC), sleeps::add);
    Verifiers verifiers = new Verifiers(VerifiedCache.defaultCache(), Clock.systemUTC()).register(new SnpVerifier());
    Verdict v = verifiers.verify(VerificationRequest.builder()
        .evidence(SnpVectors.report("routex-client-lua/DERIVED.attestation_spec.genoa-v5.report.bin"))
        .at(T).fetchOnline(fetcher).build());
    assertThat(v.status()).isEqualTo(TrustStatus.CONTRAINDICATED);
    assertThat(v.failures()).extracting(f -> f.id() + ":" + f.reason()).containsExactly("snp.vek.present:chain_missing");
    assertThat(v.notRun()).extracting(n -> n.reason()).containsOnly("collateral_unavailable");
  }
}
