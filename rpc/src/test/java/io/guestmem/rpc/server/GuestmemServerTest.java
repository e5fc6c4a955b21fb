package io.guestmem.rpc.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.guestmem.memory.HostProbe;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.v1.CapabilitiesGrpc;
import io.guestmem.rpc.v1.ConvertRequest;
import io.guestmem.rpc.v1.GetLeaseRequest;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.LeaseMode;
import io.guestmem.rpc.v1.OpenLeaseRequest;
import io.guestmem.rpc.v1.PageState;
import io.guestmem.rpc.v1.TeeKind;
import io.guestmem.rpc.v1.GetCapabilitiesRequest;
import io.guestmem.rpc.v1.HostCapabilities;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuestmemServerTest {
  @TempDir Path stateDir;
  private GuestmemServer server;
  private GuestmemServer.Endpoints ep;

  @BeforeEach
  void start() throws Exception {
    server = new GuestmemServer(GuestmemServer.Options.defaults(stateDir).withTcp("127.0.0.1", 0).withBackend("emulated"));
    ep = server.start();
  }

  @AfterEach
  void stop() throws Exception {
    server.shutdown(2);
  }

  /**
   * {@code POWER_LOSS}: no record log next to the database, every acknowledged conversion is a
   * row of SQLite's {@code journal} table (committed with synchronous=FULL) when the call returns;
   * the default keeps its record log. Both serve the same RPCs.
   */
  @Test
  void powerLossDurabilityJournalsEveryConversionInSqliteAndHasNoRecordLog(@TempDir Path other) throws Exception {
    assertThat(Files.exists(stateDir.resolve("guestmem.db-records"))).as("default durability keeps a record log").isTrue();
    GuestmemServer strict = new GuestmemServer(GuestmemServer.Options.defaults(other).withoutTcp().withBackend("emulated")
        .withMetrics("127.0.0.1", -1).withDurability(io.guestmem.memory.Durability.POWER_LOSS));
    strict.start();
    String lease;
    try (ServiceClient c = ServiceClient.connect(other)) {
      GuestMemoryGrpc.GuestMemoryBlockingStub stub = GuestMemoryGrpc.newBlockingStub(c.channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
      lease = stub.openLease(OpenLeaseRequest.newBuilder().setSizeBytes(1 << 20).setMode(LeaseMode.LEASE_MODE_OWNED)
          .setTeeKind(TeeKind.TEE_KIND_NONE).build()).getLease().getLeaseId();
      for (int i = 0; i < 3; i++) {
        stub.convert(ConvertRequest.newBuilder().setLeaseId(lease)
            .addRanges(io.guestmem.rpc.v1.ByteRange.newBuilder().setOffset(i * 8192L).setLength(4096))
            .setTo(PageState.PAGE_STATE_SHARED).build());
      }
      assertThat(stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(lease).build()).getRangesList())
          .extracting(r -> r.getState()).contains(PageState.PAGE_STATE_SHARED);
    } finally {
      strict.shutdown(2);
    }
    assertThat(Files.exists(other.resolve("guestmem.db-records"))).isFalse();
    try (java.sql.Connection db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + other.resolve("guestmem.db"));
         java.sql.PreparedStatement q = db.prepareStatement("SELECT count(*) FROM journal WHERE lease_id = ? AND kind = 'CONVERTED'");
         java.sql.Statement batches = db.createStatement()) {
      q.setString(1, lease);
      try (java.sql.ResultSet rs = q.executeQuery()) {
        assertThat(rs.getInt(1)).isEqualTo(3);
      }
      try (java.sql.ResultSet rs = batches.executeQuery("SELECT count(*) FROM journal_batches")) {
        assertThat(rs.getInt(1)).as("nothing went through a record log").isZero();
      }
    }
  }

  @Test
  void writesEndpointsJsonWithBothListeners() throws Exception {
    JsonNode n = new ObjectMapper().readTree(stateDir.resolve("endpoints.json").toFile());
    assertThat(n.get("unix").asText()).isEqualTo(stateDir.resolve("guestmem.sock").toString());
    assertThat(n.get("fdChannel").asText()).isEqualTo(stateDir.resolve("guestmem-fd.sock").toString());
    assertThat(n.get("tcp").asText()).matches("127\\.0\\.0\\.1:\\d+");
    assertThat(n.get("tlsCertSha256").asText()).matches("[0-9a-f]{64}");
    assertThat(Files.exists(stateDir.resolve("tls/server.key"))).isTrue();
  }

  @Test
  void unixSocketServesCapabilitiesAndHealth() throws Exception {
    try (ServiceClient c = ServiceClient.connect(stateDir)) {
      HostCapabilities caps = CapabilitiesGrpc.newBlockingStub(c.channel()).withDeadlineAfter(5, TimeUnit.SECONDS)
          .getCapabilities(GetCapabilitiesRequest.getDefaultInstance());
      io.guestmem.memory.HostCapabilities local = HostProbe.probe();
      assertThat(caps.getKvm()).isEqualTo(local.kvm());
      assertThat(caps.getGuestMemfd()).isEqualTo(local.guestMemfd());
      assertThat(caps.getVmTypesList()).isEqualTo(local.vmTypes());
      assertThat(caps.getDefaultBackend()).isEqualTo(local.defaultBackend());
      HealthCheckResponse h = HealthGrpc.newBlockingStub(c.channel()).check(HealthCheckRequest.getDefaultInstance());
      assertThat(h.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }
  }

  @Test
  void tcpListenerSpeaksTlsWithTheCertificateInTheStateDirectory() throws Exception {
    int port = Integer.parseInt(ep.tcp().substring(ep.tcp().lastIndexOf(':') + 1));
    ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", port)
        .overrideAuthority("localhost")
        .sslContext(GrpcSslContexts.forClient().trustManager(stateDir.resolve("tls/server.crt").toFile()).build())
        .build();
    try {
      HealthCheckResponse h = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance());
      assertThat(h.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    } finally {
      ch.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
    }
  }

  @Test
  void reflectionListsTheServices() throws Exception {
    try (ServiceClient c = ServiceClient.connect(stateDir)) {
      CompletableFuture<List<String>> names = new CompletableFuture<>();
      StreamObserver<ServerReflectionRequest> req = ServerReflectionGrpc.newStub(c.channel()).serverReflectionInfo(
          new StreamObserver<ServerReflectionResponse>() {
            @Override public void onNext(ServerReflectionResponse r) {
              names.complete(r.getListServicesResponse().getServiceList().stream().map(s -> s.getName()).collect(Collectors.toList()));
            }
            @Override public void onError(Throwable t) { names.completeExceptionally(t); }
            @Override public void onCompleted() { }
          });
      req.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
      assertThat(names.get(5, TimeUnit.SECONDS)).contains("guestmem.v1.Capabilities", "grpc.health.v1.Health");
      req.onCompleted();
    }
  }

  @Test
  void aSecondServerOnTheSameStateDirectoryIsRefused() {
    GuestmemServer second = new GuestmemServer(GuestmemServer.Options.defaults(stateDir).withoutTcp().withBackend("emulated"));
    assertThatThrownBy(second::start).isInstanceOf(IOException.class).hasMessageContaining("already serving");
    assertThat(Files.exists(stateDir.resolve("guestmem.sock"))).isTrue();
  }

  @Test
  void shutdownRemovesSocketAndEndpoints() throws Exception {
    server.shutdown(1);
    assertThat(stateDir.resolve("guestmem.sock")).doesNotExist();
    assertThat(stateDir.resolve("endpoints.json")).doesNotExist();
    // restart works on the same directory and reuses the TLS certificate
    String sha = ep.tlsCertSha256();
    server = new GuestmemServer(GuestmemServer.Options.defaults(stateDir).withTcp("127.0.0.1", 0).withBackend("emulated"));
    assertThat(server.start().tlsCertSha256()).isEqualTo(sha);
  }
}
