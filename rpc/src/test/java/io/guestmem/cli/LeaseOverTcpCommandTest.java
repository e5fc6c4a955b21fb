package io.guestmem.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.guestmem.memory.Owner;
import io.guestmem.rpc.auth.ClientCertificateVerifier;
import io.guestmem.rpc.auth.TestPki;
import io.guestmem.rpc.auth.TlsClientAuth;
import io.guestmem.rpc.auth.TlsOperator;
import io.guestmem.rpc.auth.TlsOperators;
import io.guestmem.rpc.server.GuestmemServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The lease and health commands over TCP with a client certificate, against a real mTLS listener. */
class LeaseOverTcpCommandTest {
  @TempDir static Path tmp;
  static Path state;
  static GuestmemServer server;
  static Path[] operator;
  static Path[] relyingParty;

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int exit = cl.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @BeforeAll
  static void start() throws Exception {
    TestPki.Issued ca = TestPki.rootCa("clients");
    Path bundle = tmp.resolve("ca.pem");
    Files.writeString(bundle, new String(java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encode(ca.certificate().getEncoded()))
        .transform(b64 -> "-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n"));
    TestPki.Issued op = TestPki.client(ca, "ops", TestPki.Profile.client());
    operator = op.write(tmp, "ops");
    relyingParty = TestPki.client(ca, "rp", TestPki.Profile.client()).write(tmp, "rp");
    state = tmp.resolve("state");
    server = new GuestmemServer(GuestmemServer.Options.defaults(state).withTcp("127.0.0.1", 0).withBackend("emulated").withMetrics("127.0.0.1", -1)
        .withClientAuth(new TlsClientAuth(TlsClientAuth.Mode.OPTIONAL, ClientCertificateVerifier.fromPem(bundle, Clock.systemUTC()),
            new TlsOperators(List.of(TlsOperator.parse("sha256=" + op.sha256() + ",uid=" + Owner.self().uid()))))));
    server.start();
  }

  @AfterAll
  static void stop() throws Exception {
    server.shutdown(2);
  }

  @Test
  void anOperatorCertificateDrivesALeaseFromTheCommandLine() throws Exception {
    String[] tls = {"--state-dir", state.toString(), "--tls-cert", operator[0].toString(), "--tls-key", operator[1].toString()};
    Run open = run(concat(new String[] {"lease", "open", "--size", "2MiB", "--json"}, tls));
    assertThat(open.exit()).as(open.err()).isZero();
    String id = new ObjectMapper().readTree(open.out()).get("lease").asText();
    Run convert = run(concat(new String[] {"lease", "convert", id, "--offset", "4KiB", "--length", "4KiB", "--to", "shared"}, tls));
    assertThat(convert.exit()).as(convert.err()).isZero();
    Run show = run(concat(new String[] {"lease", "show", id, "--json"}, tls));
    JsonNode ranges = new ObjectMapper().readTree(show.out()).get("ranges");
    assertThat(ranges.get(1).get("offset").asLong()).isEqualTo(4096);
    assertThat(ranges.get(1).get("state").asText()).isEqualTo("SHARED");
    // the same over an explicit address and pin, without endpoints.json
    Run close = run("lease", "close", id, "--state-dir", tmp.resolve("nowhere").toString(), "--tcp", server.endpoints().tcp(),
        "--tls-server-sha256", server.endpoints().tlsCertSha256(), "--tls-cert", operator[0].toString(), "--tls-key", operator[1].toString());
    assertThat(close.exit()).as(close.err()).isZero();
    Run health = run(concat(new String[] {"health"}, tls));
    assertThat(health.exit()).isZero();
    assertThat(health.out()).contains("SERVING");
  }

  @Test
  void anUnmappedCertificateIsRefusedWithTheReason() {
    Run open = run("lease", "open", "--size", "2MiB", "--state-dir", state.toString(),
        "--tls-cert", relyingParty[0].toString(), "--tls-key", relyingParty[1].toString());
    assertThat(open.exit()).isEqualTo(LeaseCommand.EXIT_REFUSED);
    assertThat(open.err()).contains("PERMISSION_DENIED LOCAL_CALLERS_ONLY").contains("not mapped to an operator");
    // health is for everyone
    assertThat(run("health", "--state-dir", state.toString(), "--tls-cert", relyingParty[0].toString(), "--tls-key", relyingParty[1].toString())
        .exit()).isZero();
  }

  @Test
  void halfGivenConnectionOptionsAreExplained() {
    Run noKey = run("lease", "show", "x", "--state-dir", state.toString(), "--tls-cert", operator[0].toString());
    assertThat(noKey.exit()).isEqualTo(LeaseCommand.EXIT_REFUSED);
    assertThat(noKey.err()).contains("--tls-cert and --tls-key go together");
    Run noPin = run("lease", "show", "x", "--state-dir", state.toString(), "--tcp", "127.0.0.1:1",
        "--tls-cert", operator[0].toString(), "--tls-key", operator[1].toString());
    assertThat(noPin.err()).contains("--tcp and --tls-server-sha256 go together");
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }
}
