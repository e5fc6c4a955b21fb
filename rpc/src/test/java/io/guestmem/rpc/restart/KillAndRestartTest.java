package io.guestmem.rpc.restart;

import static io.guestmem.rpc.restart.Leases.PAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Pointer;
import io.grpc.StatusRuntimeException;
import io.guestmem.memory.HostProbe;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Syscalls;
import io.guestmem.memory.sys.UnixSockets;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.v1.CloseLeaseRequest;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.GuestMemoryGrpc.GuestMemoryBlockingStub;
import io.guestmem.rpc.v1.LeaseStatus;
import io.guestmem.rpc.v1.OpenLeaseResponse;
import io.guestmem.rpc.v1.PageState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * kill -9 of a real {@code guestmem serve} while this test, playing the VMM, converts blocks of
 * pages in a loop and records which conversions were acknowledged; then a restart, the lease
 * brought back (by the VMM's re-attach, or by the service manager's fd store), and the checks:
 * every acknowledged conversion is in the recovered map, the one in flight is applied to all of
 * its pages or to none, the guest data in the shared memfd is intact, and the service never had
 * private memory mapped. Needs /dev/kvm with guest_memfd (and python3 for the fd-store variant).
 */
class KillAndRestartTest {
  private static final long MIB = 1L << 20;
  private static final long SIZE = 4 * MIB;
  private static final int DATA_PAGES = 16;
  private static final int BLOCK_PAGES = 4;
  private static final int BLOCKS = (int) ((SIZE / PAGE - DATA_PAGES) / BLOCK_PAGES);
  private static final int ACKS_BEFORE_KILL = 80;
  /** Kill/restart rounds per test: 1 in the build; the long form sets {@code -Dguestmem.fault.rounds=N}. */
  private static final int ROUNDS = Integer.getInteger("guestmem.fault.rounds", 1);

  @TempDir Path tmp;

  /** One conversion the VMM asked for: a block of pages to {@code to}; {@code marker} is written to its pages once it is shared. */
  record Op(int index, int block, PageState to) {
    long offset() {
      return (DATA_PAGES + (long) block * BLOCK_PAGES) * PAGE;
    }
  }

  /** The VMM's view: the state of each block as last acknowledged, and the marker in each shared block. */
  static final class VmmView {
    final PageState[] blocks = new PageState[BLOCKS];
    final long[] markers = new long[BLOCKS];
    final List<Op> acknowledged = new CopyOnWriteArrayList<>();
    final AtomicReference<Op> inFlight = new AtomicReference<>();
    final AtomicReference<Throwable> failure = new AtomicReference<>();

    VmmView() {
      java.util.Arrays.fill(blocks, PageState.PAGE_STATE_PRIVATE);
    }
  }

