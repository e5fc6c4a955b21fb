package io.guestmem.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.StatusRuntimeException;
import io.guestmem.rpc.auth.TestPki;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.errors.ErrorMapper;
import io.guestmem.rpc.v1.CloseLeaseRequest;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.LeaseMode;
import io.guestmem.rpc.v1.OpenLeaseRequest;
import io.guestmem.rpc.v1.TeeKind;
import io.guestmem.memory.Owner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code guestmem serve} as a process: SIGHUP reads the config file's client-certificate settings
 * again (here: a new operator mapping) and applies them to new connections; a config file that no
 * longer parses leaves the running settings as they were.
 */
class ServeReloadTest {
  @TempDir Path tmp;

  private static final OpenLeaseRequest OPEN = OpenLeaseRequest.newBuilder().setSizeBytes(2L << 20)
      .setMode(LeaseMode.LEASE_MODE_OWNED).setTeeKind(TeeKind.TEE_KIND_NONE).build();

  /** Whether the certificate's holder may open (and then closes) a lease over TCP. */
  private static boolean isOperator(Path stateDir, Path[] cert) throws Exception {
    try (ServiceClient c = ServiceClient.connectTcp(stateDir, cert[0], cert[1])) {
      GuestMemoryGrpc.GuestMemoryBlockingStub m = GuestMemoryGrpc.newBlockingStub(c.channel()).withDeadlineAfter(20, TimeUnit.SECONDS);
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> {
        String id = m.openLease(OPEN).getLease().getLeaseId();
        m.closeLease(CloseLeaseRequest.newBuilder().setLeaseId(id).build());
      });
      if (e == null) {
        return true;
      }
      assertThat(ErrorMapper.reasonOf(e)).hasValue(ErrorMapper.LOCAL_CALLERS_ONLY);
      return false;
    }
  }

  private static void hangUp(Process p) throws Exception {
    Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(p.pid())).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).isZero();
  }

  @Test
  void sighupReloadsTheClientCertificateSettingsFromTheConfigFile() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    TestPki.Issued ca = TestPki.rootCa("reload clients");
    Files.writeString(tmp.resolve("client-ca.pem"), TestPki.pem(ca.certificate()));
    TestPki.Issued console = TestPki.client(ca, "console", TestPki.Profile.client());
    Path[] cert = console.write(tmp, "console");
    Path cfg = tmp.resolve("guestmem.json");
    String base = "\"tlsClientCa\": \"client-ca.pem\", \"tlsClientAuth\": \"optional\", \"backend\": \"emulated\","
        + " \"listen\": \"127.0.0.1:0\", \"metrics\": \"off\", \"drainSeconds\": 1";
    Files.writeString(cfg, "{" + base + "}");
    Path state = tmp.resolve("state");
    Path log = tmp.resolve("serve.log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // SIGHUP back to its default first: a build started under nohup would hand an ignored SIGHUP
    // down to the service, and the JVM leaves an ignored signal ignored (serve then warns)
    Process p = new ProcessBuilder(List.of("python3", "-c", "import os, signal, sys; signal.signal(signal.SIGHUP, signal.SIG_DFL); "
        + "os.execv(sys.argv[1], sys.argv[1:])", java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        "io.guestmem.cli.Main", "serve", "--state-dir", state.toString(), "--config", cfg.toString()))
        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!Files.exists(state.resolve("endpoints.json")) && System.nanoTime() < deadline && p.isAlive()) {
        Thread.sleep(100);
      }
      assertThat(Files.exists(state.resolve("endpoints.json"))).as("serving; log:%n%s", Files.readString(log)).isTrue();
      assertThat(isOperator(state, cert)).isFalse();
      assertThat(Files.readString(log)).contains("  durability  process-crash (acknowledged changes survive the process being killed");

      Files.writeString(cfg, "{" + base + ", \"tlsOperator\": [{\"sha256\": \"" + console.sha256() + "\", \"uid\": " + Owner.self().uid()
          + ", \"name\": \"console\"}]}");
      hangUp(p);
      boolean operator = false;
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (!operator && System.nanoTime() < deadline) {
        operator = isOperator(state, cert);
        if (!operator) {
          Thread.sleep(200);
        }
      }
      assertThat(operator).as("an operator after SIGHUP; log:%n%s", Files.readString(log)).isTrue();
      assertThat(Files.readString(log)).contains("tls client settings reloaded: client certificates optional, 1 operator mapping(s)");

      // the mode too: optional -> require, announced in endpoints.json
      Files.writeString(cfg, "{" + base.replace("\"optional\"", "\"require\"") + ", \"tlsOperator\": [{\"sha256\": \"" + console.sha256()
          + "\", \"uid\": " + Owner.self().uid() + ", \"name\": \"console\"}]}");
      hangUp(p);
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (!Files.readString(state.resolve("endpoints.json")).contains("\"require\"") && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(state.resolve("endpoints.json").toFile()).path("tlsClientAuth").asText())
          .as("log:%n%s", Files.readString(log)).isEqualTo("require");
      assertThat(isOperator(state, cert)).isTrue();

      Files.writeString(cfg, "{ not json");
      hangUp(p);
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (!Files.readString(log).contains("not reloaded") && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(Files.readString(log)).contains("SIGHUP: tls client settings not reloaded, the previous ones stay");
      assertThat(isOperator(state, cert)).isTrue();
      assertThat(p.isAlive()).isTrue();
    } finally {
      p.destroy();
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
  }
}
