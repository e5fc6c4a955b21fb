package io.guestmem.rpc.restart;

import static io.guestmem.rpc.restart.Leases.PAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.guestmem.memory.HostProbe;
import io.guestmem.memory.sys.Syscalls;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.server.GuestmemServer;
import io.guestmem.rpc.server.ServiceManagerNotifier;
import io.guestmem.rpc.v1.CloseLeaseRequest;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.GuestMemoryGrpc.GuestMemoryBlockingStub;
import io.guestmem.rpc.v1.LeaseStatus;
import io.guestmem.rpc.v1.PageState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service manager's fd store, in process: every live lease's fds are stored under
 * {@code <lease>.private}/{@code .shared} before OpenLease returns and removed when it is released;
 * at the next start complete pairs are re-adopted, incomplete ones stay quarantined and stale
 * names are dropped. (The real {@code LISTEN_FDS} hand-over across processes is in
 * {@link KillAndRestartTest}.)
 */
class FdStoreTest {
  private static final long MIB = 1L << 20;
  @TempDir Path tmp;
  private GuestmemServer server;
  private ServiceClient client;

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.shutdown(2);
    }
  }

  private GuestMemoryBlockingStub start(Path stateDir, ServiceManagerHarness manager, ListenFds passed) throws Exception {
    server = new GuestmemServer(GuestmemServer.Options.defaults(stateDir).withoutTcp().withBackend("kvm").withMetrics("127.0.0.1", -1))
        .withServiceManager(new ServiceManagerNotifier(manager.address(), 0), passed);
    server.start();
    client = ServiceClient.connect(stateDir);
    return GuestMemoryGrpc.newBlockingStub(client.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @Test
  void leasesAreKeptInTheFdStoreAndReadoptedFromItAtTheNextStart() throws Exception {
    assumeTrue("kvm".equals(HostProbe.probe().defaultBackend()), "no /dev/kvm with guest_memfd: skipped");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    Path stateDir = tmp.resolve("state");
    try (ServiceManagerHarness manager = new ServiceManagerHarness(tmp.resolve("notify.sock"))) {
      GuestMemoryBlockingStub stub = start(stateDir, manager, ListenFds.none());
      String a = Leases.open(stub, 2 * MIB).getLease().getLeaseId();
      String b = Leases.open(stub, MIB).getLease().getLeaseId();
      String c = Leases.open(stub, MIB).getLease().getLeaseId();
      assertThat(manager.awaitStore(Set.of(a + ".private", a + ".shared", b + ".private", b + ".shared", c + ".private", c + ".shared"),
          10_000)).isTrue();
      stub.closeLease(CloseLeaseRequest.newBuilder().setLeaseId(c).build());
      assertThat(manager.awaitStore(Set.of(a + ".private", a + ".shared", b + ".private", b + ".shared"), 10_000)).isTrue();
      assertThat(manager.messages()).contains("FDSTOREREMOVE=1\nFDNAME=" + c + ".private", "FDSTOREREMOVE=1\nFDNAME=" + c + ".shared");
      Leases.convert(stub, a, MIB, 4 * PAGE, PageState.PAGE_STATE_SHARED);
      PageState[] aBefore = Leases.pages(stub, a);
      client.close();
      server.shutdown(2);

      // what systemd passes back: copies of the stored fds, named; here b's private fd went missing,
      // and a stale name of no lease rides along
      List<ListenFds.Named> passed = new ArrayList<>();
      for (Map.Entry<String, Integer> e : manager.store().entrySet()) {
        if (!e.getKey().equals(b + ".private")) {
          passed.add(new ListenFds.Named(Syscalls.dupCloexec(e.getValue()), e.getKey()));
        }
      }
      int stale = Syscalls.memfdCreate("stale", Syscalls.MFD_CLOEXEC);
      passed.add(new ListenFds.Named(stale, "lease-00000000-0000-0000-0000-000000000000.shared"));
      Map<Integer, String> links = new java.util.HashMap<>();
      for (ListenFds.Named n : passed) {
        links.put(n.fd(), Files.readSymbolicLink(Path.of("/proc/self/fd/" + n.fd())).toString());
      }
      stub = start(stateDir, manager, new ListenFds(passed));

      assertThat(server.restartReport().readopted()).containsExactly(a);
      assertThat(server.restartReport().quarantined()).containsOnlyKeys(b);
      assertThat(server.restartReport().quarantined().get(b)).contains("no private fd");
      assertThat(server.restartReport().discarded()).containsExactly("lease-00000000-0000-0000-0000-000000000000.shared");
      assertThat(Leases.get(stub, a).getStatus()).isEqualTo(LeaseStatus.LEASE_STATUS_ACTIVE);
      assertThat(Leases.pages(stub, a)).containsExactly(aBefore);
      Leases.convert(stub, a, 0, PAGE, PageState.PAGE_STATE_SHARED);
      assertThat(Leases.get(stub, b).getStatus()).isEqualTo(LeaseStatus.LEASE_STATUS_ORPHANED);
      // every passed fd was closed by the service (it holds its own duplicates of a's): each number
      // is closed or reused for something else
      for (ListenFds.Named n : passed) {
        Path link = Path.of("/proc/self/fd/" + n.fd());
        if (Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          assertThat(Files.readSymbolicLink(link).toString()).as(n.name()).isNotEqualTo(links.get(n.fd()));
        }
      }
      assertThat(manager.awaitMessage("FDSTOREREMOVE=1", 10_000)).isTrue();
      assertThat(manager.storedNames()).contains(a + ".private", a + ".shared", b + ".private", b + ".shared");
    }
  }
}
