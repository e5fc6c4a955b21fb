package io.guestmem.cli;

import static io.guestmem.cli.EmulateAndVerifyCommandTest.json;
import static io.guestmem.cli.EmulateAndVerifyCommandTest.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.guestmem.cli.EmulateAndVerifyCommandTest.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code guestmem verify}: the exit code follows the verdict (0 affirming or warning, 3
 * contraindicated, 2 input errors), so {@code guestmem verify … && trust} never trusts evidence
 * whose verdict says a check failed, be it a signature, a TCB level, a policy rule or the nonce.
 */
class VerifyCommandTest {
  @TempDir static Path tmp;
  static Path snp;

  @BeforeAll
  static void emulate() {
    snp = tmp.resolve("snp");
    Run e = run("emulate", "snp", "--out", snp.toString(), "--product", "Genoa", "--report-data", "cafe", "--seed", "7");
    assertThat(e.exit()).as(e.err()).isZero();
  }

  static Run verifySnp(String... extra) {
    String[] base = {"verify", snp.resolve("report.bin").toString(), "--collateral", snp.resolve("kds").toString(),
        "--trust-emulated-roots", snp.resolve("roots").toString(), "--format", "json"};
    String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    return run(args);
  }

  @Test
  void affirmingVerdictExitsZero() throws Exception {
    Run ok = verifySnp("--nonce", "cafe");
    assertThat(ok.exit()).as(ok.out() + ok.err()).isZero();
    assertThat(json(ok.out()).get("status").asText()).isEqualTo("affirming");
  }

  @Test
  void nonceMismatchIsContraindicatedAndExitsThree() throws Exception {
    Run replay = verifySnp("--nonce", "beef");
    JsonNode v = json(replay.out());
    assertThat(v.get("status").asText()).isEqualTo("contraindicated");
    assertThat(v.get("signatureValid").asBoolean()).isTrue();
    assertThat(v.get("checks").toString()).contains("nonce_mismatch");
    assertThat(replay.exit()).isEqualTo(VerifyCommand.EXIT_NOT_VERIFIED);
  }

  @Test
  void referenceValueMismatchExitsThree() throws Exception {
    Path policy = tmp.resolve("measurement.json");
    Files.writeString(policy, "{\"id\":\"policy://test/m\",\"snp\":{\"measurements\":[\"" + "00".repeat(48) + "\"]}}");
    Run r = verifySnp("--policy", policy.toString());
    JsonNode v = json(r.out());
    assertThat(v.get("status").asText()).isEqualTo("contraindicated");
    assertThat(v.get("checks").toString()).contains("reference_value_mismatch");
    assertThat(r.exit()).isEqualTo(VerifyCommand.EXIT_NOT_VERIFIED);
  }

  @Test
  void belowMinimumExitsThree() throws Exception {
    Path policy = tmp.resolve("minimum.json");
    Files.writeString(policy, "{\"id\":\"policy://test/min\",\"snp\":{\"minimumGuestSvn\":200}}");
    Run r = verifySnp("--policy", policy.toString());
    JsonNode v = json(r.out());
    assertThat(v.get("status").asText()).isEqualTo("contraindicated");
    assertThat(v.get("checks").toString()).contains("below_minimum");
    assertThat(r.exit()).isEqualTo(VerifyCommand.EXIT_NOT_VERIFIED);
  }

