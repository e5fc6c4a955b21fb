package io.guestmem.rpc.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Attributes;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.guestmem.rpc.errors.ErrorMapper;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Whom lease RPCs act for, decided from the transport alone. */
class CallerTest {
  private static final String HEX = "ab".repeat(32);

  private static Caller tls(String mapping) {
    TlsOperator op = mapping == null ? null : TlsOperator.parse(mapping);
    return new Caller(null, new TlsPeer(HEX, "CN=x", Instant.now().plusSeconds(3600), op));
  }

  @Test
  void aLocalCallerActsAsItsUidAndRootOnEveryLeaseOnlyAsAnOperator() {
    Caller alice = new Caller(new UnixPeer(1000, 42, new int[0]), null);
    LeaseActor a = alice.leaseActor(true).orElseThrow();
    assertThat(a.uid()).isEqualTo(1000);
    assertThat(a.pid()).isEqualTo(42);
    assertThat(a.mayActOn(1000)).isTrue();
    assertThat(a.mayActOn(1001)).isFalse();
    Caller root = new Caller(new UnixPeer(0, 1, new int[0]), null);
    assertThat(root.leaseActor(true).orElseThrow().mayActOn(1000)).isTrue();
    assertThat(root.leaseActor(false).orElseThrow().mayActOn(1000)).isFalse();
  }

  @Test
  void aTcpCallerActsOnlyThroughAnOperatorMapping() {
    assertThat(new Caller(null, null).leaseActor(true)).isEmpty();
    assertThat(tls(null).leaseActor(true)).isEmpty();
    assertThat(tls(null).mayUseLeases()).isFalse();

    LeaseActor asUid = tls("sha256=" + HEX + ",uid=107").leaseActor(true).orElseThrow();
    assertThat(asUid.uid()).isEqualTo(107);
    assertThat(asUid.pid()).isEqualTo(ProcessHandle.current().pid());
    assertThat(asUid.mayActOn(107)).isTrue();
    assertThat(asUid.mayActOn(108)).isFalse();

    LeaseActor all = tls("sha256=" + HEX + ",allLeases,name=auditor").leaseActor(true).orElseThrow();
    assertThat(all.mayActOn(108)).isTrue();
    StatusRuntimeException noUid = catchThrowableOfType(StatusRuntimeException.class, all::uid);
    assertThat(noUid.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(ErrorMapper.reasonOf(noUid)).contains(LeaseActor.NO_ACTING_UID);
    assertThat(noUid.getStatus().getDescription()).contains("tls operator auditor");

    // a mapping to uid 0 is root: on every lease exactly when root is an operator
    assertThat(tls("sha256=" + HEX + ",uid=0").leaseActor(true).orElseThrow().mayActOn(108)).isTrue();
    assertThat(tls("sha256=" + HEX + ",uid=0").leaseActor(false).orElseThrow().mayActOn(108)).isFalse();
  }

  @Test
  void aCallOnAConnectionWhoseCertificateHasSinceExpiredIsUnauthenticated() throws Exception {
    TlsPeer expired = new TlsPeer(HEX, "CN=ops", Instant.now().minusSeconds(1), TlsOperator.parse("sha256=" + HEX + ",uid=1"));
    String name = InProcessServerBuilder.generateName();
    HealthStatusManager health = new HealthStatusManager();
    Server server = InProcessServerBuilder.forName(name).directExecutor()
        .addTransportFilter(new ServerTransportFilter() {
          @Override
          public Attributes transportReady(Attributes a) {
            return a.toBuilder().set(ClientCertificateFilter.TLS_PEER, expired).build();
          }
        })
        .addService(ServerInterceptors.intercept(health.getHealthService(), Caller.interceptor()))
        .build().start();
    ManagedChannel ch = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class,
          () -> HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
      assertThat(ErrorMapper.reasonOf(e)).contains("CLIENT_CERT_EXPIRED");
    } finally {
      ch.shutdownNow();
      server.shutdownNow();
    }
  }
}
