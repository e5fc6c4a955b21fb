package io.guestmem.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The emulate and verify commands together: emulated evidence is affirmed only with its roots trusted explicitly. */
class EmulateAndVerifyCommandTest {
  @TempDir Path tmp;

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(new PrintWriter(out));
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  static JsonNode json(String s) throws Exception {
    return new ObjectMapper().readTree(s);
  }

  @Test
  void emulatedTdxQuoteVerifiesOnlyWithTheEmulatedRootTrusted() throws Exception {
    Path out = tmp.resolve("tdx");
    Run e = run("emulate", "tdx", "--out", out.toString(), "--quote-version", "5", "--report-data", "cafe", "--seed", "11",
        "--issue-time", "2026-11-01T00:00:00Z");
    assertThat(e.exit()).as(e.err()).isZero();
    assertThat(e.out()).contains("TDG.VP.VMCALL<MapGPA>", "TDG.MR.REPORT", "quote v5");
    assertThat(out.resolve("quote.bin")).exists();

    Run untrusted = run("verify", out.resolve("quote.bin").toString(), "--format", "json", "--at", "2026-11-10T00:00:00Z");
    assertThat(untrusted.exit()).as(untrusted.err()).isEqualTo(VerifyCommand.EXIT_NOT_VERIFIED);
    JsonNode u = json(untrusted.out());
    assertThat(u.get("status").asText()).isEqualTo("contraindicated");
    assertThat(u.get("checks").toString()).contains("untrusted_root");

    Run trusted = run("verify", out.resolve("quote.bin").toString(), "--format", "json", "--at", "2026-11-10T00:00:00Z",
        "--trust-emulated-roots", out.resolve("roots").toString());
    assertThat(trusted.exit()).as(trusted.err()).isZero();
    JsonNode t = json(trusted.out());
    assertThat(t.get("tee").asText()).isEqualTo("tdx");
    assertThat(t.get("signatureValid").asBoolean()).isTrue();
    assertThat(t.get("emulated").asBoolean()).isTrue();
    assertThat(t.get("claims").get("reportData").asText()).startsWith("cafe00");

    // with the collateral the emulator wrote, the platform TCB, QE identity and CRLs are evaluated too
    Run full = run("verify", out.resolve("quote.bin").toString(), "--format", "json", "--at", "2026-11-10T00:00:00Z",
        "--collateral", out.resolve("collateral").toString(), "--trust-emulated-roots", out.resolve("roots").toString());
    assertThat(full.exit()).as(full.err()).isZero();
    JsonNode f = json(full.out());
    assertThat(f.get("status").asText()).isEqualTo("affirming");
    assertThat(f.get("tcbStatus").asText()).isEqualTo("UpToDate");
    assertThat(f.get("notRun")).isEmpty();
  }

  @Test
  void emulatedSnpReportVerifiesOnlyWithTheEmulatedRootTrusted() throws Exception {
    Path out = tmp.resolve("snp");
    Run e = run("emulate", "snp", "--out", out.toString(), "--product", "Genoa", "--report-version", "3", "--seed", "5");
    assertThat(e.exit()).as(e.err()).isZero();
    assertThat(e.out()).contains("PVALIDATE", "MSG_REPORT_REQ");
    Path report = out.resolve("report.bin");
    assertThat(Files.size(report)).isEqualTo(1184);

    Run untrusted = run("verify", report.toString(), "--collateral", out.resolve("kds").toString(), "--format", "json");
    assertThat(untrusted.exit()).isEqualTo(VerifyCommand.EXIT_NOT_VERIFIED);
    assertThat(json(untrusted.out()).get("checks").toString()).contains("untrusted_root");

    Run trusted = run("verify", report.toString(), "--collateral", out.resolve("kds").toString(),
        "--trust-emulated-roots", out.resolve("roots").toString(), "--format", "json");
    assertThat(trusted.exit()).as(trusted.out() + trusted.err()).isZero();
    JsonNode t = json(trusted.out());
    assertThat(t.get("tee").asText()).isEqualTo("snp");
    assertThat(t.get("emulated").asBoolean()).isTrue();
    assertThat(t.get("status").asText()).isEqualTo("affirming");
  }

  @Test
  void earFormatIsASignedJwtVerifiableWithThePublishedJwks() throws Exception {
    Path out = tmp.resolve("snp-ear");
    assertThat(run("emulate", "snp", "--out", out.toString(), "--seed", "9").exit()).isZero();
    Path jwks = tmp.resolve("jwks.json");
    Run ear = run("verify", out.resolve("report.bin").toString(), "--collateral", out.resolve("kds").toString(),
        "--trust-emulated-roots", out.resolve("roots").toString(), "--format", "ear", "--jwks-out", jwks.toString());
    assertThat(ear.exit()).as(ear.err()).isZero();
    String token = ear.out().trim();
    assertThat(token.split("\\.")).hasSize(3);
    var claims = io.guestmem.attestation.ear.EarTokens.verify(token, Files.readString(jwks), java.time.Instant.now());
    assertThat(claims).containsKey("submods");
  }

  @Test
  void usageAndInputErrorsExitTwo() {
    assertThat(run("verify", tmp.resolve("missing.bin").toString()).exit()).isEqualTo(Main.EXIT_USAGE);
    assertThat(run("verify", "x", "--format", "xml").exit()).isEqualTo(Main.EXIT_USAGE);
    assertThat(run("emulate", "snp", "--out", tmp.toString(), "--product", "Naples").exit()).isEqualTo(Main.EXIT_USAGE);
    assertThat(run("emulate", "tdx", "--out", tmp.toString(), "--report-data", "00".repeat(65)).exit()).isEqualTo(Main.EXIT_USAGE);
  }
}
