package io.guestmem.rpc.restart;

import static io.guestmem.rpc.restart.Leases.PAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.guestmem.memory.HostProbe;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.GuestMemoryGrpc.GuestMemoryBlockingStub;
import io.guestmem.rpc.v1.LeaseStatus;
import io.guestmem.rpc.v1.PageState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real {@code guestmem serve} under a harness playing systemd: READY=1 with MAINPID, watchdog
 * pings, STOPPING=1 on SIGTERM and a bounded drain, lease fds left in the store by a clean stop,
 * and taken back by the next start (what {@code systemctl restart} does).
 */
class SystemdLifecycleTest {
  private static final long MIB = 1L << 20;
  @TempDir Path tmp;

  @Test
  void readyWatchdogStoppingAndACleanRestartThatKeepsTheLease() throws Exception {
    assumeTrue("kvm".equals(HostProbe.probe().defaultBackend()), "no /dev/kvm with guest_memfd: skipped");
    assumeTrue(KillAndRestartTest.python3HasRecvFds(), "python3 with socket.recv_fds (3.9+) is needed for the LISTEN_FDS shim: skipped");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    Path stateDir = tmp.resolve("state");
    Path log = tmp.resolve("serve.log");
    try (ServiceManagerHarness manager = new ServiceManagerHarness(tmp.resolve("notify.sock"))) {
      String id;
      PageState[] before;
      try (ServiceProcess service = ServiceProcess.start(stateDir, manager.address(), Map.of("WATCHDOG_USEC", "200000"), log)) {
        assertThat(manager.awaitMessage("READY=1", 10_000)).isTrue();
        assertThat(manager.messages()).anyMatch(m -> m.contains("MAINPID=" + service.pid()) && m.contains("STATUS=serving"));
        assertThat(manager.awaitMessage("WATCHDOG=1", 10_000)).isTrue();
        try (ServiceClient client = ServiceClient.connect(stateDir)) {
          GuestMemoryBlockingStub stub = GuestMemoryGrpc.newBlockingStub(client.channel()).withDeadlineAfter(20, TimeUnit.SECONDS);
          id = Leases.open(stub, 2 * MIB).getLease().getLeaseId();
          Leases.convert(stub, id, 4 * PAGE, 8 * PAGE, PageState.PAGE_STATE_SHARED);
          before = Leases.pages(stub, id);
        }
        assertThat(manager.awaitStore(Set.of(id + ".private", id + ".shared"), 10_000)).isTrue();
        OptionalInt exit = service.terminate(20);
        assertThat(exit).as("serve exits on SIGTERM within its drain deadline").isPresent();
        assertThat(manager.messages()).anyMatch(m -> m.lines().anyMatch("STOPPING=1"::equals));
      }
      // a clean stop leaves the fds in the store; the next start takes them back
      assertThat(manager.storedNames()).containsExactlyInAnyOrder(id + ".private", id + ".shared");
      assertThat(Files.exists(stateDir.resolve("endpoints.json"))).as("removed by the clean stop").isFalse();
      try (ServiceProcess service = ServiceProcess.startWithListenFds(stateDir, manager.address(), manager.store(),
               tmp.resolve("shim.sock"), log);
           ServiceClient client = ServiceClient.connect(stateDir)) {
        GuestMemoryBlockingStub stub = GuestMemoryGrpc.newBlockingStub(client.channel()).withDeadlineAfter(20, TimeUnit.SECONDS);
        assertThat(Leases.get(stub, id).getStatus()).isEqualTo(LeaseStatus.LEASE_STATUS_ACTIVE);
        assertThat(Leases.pages(stub, id)).containsExactly(before);
        Leases.convert(stub, id, 0, PAGE, PageState.PAGE_STATE_SHARED);
        assertThat(manager.messages()).anyMatch(m -> m.contains("READY=1") && m.contains("1 lease(s) re-adopted from the fd store"));
      }
    }
  }
}
