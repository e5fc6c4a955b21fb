package io.guestmem.attestation.collateral;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * Optional online source of collateral, off unless a caller constructs one: fetches Intel PCS (or a
 * PCCS) and AMD KDS responses over HTTPS and stores them in a cache directory laid out as a
 * {@link CollateralDirectory}, the issuer-chain header saved beside the body. Nothing fetched is
 * trusted: the verifier checks it exactly as offline collateral.
 *
 * <p>Behaviour:
 *
 * <ul>
 *   <li>A stored file younger than {@link Config#refreshAfter()} is used without a request; an
 *       older one is refreshed, and kept (fallback) if the refresh fails, since the verifier checks
 *       nextUpdate anyway.
 *   <li>HTTP 429 and 503 are retried up to {@link Config#maxAttempts()} times, waiting for
 *       {@code Retry-After} (seconds) when given, else an exponential backoff from
 *       {@link Config#initialBackoff()}, never longer than {@link Config#maxBackoff()} (AMD KDS
 *       allows about one VCEK request per 10 s per address).
 *   <li>Concurrent requests for the same file are coalesced into one HTTP request.
 *   <li>Other statuses and I/O errors fail the fetch with {@link CollateralUnavailableException},
 *       so callers can choose to fail open (the check is reported as not run) or closed.
 * </ul>
 */
public final class CollateralFetcher {
  /** Which service a path belongs to. */
  public enum Service { INTEL_PCS, AMD_KDS }

  /**
   * @param pcsBase Intel PCS or a PCCS, e.g. {@code https://api.trustedservices.intel.com}
   * @param kdsBase AMD KDS, e.g. {@code https://kdsintf.amd.com}
   * @param timeout per request
   * @param maxAttempts attempts per fetch, including the first (≥ 1)
   * @param initialBackoff first wait after a 429/503 without Retry-After
   * @param maxBackoff upper bound of any wait
   * @param refreshAfter age after which a stored file is fetched again
   */
  public record Config(URI pcsBase, URI kdsBase, Duration timeout, int maxAttempts, Duration initialBackoff,
      Duration maxBackoff, Duration refreshAfter) {
    public Config {
      Objects.requireNonNull(pcsBase, "pcsBase");
      Objects.requireNonNull(kdsBase, "kdsBase");
      if (maxAttempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1");
      }
    }

    /** Intel PCS and AMD KDS production endpoints, 10 s timeout, 4 attempts, 10 s→60 s backoff, refresh daily. */
    public static Config defaults() {
      return new Config(URI.create("https://api.trustedservices.intel.com"), URI.create("https://kdsintf.amd.com"),
          Duration.ofSeconds(10), 4, Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofDays(1));
    }
  }

  /** What a wait does; tests substitute a recorder. */
  public interface Sleeper {
    void sleep(Duration d) throws InterruptedException;
  }

  private final Config config;
  private final HttpClient http;
  private final CollateralDirectory directory;
  private final Clock clock;
  private final Sleeper sleeper;
  private final Map<String, CompletableFuture<Boolean>> inFlight = new ConcurrentHashMap<>();

  public CollateralFetcher(Config config, Path cacheDir, HttpClient http, Clock clock, Sleeper sleeper) throws IOException {
    this.config = config;
    this.http = http;
    this.clock = clock;
    this.sleeper = sleeper;
    Files.createDirectories(cacheDir);
    this.directory = new CollateralDirectory(cacheDir);
  }

  /** A fetcher with the JDK HTTP client, the system clock and real sleeps. */
  public static CollateralFetcher create(Config config, Path cacheDir) throws IOException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(config.timeout())
        .followRedirects(HttpClient.Redirect.NORMAL).build();
    return new CollateralFetcher(config, cacheDir, http, Clock.systemUTC(), d -> Thread.sleep(d.toMillis()));
  }

  /** The cache directory, laid out as offline collateral. */
  public CollateralDirectory directory() {
    return directory;
  }

  /**
   * Makes sure {@code relativeFile} holds the response to {@code pathAndQuery} of {@code service}
   * (and {@code relativeFile + ".issuer-chain"} the named header, if any). Returns normally when the
   * file is present afterwards (fresh, refreshed, or kept after a failed refresh).
   */
  public void ensure(Service service, String pathAndQuery, String relativeFile, Optional<String> issuerChainHeader)
      throws CollateralUnavailableException {
    Path target = directory.root().resolve(relativeFile).normalize();
    if (!target.startsWith(directory.root())) {
      throw new IllegalArgumentException("relative file escapes the cache: " + relativeFile);
    }
    if (fresh(target)) {
      return;
    }
    CompletableFuture<Boolean> mine = new CompletableFuture<>();
    CompletableFuture<Boolean> running = inFlight.putIfAbsent(relativeFile, mine);
    if (running != null) {
      await(running, relativeFile);
      return;
    }
    try {
      fetch(service, pathAndQuery, target, issuerChainHeader);
      mine.complete(true);
    } catch (CollateralUnavailableException e) {
      if (Files.isRegularFile(target)) {
        mine.complete(true);
        return;
      }
      mine.completeExceptionally(e);
      throw e;
    } finally {
      inFlight.remove(relativeFile, mine);
    }
  }

  private static void await(CompletableFuture<Boolean> f, String what) throws CollateralUnavailableException {
    try {
      f.get();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof CollateralUnavailableException c) {
        throw c;
      }
      throw new CollateralUnavailableException(what + ": " + e.getCause(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CollateralUnavailableException(what + ": interrupted", e);
    }
  }

  private boolean fresh(Path target) {
    try {
      return Files.isRegularFile(target)
          && Duration.between(Files.getLastModifiedTime(target).toInstant(), clock.instant()).compareTo(config.refreshAfter()) < 0;
    } catch (IOException e) {
      return false;
    }
  }

  private void fetch(Service service, String pathAndQuery, Path target, Optional<String> issuerChainHeader)
      throws CollateralUnavailableException {
    URI base = service == Service.INTEL_PCS ? config.pcsBase() : config.kdsBase();
    URI uri = URI.create(base.toString().replaceAll("/+$", "") + pathAndQuery);
    Duration backoff = config.initialBackoff();
    for (int attempt = 1; ; attempt++) {
      HttpResponse<byte[]> r;
      try {
        r = http.send(HttpRequest.newBuilder(uri).timeout(config.timeout()).GET().build(),
            HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException e) {
        throw new CollateralUnavailableException("GET " + uri + ": " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CollateralUnavailableException("GET " + uri + ": interrupted", e);
      }
      int status = r.statusCode();
      if (status == 200) {
        store(target, r.body(), issuerChainHeader.flatMap(h -> r.headers().firstValue(h)));
        return;
      }
      if ((status == 429 || status == 503) && attempt < config.maxAttempts()) {
        Duration wait = r.headers().firstValue("Retry-After").flatMap(CollateralFetcher::seconds).orElse(backoff);
        if (wait.compareTo(config.maxBackoff()) > 0) {
          wait = config.maxBackoff();
        }
        try {
          sleeper.sleep(wait);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new CollateralUnavailableException("GET " + uri + ": interrupted while backing off", e);
        }
        backoff = backoff.multipliedBy(2);
        continue;
      }
      throw new CollateralUnavailableException("GET " + uri + ": HTTP " + status + " after " + attempt + " attempt(s)");
    }
  }

  private static Optional<Duration> seconds(String v) {
    try {
      return Optional.of(Duration.ofSeconds(Long.parseLong(v.trim())));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static void store(Path target, byte[] body, Optional<String> chain) throws CollateralUnavailableException {
    try {
      Files.createDirectories(target.getParent());
      if (chain.isPresent()) {
        atomicWrite(target.resolveSibling(target.getFileName() + CollateralDirectory.ISSUER_CHAIN_SUFFIX),
            chain.get().getBytes(StandardCharsets.US_ASCII));
      }
      atomicWrite(target, body);
    } catch (IOException e) {
      throw new CollateralUnavailableException("cannot store " + target + ": " + e.getMessage(), e);
    }
  }

  private static void atomicWrite(Path target, byte[] bytes) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp-" + Instant.now().toEpochMilli() + "-" + Thread.currentThread().getId());
    Files.write(tmp, bytes);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
