package io.guestmem.attestation.ear;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.guestmem.attestation.Appraisal;
import io.guestmem.attestation.Ar4siClaim;
import io.guestmem.attestation.Reason;
import io.guestmem.attestation.TcbSummary;
import io.guestmem.attestation.Verdict;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EarTokensTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");
  private static final VerifierKey KEY = VerifierKey.generate();

  private static Verdict verdict(boolean sigOk) {
    Appraisal a = new Appraisal("snp", NOW);
    a.signatureValid(sigOk);
    a.check("snp.report.signature", Ar4siClaim.HARDWARE, sigOk, Reason.SIGNATURE_INVALID, "");
    a.pass("snp.policy.measurement", Ar4siClaim.EXECUTABLES, "");
    a.tcb(new TcbSummary("OutOfDate", null, null, List.of(), List.of("snp"), Map.of()));
    a.claim("measurement", "00");
    return a.toVerdict("policy://test");
  }

  private static String reason(ThrowingRunnable r) {
    try {
      r.run();
      throw new AssertionError("expected an EarException");
    } catch (EarException e) {
      return e.reason();
    }
  }

  interface ThrowingRunnable {
    void run() throws EarException;
  }

  @Test
  void signedEar_verifiesWithThePublishedJwks_andCarriesTheVerdict() throws Exception {
    String token = new EarTokens(KEY, "guestmem test").sign(verdict(true), new byte[] {1, 2, 3}, NOW);
    Map<String, Object> claims = EarTokens.verify(token, KEY.jwks(), NOW.plusSeconds(60));
    JsonNode json = new ObjectMapper().valueToTree(claims);
    assertThat(json.get("eat_profile").asText()).isEqualTo(EarTokens.PROFILE);
    assertThat(json.get("eat_nonce").asText()).isEqualTo("AQID");
    JsonNode snp = json.get("submods").get("snp");
    assertThat(snp.get("ear.status").asText()).isEqualTo("warning");
    assertThat(snp.get("ear.trustworthiness-vector").get("hardware").asInt()).isEqualTo(32);
    assertThat(snp.get("ear.trustworthiness-vector").get("executables").asInt()).isEqualTo(2);
    assertThat(snp.get("ear.appraisal-policy-id").asText()).isEqualTo("policy://test");
    assertThat(snp.get("ear.guestmem.verdict").get("checks").get(0).get("id").asText()).isEqualTo("snp.report.signature");
  }

  @Test
  void contraindicatedVerdict_hasContraindicatedHardwareTier() throws Exception {
    String token = new EarTokens(KEY, "t").sign(verdict(false), null, NOW);
    JsonNode json = new ObjectMapper().valueToTree(EarTokens.verify(token, KEY.jwks(), NOW));
    assertThat(json.get("submods").get("snp").get("ear.status").asText()).isEqualTo("contraindicated");
    assertThat(json.get("submods").get("snp").get("ear.trustworthiness-vector").get("hardware").asInt()).isEqualTo(96);
  }

  @Test
  void tokenNegatives_haveStableReasons() throws Exception {
    String token = new EarTokens(KEY, "t").sign(verdict(true), null, NOW);
    String otherJwks = VerifierKey.generate().jwks();
    assertThat(reason(() -> EarTokens.verify("", KEY.jwks(), NOW))).isEqualTo("token_empty");
    assertThat(reason(() -> EarTokens.verify("abc.def", KEY.jwks(), NOW))).isEqualTo("token_malformed");
    assertThat(reason(() -> EarTokens.verify(token, otherJwks, NOW))).isEqualTo("kid_unknown");
    assertThat(reason(() -> EarTokens.verify(token, "{\"keys\":[{\"kty\":1}]}", NOW))).isEqualTo("jwks_malformed");
    assertThat(reason(() -> EarTokens.verify(token, KEY.jwks(), NOW.plusSeconds(3600)))).isEqualTo("token_expired");
    String[] parts = token.split("\\.");
    String tampered = parts[0] + "." + parts[1].substring(0, parts[1].length() - 4) + "AAAA." + parts[2];
    assertThat(reason(() -> EarTokens.verify(tampered, KEY.jwks(), NOW))).isIn("signature_invalid", "token_malformed");
    String noKid = com.nimbusds.jose.util.Base64URL.encode("{\"alg\":\"ES384\"}").toString() + "." + parts[1] + "." + parts[2];
    assertThat(reason(() -> EarTokens.verify(noKid, KEY.jwks(), NOW))).isEqualTo("kid_missing");
  }

  @Test
  void verdictJson_hasTheDocumentedKeys() {
    String json = VerdictJson.toJson(verdict(true));
    for (String key : List.of("\"tee\"", "\"status\"", "\"signatureValid\"", "\"tcbStatus\"", "\"advisories\"",
        "\"checks\"", "\"claims\"", "\"notRun\"")) {
      assertThat(json).contains(key);
    }
  }
}
