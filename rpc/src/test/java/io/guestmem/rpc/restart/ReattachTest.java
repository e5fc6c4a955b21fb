package io.guestmem.rpc.restart;

import static io.guestmem.rpc.restart.Leases.PAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Pointer;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.guestmem.memory.HostProbe;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Syscalls;
import io.guestmem.memory.sys.UnixSockets;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.server.GuestmemServer;
import io.guestmem.rpc.v1.CloseLeaseRequest;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.GuestMemoryGrpc.GuestMemoryBlockingStub;
import io.guestmem.rpc.v1.LeaseStatus;
import io.guestmem.rpc.v1.OpenLeaseResponse;
import io.guestmem.rpc.v1.PageState;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Re-attach without a service manager: a VMM that kept both fds of an owned lease brings it back
 * after guestmem restarts, with its credential; anything else is refused and changes nothing.
 * Needs the kvm backend (guest_memfd); skipped elsewhere.
 */
class ReattachTest {
  private static final long MIB = 1L << 20;
  @TempDir Path tmp;
  private Path stateDir;
  private GuestmemServer server;
  private ServiceClient client;
  private GuestMemoryBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    assumeTrue("kvm".equals(HostProbe.probe().defaultBackend()), "no /dev/kvm with guest_memfd: skipped");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    stateDir = tmp.resolve("state");
    startServer();
  }

  private void startServer() throws Exception {
    server = new GuestmemServer(GuestmemServer.Options.defaults(stateDir).withoutTcp().withBackend("kvm").withMetrics("127.0.0.1", -1));
    server.start();
    client = ServiceClient.connect(stateDir);
    stub = GuestMemoryGrpc.newBlockingStub(client.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private void restartServer() throws Exception {
    client.close();
    server.shutdown(2);
    startServer();
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (server != null) {
      server.shutdown(2);
    }
  }

  @Test
  void aVmmHoldingBothFdsAndItsCredentialReattachesTheLeaseAfterARestart() throws Exception {
    OpenLeaseResponse o = Leases.open(stub, 4 * MIB);
    String id = o.getLease().getLeaseId();
    String credential = o.getReattachCredential();
    assertThat(credential).matches("[A-Za-z0-9_-]{43}");

    // only the credential's SHA-256 is on disk, 0600, before the reply arrived
    Path record = stateDir.resolve("reattach").resolve(id + ".sha256");
    assertThat(Files.readString(record).trim()).isEqualTo(HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(credential.getBytes(StandardCharsets.UTF_8))));
    assertThat(Files.getPosixFilePermissions(record)).isEqualTo(PosixFilePermissions.fromString("rw-------"));

    Leases.convert(stub, id, 0, MIB, PageState.PAGE_STATE_SHARED);
    Leases.convert(stub, id, 2 * MIB, PAGE, PageState.PAGE_STATE_SHARED);
    int privateFd;
    int sharedFd;
    try (VmmPeer vmm = VmmPeer.connect(server.endpoints().fdChannel())) {
      VmmPeer.Reply r = vmm.get(id, o.getHandoffToken(), "shared", "private");
      assertThat(r.errorReason()).isEmpty();
      assertThat(r.json().path("fds").get(0).path("role").asText()).isEqualTo("shared");
      assertThat(r.json().path("fds").get(1).path("role").asText()).isEqualTo("private");
      assertThat(r.fds()).hasSize(2);
      sharedFd = r.fds()[0];
      privateFd = r.fds()[1];
    }
    // the private fd the VMM now holds is a guest_memfd nobody can map, the VMM included
    assertThat(Files.readSymbolicLink(Path.of("/proc/self/fd/" + privateFd)).toString()).isEqualTo("anon_inode:[kvm-gmem]");
    ErrnoException mmap = catchThrowableOfType(ErrnoException.class,
        () -> Syscalls.mmap(PAGE, Syscalls.PROT_READ, Syscalls.MAP_SHARED, privateFd, 0));
    assertThat(mmap.errnoName()).isEqualTo("ENODEV");
    Pointer shared = Syscalls.mmap(MIB, Syscalls.PROT_READ | Syscalls.PROT_WRITE, Syscalls.MAP_SHARED, sharedFd, 0);
    byte[] guestData = "guest data written before the restart".getBytes(StandardCharsets.UTF_8);
    shared.write(8192, guestData, 0, guestData.length);

    restartServer();
    assertThat(Leases.get(stub, id).getStatus()).isEqualTo(LeaseStatus.LEASE_STATUS_ORPHANED);
    StatusRuntimeException quarantined = catchThrowableOfType(StatusRuntimeException.class,
        () -> Leases.convert(stub, id, 3 * MIB, PAGE, PageState.PAGE_STATE_SHARED));
    assertThat(Leases.reason(quarantined)).isEqualTo("LEASE_QUARANTINED");
    PageState[] before = Leases.pages(stub, id);

    int stranger = Syscalls.memfdCreate("not-the-lease", Syscalls.MFD_CLOEXEC | Syscalls.MFD_ALLOW_SEALING);
    Syscalls.ftruncate(stranger, 4 * MIB);
    try (VmmPeer vmm = VmmPeer.connect(server.endpoints().fdChannel())) {
      assertThat(vmm.reattach(id, (credential.charAt(0) == 'A' ? "B" : "A") + credential.substring(1), privateFd, sharedFd, 4 * MIB).errorReason())
          .isEqualTo("CREDENTIAL_MISMATCH");
      assertThat(vmm.reattach("lease-unknown", credential, privateFd, sharedFd, 4 * MIB).errorReason())
          .isEqualTo("LEASE_NOT_FOUND");
      // the two fds swapped: neither is the object recorded for its role
      assertThat(vmm.reattach(id, credential, sharedFd, privateFd, 4 * MIB).errorReason()).isEqualTo("BAD_FD");
      // a look-alike memfd in place of the lease's shared memory
      assertThat(vmm.reattach(id, credential, privateFd, stranger, 4 * MIB).errorReason()).isEqualTo("BAD_FD");
      assertThat(vmm.reattach(id, credential, privateFd, sharedFd, 8 * MIB).errorReason()).isEqualTo("BAD_FD");
      // nothing changed by any refusal
      assertThat(Leases.get(stub, id).getStatus()).isEqualTo(LeaseStatus.LEASE_STATUS_ORPHANED);
      assertThat(Leases.pages(stub, id)).containsExactly(before);

      VmmPeer.Reply ok = vmm.reattach(id, credential, privateFd, sharedFd, 4 * MIB);
      assertThat(ok.errorReason()).isEmpty();
      assertThat(ok.json().path("reattached").asBoolean()).isTrue();
      assertThat(vmm.reattach(id, credential, privateFd, sharedFd, 4 * MIB).errorReason()).isEqualTo("LEASE_NOT_ORPHANED");
    } finally {
      UnixSockets.close(stranger);
    }
    assertThat(Leases.get(stub, id).getStatus()).isEqualTo(LeaseStatus.LEASE_STATUS_ACTIVE);
    assertThat(Leases.pages(stub, id)).containsExactly(before);
    assertThat(before[0]).isEqualTo(PageState.PAGE_STATE_SHARED);
    assertThat(before[(int) (2 * MIB / PAGE)]).isEqualTo(PageState.PAGE_STATE_SHARED);
    assertThat(before[(int) (3 * MIB / PAGE)]).isEqualTo(PageState.PAGE_STATE_PRIVATE);
    byte[] read = shared.getByteArray(8192, guestData.length);
    assertThat(read).isEqualTo(guestData);

    // live again: conversions are journaled, and the private pages became shared are zeroed
    Leases.convert(stub, id, 3 * MIB, PAGE, PageState.PAGE_STATE_SHARED);
    assertThat(Leases.pages(stub, id)[(int) (3 * MIB / PAGE)]).isEqualTo(PageState.PAGE_STATE_SHARED);
    assertThat(Files.readString(Path.of("/proc/self/maps"))).doesNotContain("kvm-gmem");
    Syscalls.munmap(shared, MIB);

    stub.closeLease(CloseLeaseRequest.newBuilder().setLeaseId(id).build());
    assertThat(Files.exists(stateDir.resolve("reattach").resolve(id + ".sha256"))).isFalse();
    UnixSockets.close(privateFd);
    UnixSockets.close(sharedFd);
  }

  @Test
  void malformedReattachRequestsAndUnknownCredentialsAreRefusedPrecisely() throws Exception {
    OpenLeaseResponse o = Leases.open(stub, MIB);
    String id = o.getLease().getLeaseId();
    int privateFd;
    int sharedFd;
    try (VmmPeer vmm = VmmPeer.connect(server.endpoints().fdChannel())) {
      // "roles" must be distinct known roles
      assertThat(vmm.get(id, o.getHandoffToken(), "shared", "shared").errorReason()).isEqualTo("MALFORMED_MESSAGE");
    }
    try (VmmPeer vmm = VmmPeer.connect(server.endpoints().fdChannel())) {
      VmmPeer.Reply r = vmm.get(id, o.getHandoffToken(), "private", "shared");
      privateFd = r.fds()[0];
      sharedFd = r.fds()[1];
      // an open lease is not re-attached
      assertThat(vmm.reattach(id, o.getReattachCredential(), privateFd, sharedFd, MIB).errorReason()).isEqualTo("LEASE_NOT_ORPHANED");
    }
    restartServer();
    // the record is lost (e.g. restored from an old backup): the lease cannot be re-attached, stays quarantined
    Files.delete(stateDir.resolve("reattach").resolve(id + ".sha256"));
    try (VmmPeer vmm = VmmPeer.connect(server.endpoints().fdChannel())) {
      assertThat(vmm.reattach(id, o.getReattachCredential(), privateFd, sharedFd, MIB).errorReason()).isEqualTo("CREDENTIAL_UNKNOWN");
    }
    try (VmmPeer vmm = VmmPeer.connect(server.endpoints().fdChannel())) {
      // one fd where two are listed: malformed, and the connection is closed after the reply
      VmmPeer.Reply r = vmm.reattach(id, o.getReattachCredential(), new String[] {"private", "shared"}, new int[] {privateFd}, MIB);
      assertThat(r.errorReason()).isEqualTo("MALFORMED_MESSAGE");
    }
    assertThat(Leases.get(stub, id).getStatus()).isEqualTo(LeaseStatus.LEASE_STATUS_ORPHANED);
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
        () -> Leases.convert(stub, id, 0, PAGE, PageState.PAGE_STATE_SHARED));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    UnixSockets.close(privateFd);
    UnixSockets.close(sharedFd);
  }
}
