package io.guestmem.rpc.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.jna.Pointer;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.guestmem.memory.HostProbe;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Syscalls;
import io.guestmem.memory.sys.UnixSockets;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.errors.ErrorMapper;
import io.guestmem.rpc.server.GuestmemServer;
import io.guestmem.rpc.v1.AllocateRequest;
import io.guestmem.rpc.v1.AuditRequest;
import io.guestmem.rpc.v1.AuditResponse;
import io.guestmem.rpc.v1.ByteRange;
import io.guestmem.rpc.v1.CloseLeaseRequest;
import io.guestmem.rpc.v1.ConvertRequest;
import io.guestmem.rpc.v1.DiscardRequest;
import io.guestmem.rpc.v1.GetLeaseRequest;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.GuestMemoryGrpc.GuestMemoryBlockingStub;
import io.guestmem.rpc.v1.Lease;
import io.guestmem.rpc.v1.LeaseEvent;
import io.guestmem.rpc.v1.LeaseMode;
import io.guestmem.rpc.v1.LeaseStatus;
import io.guestmem.rpc.v1.OpenLeaseRequest;
import io.guestmem.rpc.v1.OpenLeaseResponse;
import io.guestmem.rpc.v1.PageState;
import io.guestmem.rpc.v1.StateRange;
import io.guestmem.rpc.v1.TeeKind;
import io.guestmem.rpc.v1.WatchLeaseRequest;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GuestMemory end to end over the real unix socket, on the backend this host supports best
 * (real guest_memfd where /dev/kvm has it, the emulated backend elsewhere), plus the fd side channel.
 */
class GuestMemoryE2ETest {
  private static final long MIB = 1L << 20;
  @TempDir Path tmp;
  private Path stateDir;
  private GuestmemServer server;
  private ServiceClient client;
  private GuestMemoryBlockingStub stub;
  private String backend;

