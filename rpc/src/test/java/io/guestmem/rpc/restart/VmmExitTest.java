package io.guestmem.rpc.restart;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.memory.HostProbe;
import io.guestmem.memory.LeaseStatus;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.server.GuestmemServer;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.GuestMemoryGrpc.GuestMemoryBlockingStub;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A VMM that dies (kill -9): by default its leases are kept, states and memory intact; with a
 * grace period configured they are released once it has passed and the host's accounting drops.
 */
class VmmExitTest {
  private static final long MIB = 1L << 20;
  @TempDir Path tmp;
  private GuestmemServer server;
  private Process vmm;

  @AfterEach
  void stop() throws Exception {
    if (vmm != null) {
      vmm.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdown(2);
    }
  }

  private Path start(Duration grace) throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    Path stateDir = tmp.resolve("state");
    server = new GuestmemServer(GuestmemServer.Options.defaults(stateDir).withoutTcp().withBackend(HostProbe.probe().defaultBackend())
        .withMetrics("127.0.0.1", -1)).withVmmExitGrace(grace);
    server.start();
    return stateDir;
  }

  /** Runs {@link ExitingVmm}; returns the lease it opened once its memory is allocated. */
  private String vmmOpensALease(Path stateDir) throws Exception {
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    vmm = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), ExitingVmm.class.getName(), stateDir.toString(),
        Long.toString(MIB)).redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(vmm.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
      try {
        for (String l = out.readLine(); l != null; l = out.readLine()) {
          if (l.startsWith("lease ")) {
            return l.substring("lease ".length());
          }
        }
        return null;
      } catch (java.io.IOException e) {
        return null;
      }
    });
    String id = line.get(40, TimeUnit.SECONDS);
    assertThat(id).as("the VMM opened a lease").isNotNull();
    return id;
  }

  private void killVmm() throws Exception {
    vmm.destroyForcibly();
    assertThat(vmm.waitFor(20, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void byDefaultTheLeasesOfAVmmThatDiedAreKeptIntact() throws Exception {
    Path stateDir = start(null);
    String id = vmmOpensALease(stateDir);
    long allocated = server.engine().allocatedBytes();
    assertThat(allocated).isGreaterThanOrEqualTo(MIB);
    killVmm();
    // the VMM is gone; give a (hypothetical) reaper far more than a tick to act
    Thread.sleep(1500);
    assertThat(server.engine().info(id).status()).isEqualTo(LeaseStatus.OPEN);
    assertThat(server.engine().info(id).allocatedPrivateBytes()).isEqualTo(MIB);
    assertThat(server.engine().allocatedBytes()).isEqualTo(allocated);
  }

  @Test
  void withAGracePeriodTheyAreReleasedAfterItAndAccountingDrops() throws Exception {
    Path stateDir = start(Duration.ofMillis(300));
    String id = vmmOpensALease(stateDir);
    // a lease of a live owner (this process) is never touched
    String mine;
    try (ServiceClient client = ServiceClient.connect(stateDir)) {
      GuestMemoryBlockingStub stub = GuestMemoryGrpc.newBlockingStub(client.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
      mine = Leases.open(stub, MIB).getLease().getLeaseId();
    }
    long allocated = server.engine().allocatedBytes();
    assertThat(allocated).isGreaterThanOrEqualTo(MIB);
    killVmm();
    long deadline = System.currentTimeMillis() + 20_000;
    while (server.engine().info(id).status() != LeaseStatus.CLOSED && System.currentTimeMillis() < deadline) {
      Thread.sleep(50);
    }
    assertThat(server.engine().info(id).status()).isEqualTo(LeaseStatus.CLOSED);
    assertThat(server.engine().allocatedBytes()).isEqualTo(allocated - MIB);
    assertThat(stateDir.resolve("reattach").resolve(id + ".sha256")).doesNotExist();
    assertThat(server.engine().info(mine).status()).isEqualTo(LeaseStatus.OPEN);
  }
}
