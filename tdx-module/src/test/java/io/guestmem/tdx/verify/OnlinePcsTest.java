package io.guestmem.tdx.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.CollateralFetcher;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.SignedCollateral;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Online fetching (opt-in) from a fake PCCS that serves the real dcap-qvl collateral at PCS v4
 * paths, issuer chains URL-encoded in the response headers exactly as PCS sends them.
 */
class OnlinePcsTest {
  static final Instant AT = Instant.ofEpochSecond(1752919234L);
  @TempDir Path cache;
  private HttpServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  record Response(byte[] body, String header, String chain) {}

  @Test
  void dcapQvlQuote_withNothingButTheFakePccs_isUpToDate() throws Exception {
    JsonNode j = new ObjectMapper().readTree(TdxVectors.read("dcap-qvl/tdx_quote_collateral.json"));
    String fmspc = new ObjectMapper().readTree(j.get("tcb_info").textValue()).get("fmspc").textValue();
    Map<String, Response> routes = Map.of(
        "/tdx/certification/v4/tcb?fmspc=" + fmspc.toUpperCase(), new Response(SignedCollateral.encodeResponse("tcbInfo",
            Bytes.of(j.get("tcb_info").textValue().getBytes(StandardCharsets.UTF_8)), Bytes.fromHex(j.get("tcb_info_signature").textValue())),
            "TCB-Info-Issuer-Chain", j.get("tcb_info_issuer_chain").textValue()),
        "/tdx/certification/v4/qe/identity", new Response(SignedCollateral.encodeResponse("enclaveIdentity",
            Bytes.of(j.get("qe_identity").textValue().getBytes(StandardCharsets.UTF_8)),
            Bytes.fromHex(j.get("qe_identity_signature").textValue())),
            "SGX-Enclave-Identity-Issuer-Chain", j.get("qe_identity_issuer_chain").textValue()),
        "/sgx/certification/v4/pckcrl?ca=platform&encoding=der", new Response(HexFormat.of().parseHex(j.get("pck_crl").textValue()),
            "SGX-PCK-CRL-Issuer-Chain", j.get("pck_crl_issuer_chain").textValue()),
        "/sgx/certification/v4/rootcacrl", new Response(HexFormat.of().parseHex(j.get("root_ca_crl").textValue()), null, null));
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", ex -> {
      Response r = routes.get(ex.getRequestURI().toString());
      if (r == null) {
        ex.sendResponseHeaders(404, -1);
      } else {
        if (r.header() != null) {
          ex.getResponseHeaders().add(r.header(), URLEncoder.encode(r.chain(), StandardCharsets.US_ASCII).replace("+", "%20"));
        }
        ex.sendResponseHeaders(200, r.body().length);
        ex.getResponseBody().write(r.body());
      }
      ex.close();
    });
    server.start();
    URI base = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    CollateralFetcher fetcher = new CollateralFetcher(new CollateralFetcher.Config(base, base, Duration.ofSeconds(5), 1,
        Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofDays(1)), cache, HttpClient.newHttpClient(),
        Clock.fixed(AT, ZoneOffset.UTC), d -> { });
    Verifiers verifiers = new Verifiers(VerifiedCache.defaultCache(), Clock.systemUTC()).register(new TdxVerifier());
    Verdict v = verifiers.verify(VerificationRequest.builder().evidence(TdxVectors.read("dcap-qvl/tdx_quote")).at(AT)
        .fetchOnline(fetcher).build());
    assertThat(v.failures()).isEmpty();
    assertThat(v.notRun()).isEmpty();
    assertThat(v.status()).isEqualTo(TrustStatus.AFFIRMING);
    assertThat(v.tcb().status()).isEqualTo("UpToDate");
  }
}