  private static GuestMemoryBlockingStub stub(ServiceClient c) {
    return GuestMemoryGrpc.newBlockingStub(c.channel()).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private static void assumeKvm() {
    assumeTrue("kvm".equals(HostProbe.probe().defaultBackend()), "no /dev/kvm with guest_memfd: skipped");
  }

  /** Converts random blocks until the service dies; every acknowledged op is recorded before the next starts. */
  private static Thread convertLoop(ServiceClient client, String id, Pointer shared, VmmView view, int round) {
    view.failure.set(null);
    int first = view.acknowledged.size();
    Thread t = new Thread(() -> {
      Random rnd = new Random(7 + round);
      for (int i = first; ; i++) {
        int block = rnd.nextInt(BLOCKS);
        PageState to = view.blocks[block] == PageState.PAGE_STATE_PRIVATE ? PageState.PAGE_STATE_SHARED : PageState.PAGE_STATE_PRIVATE;
        Op op = new Op(i, block, to);
        view.inFlight.set(op);
        try {
          Leases.convert(stub(client), id, op.offset(), BLOCK_PAGES * PAGE, to);
        } catch (StatusRuntimeException e) {
          view.failure.set(e);
          return;
        }
        view.blocks[block] = to;
        if (to == PageState.PAGE_STATE_SHARED) {
          // the guest writes into its newly shared pages
          long marker = 0x6775000000000000L | ((long) round << 32) | i;
          for (int p = 0; p < BLOCK_PAGES; p++) {
            shared.setLong(op.offset() + p * PAGE, marker);
          }
          view.markers[block] = marker;
        }
        view.acknowledged.add(op);
        view.inFlight.set(null);
      }
    }, "vmm-convert-loop");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /** Waits for enough acknowledgements while checking the service's mappings, then kills it. */
  private static int convertThenKill(ServiceProcess service, Thread loop, VmmView view, int round) throws Exception {
    long deadline = System.currentTimeMillis() + 30_000;
    int samples = 0;
    // kill at a different moment each round
    int target = view.acknowledged.size() + ACKS_BEFORE_KILL + new Random(round).nextInt(40);
    while (view.acknowledged.size() < target && view.failure.get() == null && System.currentTimeMillis() < deadline) {
      assertThat(service.maps()).doesNotContain("kvm-gmem");
      samples++;
      Thread.sleep(2);
    }
    assertThat(view.failure.get()).as("conversions failed before the kill").isNull();
    assertThat(view.acknowledged.size()).isGreaterThanOrEqualTo(target);
    service.kill9();
    loop.join(30_000);
    assertThat(loop.isAlive()).as("the VMM loop noticed the dead service").isFalse();
    System.out.printf("round %d: kill -9 after %d acknowledged conversions in all (%d /proc maps samples, none with kvm-gmem); in flight: %s%n",
        round, view.acknowledged.size(), samples, view.inFlight.get());
    return samples;
  }

  /** After a verified recovery the VMM learns how its in-flight conversion ended and goes on from there. */
  private static void settleInFlight(GuestMemoryBlockingStub stub, Setup s, VmmView view, int round) {
    Op flying = view.inFlight.getAndSet(null);
    if (flying == null) {
      return;
    }
    PageState now = Leases.pages(stub, s.id())[(int) (flying.offset() / PAGE)];
    System.out.printf("round %d: the conversion in flight at the kill was %s%n", round,
        now == flying.to() ? "applied (journaled before the kill, not acknowledged)" : "not applied");
    view.blocks[flying.block()] = now;
    if (now == PageState.PAGE_STATE_SHARED) {
      long marker = 0x6775FF0000000000L | ((long) round << 32) | flying.index();
      for (int p = 0; p < BLOCK_PAGES; p++) {
        s.shared().setLong(flying.offset() + p * PAGE, marker);
      }
      view.markers[flying.block()] = marker;
    }
  }

  /** The recovered map against the VMM's view; the data pages' and the shared blocks' contents. */
  private static void assertRecovered(GuestMemoryBlockingStub stub, String id, Pointer shared, byte[] data, VmmView view) {
    PageState[] pages = Leases.pages(stub, id);
    for (int p = 0; p < DATA_PAGES; p++) {
      assertThat(pages[p]).isEqualTo(PageState.PAGE_STATE_SHARED);
    }
    Op flying = view.inFlight.get();
    int lost = 0;
    for (int b = 0; b < BLOCKS; b++) {
      PageState[] got = java.util.Arrays.copyOfRange(pages, DATA_PAGES + b * BLOCK_PAGES, DATA_PAGES + (b + 1) * BLOCK_PAGES);
      if (flying != null && flying.block() == b) {
        // all-or-nothing: every page in the old state, or every page in the new one
        assertThat(java.util.Arrays.stream(got).distinct().count()).as("in-flight block %d: %s", b, java.util.Arrays.toString(got)).isEqualTo(1);
        assertThat(got[0]).isIn(view.blocks[b], flying.to());
        continue;
      }
      for (PageState s : got) {
        if (s != view.blocks[b]) {
          lost++;
        }
      }
      if (view.blocks[b] == PageState.PAGE_STATE_SHARED) {
        for (int p = 0; p < BLOCK_PAGES; p++) {
          assertThat(shared.getLong((DATA_PAGES + (long) b * BLOCK_PAGES + p) * PAGE)).as("marker in block %d", b).isEqualTo(view.markers[b]);
        }
      }
    }
    assertThat(lost).as("pages of acknowledged conversions not in the recovered map").isZero();
    assertThat(shared.getByteArray(0, data.length)).as("guest data in the shared pages").isEqualTo(data);
  }

  private record Setup(String id, OpenLeaseResponse open, int privateFd, int sharedFd, Pointer shared, byte[] data) {}

  private static Setup openAndFill(ServiceClient client, Path stateDir) throws Exception {
    OpenLeaseResponse o = Leases.open(stub(client), SIZE);
    String id = o.getLease().getLeaseId();
    Leases.convert(stub(client), id, 0, DATA_PAGES * PAGE, PageState.PAGE_STATE_SHARED);
    int privateFd;
    int sharedFd;
    try (VmmPeer vmm = VmmPeer.connect(stateDir.resolve("guestmem-fd.sock"))) {
      VmmPeer.Reply r = vmm.get(id, o.getHandoffToken(), "private", "shared");
      assertThat(r.errorReason()).isEmpty();
      privateFd = r.fds()[0];
      sharedFd = r.fds()[1];
    }
    Pointer shared = Syscalls.mmap(SIZE, Syscalls.PROT_READ | Syscalls.PROT_WRITE, Syscalls.MAP_SHARED, sharedFd, 0);
    byte[] data = new byte[(int) (DATA_PAGES * PAGE)];
    new Random(11).nextBytes(data);
    shared.write(0, data, 0, data.length);
    return new Setup(id, o, privateFd, sharedFd, shared, data);
  }

  private Path stateDir() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    return tmp.resolve("state");
  }

  /** Under both durabilities: {@code power-loss} acknowledges from an fsynced group commit instead of the record log. */
  @ParameterizedTest(name = "--durability {0}")
  @ValueSource(strings = {"process-crash", "power-loss"})
  void afterKill9TheVmmReattachesAndEveryAcknowledgedConversionSurvived(String durability) throws Exception {
    assumeKvm();
    Path stateDir = stateDir();
    Path log = tmp.resolve("serve.log");
    List<String> serveArgs = List.of("--durability", durability);
    VmmView view = new VmmView();
    ServiceProcess service = ServiceProcess.start(stateDir, null, Map.of(), log, serveArgs);
    ServiceClient client = ServiceClient.connect(stateDir);
    int samples = 0;
    try {
      Setup s = openAndFill(client, stateDir);
      for (int round = 1; round <= ROUNDS; round++) {
        samples += convertThenKill(service, convertLoop(client, s.id(), s.shared(), view, round), view, round);
        client.close();
        long t0 = System.nanoTime();
        service = ServiceProcess.start(stateDir, null, Map.of(), log, serveArgs);
        client = ServiceClient.connect(stateDir);
        long started = System.nanoTime();
        GuestMemoryBlockingStub stub = stub(client);
        assertThat(Leases.get(stub, s.id()).getStatus()).isEqualTo(LeaseStatus.LEASE_STATUS_ORPHANED);
        StatusRuntimeException q = catchThrowableOfType(StatusRuntimeException.class,
            () -> Leases.convert(stub, s.id(), 0, PAGE, PageState.PAGE_STATE_PRIVATE));
        assertThat(Leases.reason(q)).isEqualTo("LEASE_QUARANTINED");
        try (VmmPeer vmm = VmmPeer.connect(stateDir.resolve("guestmem-fd.sock"))) {
          assertThat(vmm.reattach(s.id(), s.open().getReattachCredential(), s.sharedFd(), s.privateFd(), SIZE).errorReason()).isEqualTo("BAD_FD");
          VmmPeer.Reply r = vmm.reattach(s.id(), s.open().getReattachCredential(), s.privateFd(), s.sharedFd(), SIZE);
          assertThat(r.errorReason()).as(r.json().toString()).isEmpty();
        }
        System.out.printf("round %d: restart to serving %d ms, re-attach %d ms%n", round, (started - t0) / 1_000_000,
            (System.nanoTime() - started) / 1_000_000);
        assertThat(Leases.get(stub(client), s.id()).getStatus()).isEqualTo(LeaseStatus.LEASE_STATUS_ACTIVE);
        assertRecovered(stub(client), s.id(), s.shared(), s.data(), view);
        settleInFlight(stub(client), s, view, round);
      }
      System.out.printf("re-attach: %d restarts survived, %d acknowledged conversions, 0 lost, %d maps samples without kvm-gmem%n",
          ROUNDS, view.acknowledged.size(), samples);
      finish(client, service, s);
    } finally {
      client.close();
      service.close();
    }
  }

  @Test
  void afterKill9UnderTheFdStoreTheServiceReadoptsTheLeaseItself() throws Exception {
    assumeKvm();
    assumeTrue(python3HasRecvFds(), "python3 with socket.recv_fds (3.9+) is needed for the LISTEN_FDS shim: skipped");
    Path stateDir = stateDir();
    Path log = tmp.resolve("serve.log");
    VmmView view = new VmmView();
    int samples = 0;
    try (ServiceManagerHarness manager = new ServiceManagerHarness(tmp.resolve("notify.sock"))) {
      ServiceProcess service = ServiceProcess.start(stateDir, manager.address(), log);
      ServiceClient client = ServiceClient.connect(stateDir);
      try {
        assertThat(manager.awaitMessage("READY=1", 10_000)).isTrue();
        Setup s = openAndFill(client, stateDir);
        assertThat(manager.awaitStore(Set.of(s.id() + ".private", s.id() + ".shared"), 10_000)).isTrue();
        for (int round = 1; round <= ROUNDS; round++) {
          samples += convertThenKill(service, convertLoop(client, s.id(), s.shared(), view, round), view, round);
          client.close();
          Map<String, Integer> stored = manager.store();
          assertThat(stored).containsOnlyKeys(s.id() + ".private", s.id() + ".shared");
          long t0 = System.nanoTime();
          service = ServiceProcess.startWithListenFds(stateDir, manager.address(), stored, tmp.resolve("shim.sock"), log);
          client = ServiceClient.connect(stateDir);
          System.out.printf("round %d: restart with LISTEN_FDS to serving %d ms%n", round, (System.nanoTime() - t0) / 1_000_000);
          // serve's start-up report, once per start
          assertThat(service.log().split("restart     1 lease\\(s\\) re-adopted from the fd store, 0 quarantined", -1)).hasSize(round + 1);
          // live again without any help from the VMM
          assertThat(Leases.get(stub(client), s.id()).getStatus()).isEqualTo(LeaseStatus.LEASE_STATUS_ACTIVE);
          try (VmmPeer vmm = VmmPeer.connect(stateDir.resolve("guestmem-fd.sock"))) {
            assertThat(vmm.reattach(s.id(), s.open().getReattachCredential(), s.privateFd(), s.sharedFd(), SIZE).errorReason())
                .isEqualTo("LEASE_NOT_ORPHANED");
          }
          assertRecovered(stub(client), s.id(), s.shared(), s.data(), view);
          settleInFlight(stub(client), s, view, round);
        }
        System.out.printf("fd store: %d restarts survived, %d acknowledged conversions, 0 lost, %d maps samples without kvm-gmem%n",
            ROUNDS, view.acknowledged.size(), samples);
        finish(client, service, s);
        assertThat(manager.awaitStore(Set.of(), 10_000)).as("released lease's fds removed from the store").isTrue();
      } finally {
        client.close();
        service.close();
      }
    }
  }

  /** Live again: a conversion is acknowledged; private memory is still unmappable; the lease is released. */
  private static void finish(ServiceClient client, ServiceProcess service, Setup s) throws Exception {
    Leases.convert(stub(client), s.id(), 0, PAGE, PageState.PAGE_STATE_PRIVATE);
    assertThat(service.maps()).doesNotContain("kvm-gmem");
    ErrnoException mmap = catchThrowableOfType(ErrnoException.class,
        () -> Syscalls.mmap(PAGE, Syscalls.PROT_READ, Syscalls.MAP_SHARED, s.privateFd(), 0));
    assertThat(mmap.errnoName()).isEqualTo("ENODEV");
    Syscalls.munmap(s.shared(), SIZE);
    stub(client).closeLease(CloseLeaseRequest.newBuilder().setLeaseId(s.id()).build());
    UnixSockets.close(s.privateFd());
    UnixSockets.close(s.sharedFd());
  }

  static boolean python3HasRecvFds() {
    try {
      Process p = new ProcessBuilder("python3", "-c", "import socket; socket.recv_fds").redirectErrorStream(true).start();
      return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (java.io.IOException | InterruptedException e) {
      return false;
    }
  }
}