  @BeforeEach
  void start() throws Exception {
    // the state directory must be reachable by other uids (it is 0711); the JUnit temp dir is 0700
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    stateDir = tmp.resolve("state");
    backend = HostProbe.probe().defaultBackend();
    server = new GuestmemServer(GuestmemServer.Options.defaults(stateDir).withTcp("127.0.0.1", 0).withBackend(backend));
    server.start();
    client = ServiceClient.connect(stateDir);
    stub = GuestMemoryGrpc.newBlockingStub(client.channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    server.shutdown(2);
  }

  private static ByteRange r(long offset, long length) {
    return ByteRange.newBuilder().setOffset(offset).setLength(length).build();
  }

  private OpenLeaseResponse open(long size, LeaseMode mode) {
    return stub.openLease(OpenLeaseRequest.newBuilder().setSizeBytes(size).setMode(mode).setTeeKind(TeeKind.TEE_KIND_TDX).build());
  }

  private static String reason(Throwable t) {
    return ErrorMapper.reasonOf(t).orElse("no reason in " + t);
  }

  private StatusRuntimeException refused(Runnable call) {
    return catchThrowableOfType(StatusRuntimeException.class, call::run);
  }

  @Test
  void aLeaseStartsPrivateConvertsAndReportsItsRanges() {
    OpenLeaseResponse o = open(64 * MIB, LeaseMode.LEASE_MODE_OWNED);
    Lease l = o.getLease();
    assertThat(l.getSizeBytes()).isEqualTo(64 * MIB);
    assertThat(l.getBackend()).isEqualTo(backend);
    assertThat(l.getStatus()).isEqualTo(LeaseStatus.LEASE_STATUS_ACTIVE);
    assertThat(l.getRangesList()).extracting(StateRange::getState).containsExactly(PageState.PAGE_STATE_PRIVATE);
    assertThat(o.getHandoffToken()).hasSize(43);

    stub.convert(ConvertRequest.newBuilder().setLeaseId(l.getLeaseId()).addRanges(r(2 * MIB, 2 * MIB)).addRanges(r(8 * MIB, 4096))
        .setTo(PageState.PAGE_STATE_SHARED).build());
    Lease after = stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(l.getLeaseId()).build());
    assertThat(after.getRangesList()).extracting(s -> s.getRange().getOffset() + ":" + s.getRange().getLength() + ":" + s.getState())
        .containsExactly(
            "0:" + 2 * MIB + ":PAGE_STATE_PRIVATE",
            2 * MIB + ":" + 2 * MIB + ":PAGE_STATE_SHARED",
            4 * MIB + ":" + 4 * MIB + ":PAGE_STATE_PRIVATE",
            8 * MIB + ":4096:PAGE_STATE_SHARED",
            (8 * MIB + 4096) + ":" + (56 * MIB - 4096) + ":PAGE_STATE_PRIVATE");
    assertThat(after.getSharedBytes()).isEqualTo(2 * MIB + 4096);

    stub.allocate(AllocateRequest.newBuilder().setLeaseId(l.getLeaseId()).addRanges(r(0, 4 * MIB)).build());
    Lease alloc = stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(l.getLeaseId()).build());
    assertThat(alloc.getAllocatedPrivateBytes()).isEqualTo(2 * MIB);
    assertThat(alloc.getAllocatedSharedBytes()).isEqualTo(2 * MIB);
    stub.discard(DiscardRequest.newBuilder().setLeaseId(l.getLeaseId()).addRanges(r(0, 4 * MIB)).build());
    Lease discarded = stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(l.getLeaseId()).build());
    assertThat(discarded.getAllocatedPrivateBytes() + discarded.getAllocatedSharedBytes()).isZero();

    stub.closeLease(CloseLeaseRequest.newBuilder().setLeaseId(l.getLeaseId()).build());
    StatusRuntimeException closed = refused(() -> stub.convert(ConvertRequest.newBuilder().setLeaseId(l.getLeaseId())
        .addRanges(r(0, 4096)).setTo(PageState.PAGE_STATE_SHARED).build()));
    assertThat(closed.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(reason(closed)).isEqualTo("LEASE_CLOSED");
  }

  @Test
  void getLeasePagesThroughManyRanges() {
    String id = open(64 * MIB, LeaseMode.LEASE_MODE_OWNED).getLease().getLeaseId();
    ConvertRequest.Builder c = ConvertRequest.newBuilder().setLeaseId(id).setTo(PageState.PAGE_STATE_SHARED);
    for (int i = 0; i < 2500; i++) {
      c.addRanges(r(i * 8192L, 4096));
    }
    stub.convert(c.build());
    List<StateRange> all = new ArrayList<>();
    String token = "";
    int pages = 0;
    do {
      Lease page = stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(id).setPageSize(1000).setPageToken(token).build());
      all.addAll(page.getRangesList());
      token = page.getNextPageToken();
      pages++;
    } while (!token.isEmpty());
    // 2500 shared pages, each followed by a private gap (the last gap runs to the end)
    assertThat(all).hasSize(5000);
    assertThat(pages).isEqualTo(5);
    assertThat(all.stream().mapToLong(s -> s.getRange().getLength()).sum()).isEqualTo(64 * MIB);
    assertThat(reason(refused(() -> stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(id).setPageToken("garbage").build()))))
        .isEqualTo(ErrorMapper.INVALID_REQUEST);
  }

  @Test
  void badRequestsGetPreciseReasonsAndChangeNothing() {
    String id = open(16 * MIB, LeaseMode.LEASE_MODE_OWNED).getLease().getLeaseId();
    Lease before = stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(id).build());
    ConvertRequest.Builder ok = ConvertRequest.newBuilder().setLeaseId(id).setTo(PageState.PAGE_STATE_SHARED);

    StatusRuntimeException unaligned = refused(() -> stub.convert(ok.clone().addRanges(r(100, 4096)).build()));
    assertThat(unaligned.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(reason(unaligned)).isEqualTo("UNALIGNED");

    StatusRuntimeException outside = refused(() -> stub.convert(ok.clone().addRanges(r(16 * MIB, 4096)).build()));
    assertThat(outside.getStatus().getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
    assertThat(reason(outside)).isEqualTo("OUT_OF_RANGE");

    StatusRuntimeException huge = refused(() -> stub.convert(ok.clone().addRanges(r(0, -4096L)).build()));
    assertThat(reason(huge)).isEqualTo("OUT_OF_RANGE");

    // a batch with one bad range is refused whole
    StatusRuntimeException batch = refused(() -> stub.convert(ok.clone().addRanges(r(0, 4096)).addRanges(r(32 * MIB, 4096)).build()));
    assertThat(reason(batch)).isEqualTo("OUT_OF_RANGE");

    StatusRuntimeException noState = refused(() -> stub.convert(ConvertRequest.newBuilder().setLeaseId(id).addRanges(r(0, 4096)).build()));
    assertThat(reason(noState)).isEqualTo(ErrorMapper.UNKNOWN_ENUM_VALUE);

    StatusRuntimeException unknownEnum = refused(() -> stub.convert(ConvertRequest.newBuilder().setLeaseId(id).addRanges(r(0, 4096)).setToValue(77).build()));
    assertThat(reason(unknownEnum)).isEqualTo(ErrorMapper.UNKNOWN_ENUM_VALUE);

    StatusRuntimeException noRanges = refused(() -> stub.convert(ok.clone().build()));
    assertThat(reason(noRanges)).isEqualTo(ErrorMapper.INVALID_REQUEST);

    StatusRuntimeException unknownLease = refused(() -> stub.convert(ok.clone().setLeaseId("no-such-lease").addRanges(r(0, 4096)).build()));
    assertThat(unknownLease.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(reason(unknownLease)).isEqualTo("LEASE_NOT_FOUND");

    assertThat(reason(refused(() -> open(0, LeaseMode.LEASE_MODE_OWNED)))).isEqualTo("INVALID_ARGUMENT");
    assertThat(reason(refused(() -> open(4097, LeaseMode.LEASE_MODE_OWNED)))).isEqualTo("UNALIGNED");
    assertThat(reason(refused(() -> open(-4096L, LeaseMode.LEASE_MODE_OWNED)))).isEqualTo("OUT_OF_RANGE");
    assertThat(reason(refused(() -> open(4096, LeaseMode.LEASE_MODE_UNSPECIFIED)))).isEqualTo(ErrorMapper.UNKNOWN_ENUM_VALUE);

    assertThat(stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(id).build())).isEqualTo(before);
  }

  @Test
  void prometheusEndpointReportsRpcsConversionsAndLeaseBytes() throws Exception {
    String id = open(8 * MIB, LeaseMode.LEASE_MODE_OWNED).getLease().getLeaseId();
    stub.convert(ConvertRequest.newBuilder().setLeaseId(id).addRanges(r(0, 2 * MIB)).setTo(PageState.PAGE_STATE_SHARED).build());
    String url = new ObjectMapper().readTree(stateDir.resolve("endpoints.json").toFile()).get("metrics").asText();
    java.net.http.HttpResponse<String> resp = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(resp.statusCode()).isEqualTo(200);
    String body = resp.body();
    assertThat(body).containsPattern("guestmem_rpc_server_seconds_count\\{code=\"OK\",method=\"guestmem.v1.GuestMemory/Convert\"\\} 1");
    assertThat(body).containsPattern("guestmem_conversions_total\\{to=\"shared\"\\} 1");
    assertThat(body).containsPattern("guestmem_conversion_bytes_total\\{to=\"shared\"\\} 2097152");
    assertThat(body).containsPattern("guestmem_lease_bytes\\{state=\"shared\"\\} 2097152");
    assertThat(body).containsPattern("guestmem_lease_bytes\\{state=\"private\"\\} 6291456");
    // the journal: the conversion went through the record log (pending or already ingested), no group commits
    assertThat(body).containsPattern("(?m)^guestmem_journal_pending_records [0-9.]+");
    assertThat(body).containsPattern("(?m)^guestmem_journal_ingested_records_total [0-9.]+");
    assertThat(body).containsPattern("(?m)^guestmem_journal_group_commits_total 0");
  }

  @Test
  void tcpCallersCannotManageMemory() throws Exception {
    String tcp = server.endpoints().tcp();
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", Integer.parseInt(tcp.substring(tcp.lastIndexOf(':') + 1)))
        .overrideAuthority("localhost")
        .sslContext(GrpcSslContexts.forClient().trustManager(stateDir.resolve("tls/server.crt").toFile()).build())
        .build();
    try {
      StatusRuntimeException e = refused(() -> GuestMemoryGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
          .openLease(OpenLeaseRequest.newBuilder().setSizeBytes(4096).setMode(LeaseMode.LEASE_MODE_OWNED).setTeeKind(TeeKind.TEE_KIND_NONE).build()));
      // not even served on TCP
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
    } finally {
      ch.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
    }
  }

  @Test
  void watchLeaseStreamsAcknowledgedEvents() {
    String id = open(16 * MIB, LeaseMode.LEASE_MODE_OWNED).getLease().getLeaseId();
    Iterator<LeaseEvent> events = GuestMemoryGrpc.newBlockingStub(client.channel()).withDeadlineAfter(20, TimeUnit.SECONDS)
        .watchLease(WatchLeaseRequest.newBuilder().setLeaseId(id).build());
    // the stream is established once the first message arrives, so convert from another thread after a while
    Thread t = new Thread(() -> {
      for (int i = 0; i < 50; i++) {
        try {
          Thread.sleep(100);
          stub.convert(ConvertRequest.newBuilder().setLeaseId(id).addRanges(r(i * 4096L, 4096)).setTo(PageState.PAGE_STATE_SHARED).build());
          if (i == 10) {
            stub.closeLease(CloseLeaseRequest.newBuilder().setLeaseId(id).build());
            return;
          }
        } catch (InterruptedException e) {
          return;
        }
      }
    });
    t.start();
    List<LeaseEvent> seen = new ArrayList<>();
    events.forEachRemaining(seen::add);
    assertThat(seen).isNotEmpty();
    assertThat(seen.get(seen.size() - 1).getKind()).isEqualTo(LeaseEvent.Kind.KIND_LEASE_CLOSED);
    List<LeaseEvent> conversions = seen.stream().filter(e -> e.getKind() == LeaseEvent.Kind.KIND_CONVERTED).toList();
    assertThat(conversions).allSatisfy(e -> {
      assertThat(e.getTo()).isEqualTo(PageState.PAGE_STATE_SHARED);
      assertThat(e.getLeaseId()).isEqualTo(id);
    });
    for (int i = 1; i < seen.size(); i++) {
      assertThat(seen.get(i).getSequence()).isGreaterThan(seen.get(i - 1).getSequence());
    }
  }

  @Test
  void fdChannelHandsOverTheSealedSharedMemfdOnceAndAuditIsClean() throws Exception {
    assumeTrue(!backend.equals("emulated"), "the emulated backend has no kernel objects to hand over: skipped");
    OpenLeaseResponse o = open(4 * MIB, LeaseMode.LEASE_MODE_OWNED);
    String id = o.getLease().getLeaseId();
    stub.convert(ConvertRequest.newBuilder().setLeaseId(id).addRanges(r(0, MIB)).setTo(PageState.PAGE_STATE_SHARED).build());
    int s = UnixSockets.connectSeqpacket(server.endpoints().fdChannel());
    try {
      JsonNode reply = send(s, "{\"op\":\"get\",\"lease\":\"" + id + "\",\"token\":\"" + o.getHandoffToken() + "\"}");
      assertThat(reply.path("lease").asText()).isEqualTo(id);
      assertThat(reply.path("fds").get(0).path("role").asText()).isEqualTo("shared");
      assertThat(reply.path("fds").get(0).path("size").asLong()).isEqualTo(4 * MIB);
      assertThat(lastFds).hasSize(1);
      int shared = lastFds[0];
      assertThat(Syscalls.fstat(shared).size).isEqualTo(4 * MIB);
      int seals = Syscalls.fcntl(shared, "F_GET_SEALS", Syscalls.F_GET_SEALS, 0);
      assertThat(seals & (Syscalls.F_SEAL_GROW | Syscalls.F_SEAL_SHRINK)).isEqualTo(Syscalls.F_SEAL_GROW | Syscalls.F_SEAL_SHRINK);
      Pointer p = Syscalls.mmap(MIB, Syscalls.PROT_READ | Syscalls.PROT_WRITE, Syscalls.MAP_SHARED, shared, 0);
      p.setByte(0, (byte) 0x5a);
      assertThat(p.getByte(0)).isEqualTo((byte) 0x5a);
      Syscalls.munmap(p, MIB);
      UnixSockets.close(shared);

      // replay is refused, the connection stays usable
      JsonNode replay = send(s, "{\"op\":\"get\",\"lease\":\"" + id + "\",\"token\":\"" + o.getHandoffToken() + "\"}");
      assertThat(replay.path("error").path("reason").asText()).isEqualTo("TOKEN_USED");
      assertThat(lastFds).isEmpty();
      JsonNode wrong = send(s, "{\"op\":\"get\",\"lease\":\"" + id + "\",\"token\":\"forged\"}");
      assertThat(wrong.path("error").path("reason").asText()).isEqualTo("TOKEN_UNKNOWN");
      // garbage closes the connection after a MALFORMED_MESSAGE reply
      JsonNode garbage = send(s, "\u0000\u0001not json");
      assertThat(garbage.path("error").path("reason").asText()).isEqualTo("MALFORMED_MESSAGE");
      assertThat(UnixSockets.recvFds(s, 4096, 4).endOfStream()).isTrue();
    } finally {
      UnixSockets.close(s);
    }
    // the service holds kvm-gmem fds for its leases and maps none of them
    if (backend.equals("kvm")) {
      long gmemFds;
      try (var fds = Files.list(Path.of("/proc/self/fd"))) {
        gmemFds = fds.filter(f -> {
          try {
            return Files.readSymbolicLink(f).toString().equals("anon_inode:[kvm-gmem]");
          } catch (Exception e) {
            return false;
          }
        }).count();
      }
      assertThat(gmemFds).isGreaterThanOrEqualTo(1);
      assertThat(Files.readString(Path.of("/proc/self/maps"))).doesNotContain("kvm-gmem");
      AuditResponse audit = stub.audit(AuditRequest.newBuilder().setLeaseId(id).build());
      assertThat(audit.getClean()).isTrue();
      assertThat(audit.getFdsScanned()).isPositive();
    }
  }

  @Test
  void theFdChannelRefusesWrongKindsOfFdsAndSurvivesPeersThatVanish() throws Exception {
    assumeTrue(!backend.equals("emulated"), "the emulated backend has no kernel objects to hand over: skipped");
    OpenLeaseResponse o = open(4 * MIB, LeaseMode.LEASE_MODE_ATTACHED);
    String id = o.getLease().getLeaseId();
    // a plain memfd of the right size is not a guest_memfd: refused, nothing recorded
    int memfd = Syscalls.memfdCreate("not-gmem", 0);
    Syscalls.ftruncate(memfd, 4 * MIB);
    int s = UnixSockets.connectSeqpacket(server.endpoints().fdChannel());
    try {
      String attach = "{\"op\":\"attach\",\"lease\":\"" + id + "\",\"token\":\"" + o.getHandoffToken()
          + "\",\"fds\":[{\"role\":\"private\",\"size\":" + 4 * MIB + "}]}";
      UnixSockets.sendFds(s, attach.getBytes(StandardCharsets.UTF_8), new int[] {memfd});
      UnixSockets.Received r = UnixSockets.recvFds(s, 4096, 4);
      JsonNode reply = new ObjectMapper().readTree(new String(r.payload(), StandardCharsets.UTF_8));
      assertThat(reply.path("error").path("reason").asText()).isEqualTo("BAD_FD");
      // fds listed differently from what came: malformed, connection closed
      UnixSockets.sendFds(s, attach.getBytes(StandardCharsets.UTF_8), new int[0]);
      UnixSockets.Received r2 = UnixSockets.recvFds(s, 4096, 4);
      assertThat(new String(r2.payload(), StandardCharsets.UTF_8)).contains("MALFORMED_MESSAGE");
      assertThat(UnixSockets.recvFds(s, 4096, 4).endOfStream()).isTrue();
    } finally {
      UnixSockets.close(s);
      UnixSockets.close(memfd);
    }
    Lease after = stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(id).build());
    assertThat(after.getStatus()).isEqualTo(LeaseStatus.LEASE_STATUS_AWAITING_ATTACH);

    // a peer that connects and vanishes mid-handoff, and one that sends half a message, change nothing
    UnixSockets.close(UnixSockets.connectSeqpacket(server.endpoints().fdChannel()));
    int half = UnixSockets.connectSeqpacket(server.endpoints().fdChannel());
    UnixSockets.sendFds(half, "{\"op\":\"get\"".getBytes(StandardCharsets.UTF_8), new int[0]);
    UnixSockets.close(half);
    // the channel still serves everyone else: the token was not consumed by any of that
    int ok = UnixSockets.connectSeqpacket(server.endpoints().fdChannel());
    try {
      JsonNode got = send(ok, "{\"op\":\"get\",\"lease\":\"" + id + "\",\"token\":\"" + o.getHandoffToken() + "\"}");
      assertThat(got.path("fds").get(0).path("role").asText()).isEqualTo("shared");
      for (int fd : lastFds) {
        UnixSockets.close(fd);
      }
    } finally {
      UnixSockets.close(ok);
    }
  }

  @Test
  void oversizeMessagesAreRefusedAndTheServiceKeepsServing() {
    ConvertRequest.Builder huge = ConvertRequest.newBuilder().setLeaseId("x").setTo(PageState.PAGE_STATE_SHARED);
    for (int i = 0; i < 2_000_000; i++) { // about 26 MB, over the 16 MiB limit
      huge.addRanges(r(i * 4096L, 4096));
    }
    StatusRuntimeException e = refused(() -> stub.convert(huge.build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(open(4096, LeaseMode.LEASE_MODE_OWNED).getLease().getSizeBytes()).isEqualTo(4096);
  }

  /** Sends {@code body} as the serialized request of {@code method}, bypassing the stub's marshaller. */
  private StatusRuntimeException rawCall(io.grpc.MethodDescriptor<?, ?> method, byte[] body) {
    io.grpc.MethodDescriptor.Marshaller<byte[]> bytes = new io.grpc.MethodDescriptor.Marshaller<>() {
      @Override
      public java.io.InputStream stream(byte[] value) {
        return new java.io.ByteArrayInputStream(value);
      }

      @Override
      public byte[] parse(java.io.InputStream stream) {
        try {
          return stream.readAllBytes();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    };
    io.grpc.MethodDescriptor<byte[], byte[]> raw = method.toBuilder(bytes, bytes).build();
    return refused(() -> io.grpc.stub.ClientCalls.blockingUnaryCall(client.channel(), raw,
        io.grpc.CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS), body));
  }

  @Test
  void aRequestThatIsNotAValidMessageIsRefusedWithAReasonAndChangesNothing() {
    OpenLeaseResponse o = open(4 * MIB, LeaseMode.LEASE_MODE_OWNED);
    String id = o.getLease().getLeaseId();
    byte[][] bodies = {
        {(byte) 0xff, (byte) 0xff, (byte) 0xff}, // field 0 / a varint that never ends
        {0x0a}, // lease_id: a length that is missing
        {0x0a, 0x05, 'a', 'b'}, // lease_id: a length past the end
        {0x0a, 0x02, (byte) 0xc3, 0x28}, // lease_id: not UTF-8
    };
    for (byte[] body : bodies) {
      StatusRuntimeException e = rawCall(GuestMemoryGrpc.getConvertMethod(), body);
      assertThat(e.getStatus().getCode()).as(java.util.HexFormat.of().formatHex(body)).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(reason(e)).isEqualTo(ErrorMapper.MALFORMED_MESSAGE);
      assertThat(e.getStatus().getDescription()).startsWith("the request is not a valid guestmem.v1.ConvertRequest message");
    }
    StatusRuntimeException e = rawCall(GuestMemoryGrpc.getOpenLeaseMethod(), new byte[] {0x08});
    assertThat(reason(e)).isEqualTo(ErrorMapper.MALFORMED_MESSAGE);
    assertThat(e.getStatus().getDescription()).contains("guestmem.v1.OpenLeaseRequest");
    e = rawCall(io.grpc.health.v1.HealthGrpc.getCheckMethod(), new byte[] {0x0a, 0x7f});
    assertThat(reason(e)).isEqualTo(ErrorMapper.MALFORMED_MESSAGE);

    // nothing changed, and the service, the same connection included, goes on serving
    Lease after = stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(id).build());
    assertThat(after.getRangesList()).extracting(StateRange::getState).containsExactly(PageState.PAGE_STATE_PRIVATE);
    assertThat(after.getSharedBytes()).isZero();
    stub.convert(ConvertRequest.newBuilder().setLeaseId(id).addRanges(r(0, 4096)).setTo(PageState.PAGE_STATE_SHARED).build());
    assertThat(stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(id).build()).getSharedBytes()).isEqualTo(4096);
  }

  @Test
  void aRefusalQuotingALongInputStaysReadable() {
    // the message quotes the unknown id; unclipped, 10,000 characters (30,000 percent-encoded
    // bytes for the non-ASCII ones) would overflow the client's 8 KiB header limit and arrive as
    // an INTERNAL transport error without the reason
    for (String id : List.of("x".repeat(10_000), "é".repeat(5_000), "\uD83D\uDE00".repeat(3_000))) {
      StatusRuntimeException e = refused(() -> stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(id).build()));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
      assertThat(reason(e)).isEqualTo("LEASE_NOT_FOUND");
      assertThat(e.getStatus().getDescription()).endsWith("…");
      assertThat(e.getStatus().getDescription().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(512);
    }
  }

  @Test
  void anotherUidIsRefusedOnBothChannels() throws Exception {
    assumeTrue(Files.exists(Path.of("/proc/self/status")) && isRoot(), "needs root to run a client as uid 65534: skipped");
    OpenLeaseResponse o = open(4 * MIB, LeaseMode.LEASE_MODE_OWNED);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "io.guestmem.rpc.it.ForeignUidClient",
        "65534", server.endpoints().unix().toString(), server.endpoints().fdChannel().toString(), o.getLease().getLeaseId(), o.getHandoffToken())
        .redirectErrorStream(true).start();
    List<String> lines = new ArrayList<>();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        lines.add(line);
      }
    }
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(lines).as("child output").contains("grpc=NOT_OWNER");
    assertThat(lines).as("child output").anySatisfy(l -> assertThat(l).startsWith("fd=").contains("TOKEN_WRONG_UID").endsWith("fds=0"));
  }

  private static boolean isRoot() throws Exception {
    return Files.readAllLines(Path.of("/proc/self/status")).stream().anyMatch(l -> l.startsWith("Uid:") && l.split("\\s+")[1].equals("0"));
  }

  private int[] lastFds = new int[0];

  private JsonNode send(int sock, String json) throws ErrnoException, java.io.IOException {
    UnixSockets.sendFds(sock, json.getBytes(StandardCharsets.UTF_8), new int[0]);
    UnixSockets.Received r = UnixSockets.recvFds(sock, 4096, 4);
    lastFds = r.fds();
    return new ObjectMapper().readTree(new String(r.payload(), StandardCharsets.UTF_8));
  }
}