  @Test
  void warningVerdictExitsZero() throws Exception {
    // without the KDS CRL revocation is not checked: nothing failed, a check did not run
    Path kds = snp.resolve("kds");
    Path noCrl = tmp.resolve("kds-no-crl");
    try (var files = Files.walk(kds)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path to = noCrl.resolve(kds.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(to);
        } else if (!f.getFileName().toString().equals("crl")) {
          Files.copy(f, to);
        }
      }
    }
    Run r = run("verify", snp.resolve("report.bin").toString(), "--collateral", noCrl.toString(),
        "--trust-emulated-roots", snp.resolve("roots").toString(), "--format", "json");
    JsonNode v = json(r.out());
    assertThat(v.get("status").asText()).as(r.out()).isEqualTo("warning");
    assertThat(r.exit()).isZero();
  }

  /** The audit's repro: a real Genoa report with a nonce it was not made for. */
  @Test
  void realReportWithAnotherNonceExitsThree() throws Exception {
    Path vectors = Path.of("..", "..", "shared", "vectors").toAbsolutePath().normalize();
    Path report = vectors.resolve("routex-client-lua/DERIVED.attestation_spec.genoa-v5.report.bin");
    assumeTrue(Files.exists(report), "real vectors not present at " + vectors);
    Run r = run("verify", report.toString(),
        "--cert", vectors.resolve("routex-client-lua/vcek-chain-genoa-v5.pem").toString(),
        "--crl", vectors.resolve("cyntrisec-kds/Genoa/crl.der").toString(),
        "--at", "2026-04-12T00:00:00Z", "--nonce", "00", "--format", "json");
    JsonNode v = json(r.out());
    assertThat(v.get("signatureValid").asBoolean()).isTrue();
    assertThat(v.get("status").asText()).isEqualTo("contraindicated");
    assertThat(v.get("checks").toString()).contains("nonce_mismatch");
    assertThat(r.exit()).isEqualTo(VerifyCommand.EXIT_NOT_VERIFIED);
  }

  /** An EAR for an appraisal in the past is issued now: iat/exp are the wall clock, --at is appraisedAt. */
  @Test
  void earIssuedWithAtIsValidNowAndCarriesTheAppraisalTime() throws Exception {
    Path tdx = tmp.resolve("tdx-ear");
    Run e = run("emulate", "tdx", "--out", tdx.toString(), "--seed", "3", "--issue-time", "2026-11-01T00:00:00Z");
    assertThat(e.exit()).as(e.err()).isZero();
    Path jwks = tmp.resolve("tdx-jwks.json");
    java.time.Instant before = java.time.Instant.now().minusSeconds(1);
    Run ear = run("verify", tdx.resolve("quote.bin").toString(), "--collateral", tdx.resolve("collateral").toString(),
        "--trust-emulated-roots", tdx.resolve("roots").toString(), "--at", "2026-11-02T00:00:00Z",
        "--format", "ear", "--jwks-out", jwks.toString());
    java.time.Instant after = java.time.Instant.now().plusSeconds(1);
    assertThat(ear.exit()).as(ear.err()).isZero();
    var claims = io.guestmem.attestation.ear.EarTokens.verify(ear.out().trim(), Files.readString(jwks), java.time.Instant.now());
    java.time.Instant iat = ((java.util.Date) claims.get("iat")).toInstant();
    assertThat(iat).isBetween(before.truncatedTo(java.time.temporal.ChronoUnit.SECONDS), after);
    assertThat(((java.util.Date) claims.get("exp")).toInstant()).isEqualTo(iat.plus(java.time.Duration.ofMinutes(30)));
    @SuppressWarnings("unchecked")
    var submod = (java.util.Map<String, Object>) ((java.util.Map<String, Object>) claims.get("submods")).get("tdx");
    @SuppressWarnings("unchecked")
    var verdict = (java.util.Map<String, Object>) submod.get("ear.guestmem.verdict");
    assertThat(verdict.get("appraisedAt")).isEqualTo("2026-11-02T00:00:00Z");
    assertThat(submod.get("ear.status")).isEqualTo("affirming");
  }

  /** Input errors exit 2 and say, with a reason code, which argument or file is wrong and why. */
  @Test
  void inputErrorsNameTheArgumentAndTheCause() throws Exception {
    String report = snp.resolve("report.bin").toString();
    Run nonce = run("verify", report, "--nonce", "zz");
    assertThat(nonce.exit()).isEqualTo(Main.EXIT_USAGE);
    assertThat(nonce.err().trim()).isEqualTo("guestmem verify: bad_argument: --nonce is not an even number of hexadecimal digits: zz");

    Run odd = run("verify", report, "--nonce", "abc");
    assertThat(odd.exit()).isEqualTo(Main.EXIT_USAGE);
    assertThat(odd.err()).contains("bad_argument: --nonce");

    Run offset = run("verify", report, "--report-offset", "-5");
    assertThat(offset.exit()).isEqualTo(Main.EXIT_USAGE);
    assertThat(offset.err().trim()).isEqualTo("guestmem verify: bad_argument: --report-offset must not be negative: -5");

    Run at = run("verify", report, "--at", "yesterday");
    assertThat(at.exit()).isEqualTo(Main.EXIT_USAGE);
    assertThat(at.err()).contains("bad_argument: --at is not RFC 3339");

    Path missing = tmp.resolve("nonexistent.bin");
    Run file = run("verify", missing.toString());
    assertThat(file.exit()).isEqualTo(Main.EXIT_USAGE);
    assertThat(file.err().trim()).isEqualTo("guestmem verify: bad_file: cannot read " + missing + ": no such file");

    Path empty = Files.write(tmp.resolve("empty.bin"), new byte[0]);
    Run none = run("verify", empty.toString());
    assertThat(none.exit()).isEqualTo(Main.EXIT_USAGE);
    assertThat(none.err()).contains("evidence file " + empty + " is empty (0 bytes)").doesNotContain("beyond");

    Run key = run("verify", report, "--format", "ear", "--ear-key", tmp.resolve("no/such/dir/key.jwk").toString());
    assertThat(key.exit()).isEqualTo(Main.EXIT_USAGE);
    assertThat(key.err()).contains("bad_file: ", "no such file or directory");
  }

  @Test
  void helpStatesTheOneExitRule() {
    Run help = run("verify", "--help");
    String text = help.out().replaceAll("\\s+", " ");
    assertThat(text).contains("Exit: 0 status affirming or warning (no check failed); 3 status contraindicated (some check failed,"
        + " including TCB level, policy, reference values and nonce); 2 usage or input error.").doesNotContain("authentic");
  }
}
