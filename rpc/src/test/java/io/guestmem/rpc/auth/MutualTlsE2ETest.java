package io.guestmem.rpc.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.guestmem.memory.Owner;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.errors.ErrorMapper;
import io.guestmem.rpc.server.GuestmemServer;
import io.guestmem.rpc.v1.AttestationGrpc;
import io.guestmem.rpc.v1.ByteRange;
import io.guestmem.rpc.v1.CapabilitiesGrpc;
import io.guestmem.rpc.v1.CloseLeaseRequest;
import io.guestmem.rpc.v1.ConvertRequest;
import io.guestmem.rpc.v1.EmulateTdxRequest;
import io.guestmem.rpc.v1.GetCapabilitiesRequest;
import io.guestmem.rpc.v1.GetLeaseRequest;
import io.guestmem.rpc.v1.GetNonceRequest;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.Lease;
import io.guestmem.rpc.v1.LeaseMode;
import io.guestmem.rpc.v1.OpenLeaseRequest;
import io.guestmem.rpc.v1.PageState;
import io.guestmem.rpc.v1.StateRange;
import io.guestmem.rpc.v1.TeeKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * mTLS on the real TCP/TLS port: a client certificate mapped to an operator manages leases over
 * TCP; unmapped and anonymous clients keep the relying-party limits; certificates the client CA
 * bundle does not vouch for fail the handshake; {@code require} refuses clients without one. Every
 * decision is in the {@code guestmem.audit} log.
 */
class MutualTlsE2ETest {
  private static final long MIB = 1L << 20;
  private static final int MY_UID = Owner.self().uid();
  @TempDir static Path tmp;
  static Path stateDir;
  static GuestmemServer server;
  static TestPki.Issued ca;
  static Path[] operator;
  static Path[] allLeasesOperator;
  static Path[] otherUidOperator;
  static Path[] unmapped;
  static Path[] otherCa;
  static Path[] expired;
  static Path[] serverOnly;
  static Path[] bySan;
  static ListAppender<ILoggingEvent> audit;

  @BeforeAll
  static void start() throws Exception {
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    ca = TestPki.rootCa("guestmem clients");
    TestPki.Issued foreignCa = TestPki.rootCa("not the configured CA");
    Path bundle = tmp.resolve("client-ca.pem");
    Files.writeString(bundle, TestPki.pem(ca.certificate()));
    Instant now = Instant.now();
    TestPki.Issued op = TestPki.client(ca, "ops console", TestPki.Profile.client());
    TestPki.Issued all = TestPki.client(ca, "fleet auditor", TestPki.Profile.client());
    TestPki.Issued other = TestPki.client(ca, "someone else's console", TestPki.Profile.client());
    TestPki.Issued san = TestPki.client(ca, "spiffe client", TestPki.Profile.client().san(null, "spiffe://example.org/guestmem-ops"));
    operator = op.write(tmp, "operator");
    allLeasesOperator = all.write(tmp, "all-leases");
    otherUidOperator = other.write(tmp, "other-uid");
    bySan = san.write(tmp, "by-san");
    unmapped = TestPki.client(ca, "relying party", TestPki.Profile.client()).write(tmp, "unmapped");
    otherCa = TestPki.client(foreignCa, "ops console", TestPki.Profile.client()).write(tmp, "other-ca");
    expired = TestPki.client(ca, "ops console", TestPki.Profile.client().validity(now.minus(Duration.ofDays(30)), now.minus(Duration.ofMinutes(1))))
        .write(tmp, "expired");
    serverOnly = TestPki.client(ca, "ops console", TestPki.Profile.client().serverAuthOnly()).write(tmp, "server-only");

    audit = new ListAppender<>();
    audit.start();
    ((Logger) LoggerFactory.getLogger(AuthorizationLog.LOGGER)).addAppender(audit);

    TlsOperators ops = new TlsOperators(List.of(
        TlsOperator.parse("sha256=" + op.sha256() + ",uid=" + MY_UID + ",name=ops"),
        TlsOperator.parse("sha256=" + all.sha256() + ",allLeases,name=auditor"),
        TlsOperator.parse("sha256=" + other.sha256() + ",uid=" + (MY_UID + 4242) + ",name=other"),
        TlsOperator.parse("san=uri:spiffe://example.org/guestmem-ops,uid=" + MY_UID + ",name=spiffe")));
    stateDir = tmp.resolve("state");
    server = new GuestmemServer(GuestmemServer.Options.defaults(stateDir).withTcp("127.0.0.1", 0).withBackend("emulated")
        .withMetrics("127.0.0.1", -1)
        .withClientAuth(new TlsClientAuth(TlsClientAuth.Mode.OPTIONAL, ClientCertificateVerifier.fromPem(bundle, Clock.systemUTC()), ops)));
    server.start();
  }

  @AfterAll
  static void stop() throws Exception {
    ((Logger) LoggerFactory.getLogger(AuthorizationLog.LOGGER)).detachAppender(audit);
    if (server != null) {
      server.shutdown(2);
    }
  }

  private static ServiceClient tcp(Path[] cert) throws Exception {
    if (cert == null) {
      return ServiceClient.connectTcp(server.endpoints().tcp(), server.endpoints().tlsCertSha256(), null, null);
    }
    return ServiceClient.connectTcp(stateDir, cert[0], cert[1]);
  }

  private static GuestMemoryGrpc.GuestMemoryBlockingStub memory(ServiceClient c) {
    return GuestMemoryGrpc.newBlockingStub(c.channel()).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private static HealthCheckResponse.ServingStatus health(ServiceClient c) {
    return HealthGrpc.newBlockingStub(c.channel()).withDeadlineAfter(20, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus();
  }

  private static StatusRuntimeException refused(Runnable call) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("the call was refused").isNotNull();
    return e;
  }

  private static String reason(StatusRuntimeException e) {
    return ErrorMapper.reasonOf(e).orElse("no reason in " + e);
  }

  private static List<String> auditLines() {
    synchronized (audit) {
      return audit.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  private static OpenLeaseRequest open(long size) {
    return OpenLeaseRequest.newBuilder().setSizeBytes(size).setMode(LeaseMode.LEASE_MODE_OWNED).setTeeKind(TeeKind.TEE_KIND_NONE).build();
  }

  private static String localLease() throws Exception {
    try (ServiceClient local = ServiceClient.connect(stateDir)) {
      return memory(local).openLease(open(2 * MIB)).getLease().getLeaseId();
    }
  }

  @Test
  void anOperatorCertificateOpensConvertsShowsAndClosesALeaseOverTcp() throws Exception {
    assertThat(new ObjectMapper().readTree(stateDir.resolve("endpoints.json").toFile()).get("tlsClientAuth").asText()).isEqualTo("optional");
    try (ServiceClient c = tcp(operator)) {
      GuestMemoryGrpc.GuestMemoryBlockingStub stub = memory(c);
      Lease l = stub.openLease(open(4 * MIB)).getLease();
      // it acts as its mapped uid; the opener process on record is guestmem itself
      assertThat(l.getOwnerUid()).isEqualTo(MY_UID);
      assertThat(l.getOwnerPid()).isEqualTo(ProcessHandle.current().pid());
      stub.convert(ConvertRequest.newBuilder().setLeaseId(l.getLeaseId())
          .addRanges(ByteRange.newBuilder().setOffset(MIB).setLength(MIB)).setTo(PageState.PAGE_STATE_SHARED).build());
      Lease shown = stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(l.getLeaseId()).build());
      assertThat(shown.getRangesList()).extracting((Function<StateRange, String>) s -> s.getRange().getOffset() + "+" + s.getRange().getLength() + " " + s.getState())
          .containsExactly("0+" + MIB + " PAGE_STATE_PRIVATE", MIB + "+" + MIB + " PAGE_STATE_SHARED", 2 * MIB + "+" + 2 * MIB + " PAGE_STATE_PRIVATE");
      // the lease is the mapped uid's: the same uid on the unix socket sees it too
      try (ServiceClient local = ServiceClient.connect(stateDir)) {
        assertThat(memory(local).getLease(GetLeaseRequest.newBuilder().setLeaseId(l.getLeaseId()).build()).getSharedBytes()).isEqualTo(MIB);
      }
      stub.closeLease(CloseLeaseRequest.newBuilder().setLeaseId(l.getLeaseId()).build());
      assertThat(stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(l.getLeaseId()).build()).getStatus())
          .isEqualTo(io.guestmem.rpc.v1.LeaseStatus.LEASE_STATUS_CLOSED);
    }
    assertThat(auditLines()).anySatisfy(line -> assertThat(line).contains("allow guestmem.v1.GuestMemory/OpenLease").contains("operator ops"));
    assertThat(auditLines()).anySatisfy(line -> assertThat(line).contains("connected with certificate \"CN=ops console\"").contains("= operator ops"));
  }

  @Test
  void aSubjectAltNameMappingActsLikeAFingerprintOne() throws Exception {
    try (ServiceClient c = tcp(bySan)) {
      Lease l = memory(c).openLease(open(2 * MIB)).getLease();
      assertThat(l.getOwnerUid()).isEqualTo(MY_UID);
      memory(c).closeLease(CloseLeaseRequest.newBuilder().setLeaseId(l.getLeaseId()).build());
    }
  }

  @Test
  void unmappedAndAnonymousClientsKeepTheRelyingPartyLimits() throws Exception {
    String lease = localLease();
    for (Path[] cert : new Path[][] {unmapped, null}) {
      try (ServiceClient c = tcp(cert)) {
        for (Runnable call : List.<Runnable>of(
            () -> memory(c).openLease(open(2 * MIB)),
            () -> memory(c).getLease(GetLeaseRequest.newBuilder().setLeaseId(lease).build()),
            () -> memory(c).closeLease(CloseLeaseRequest.newBuilder().setLeaseId(lease).build()),
            () -> AttestationGrpc.newBlockingStub(c.channel()).withDeadlineAfter(20, TimeUnit.SECONDS)
                .emulateTdx(EmulateTdxRequest.newBuilder().setLeaseId(lease).build()))) {
          StatusRuntimeException e = refused(call);
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
          assertThat(reason(e)).isEqualTo(ErrorMapper.LOCAL_CALLERS_ONLY);
        }
        // what relying parties use still answers
        assertThat(HealthGrpc.newBlockingStub(c.channel()).withDeadlineAfter(20, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance())
            .getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThat(CapabilitiesGrpc.newBlockingStub(c.channel()).withDeadlineAfter(20, TimeUnit.SECONDS)
            .getCapabilities(GetCapabilitiesRequest.getDefaultInstance()).getDefaultBackend()).isNotEmpty();
        assertThat(AttestationGrpc.newBlockingStub(c.channel()).withDeadlineAfter(20, TimeUnit.SECONDS)
            .getNonce(GetNonceRequest.getDefaultInstance()).getNonce().size()).isPositive();
      }
    }
    // nothing happened to the lease
    try (ServiceClient local = ServiceClient.connect(stateDir)) {
      assertThat(memory(local).getLease(GetLeaseRequest.newBuilder().setLeaseId(lease).build()).getStatus().name()).isEqualTo("LEASE_STATUS_ACTIVE");
      memory(local).closeLease(CloseLeaseRequest.newBuilder().setLeaseId(lease).build());
    }
    assertThat(auditLines()).anySatisfy(line -> assertThat(line).contains("deny guestmem.v1.GuestMemory/OpenLease")
        .contains("\"CN=relying party\"").contains("is not mapped to an operator"));
    assertThat(auditLines()).anySatisfy(line -> assertThat(line).contains("deny guestmem.v1.Attestation/EmulateTdx")
        .contains("presented no client certificate"));
  }

  @Test
  void certificatesTheBundleDoesNotVouchForFailTheHandshake() throws Exception {
    for (Object[] c : new Object[][] {{otherCa, "CLIENT_CERT_UNTRUSTED"}, {expired, "CLIENT_CERT_EXPIRED"}, {serverOnly, "CLIENT_CERT_WRONG_USAGE"}}) {
      try (ServiceClient client = tcp((Path[]) c[0])) {
        StatusRuntimeException e = refused(() -> HealthGrpc.newBlockingStub(client.channel()).withDeadlineAfter(20, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()));
        assertThat(e.getStatus().getCode()).as((String) c[1]).isEqualTo(Status.Code.UNAVAILABLE);
      }
      assertThat(auditLines()).anySatisfy(line -> assertThat(line).startsWith("tls handshake from /127.0.0.1:").contains("refused: " + c[1]));
    }
  }

  @Test
  void anAllLeasesOperatorActsOnEveryLeaseButOpensNone() throws Exception {
    String lease = localLease();
    try (ServiceClient c = tcp(allLeasesOperator)) {
      assertThat(memory(c).getLease(GetLeaseRequest.newBuilder().setLeaseId(lease).build()).getOwnerUid()).isEqualTo(MY_UID);
      StatusRuntimeException e = refused(() -> memory(c).openLease(open(2 * MIB)));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(reason(e)).isEqualTo(LeaseActor.NO_ACTING_UID);
      memory(c).closeLease(CloseLeaseRequest.newBuilder().setLeaseId(lease).build());
    }
  }

  @Test
  void anOperatorMappedToAnotherUidIsNotTheOwner() throws Exception {
    String lease = localLease();
    try (ServiceClient c = tcp(otherUidOperator)) {
      StatusRuntimeException e = refused(() -> memory(c).closeLease(CloseLeaseRequest.newBuilder().setLeaseId(lease).build()));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(reason(e)).isEqualTo("NOT_OWNER");
    }
    try (ServiceClient local = ServiceClient.connect(stateDir)) {
      memory(local).closeLease(CloseLeaseRequest.newBuilder().setLeaseId(lease).build());
    }
  }

  @Test
  void theClientRefusesAServerThatIsNotThePinnedOne() throws Exception {
    try (ServiceClient c = ServiceClient.connectTcp(server.endpoints().tcp(), "00".repeat(32), operator[0], operator[1])) {
      StatusRuntimeException e = refused(() -> HealthGrpc.newBlockingStub(c.channel()).withDeadlineAfter(20, TimeUnit.SECONDS)
          .check(HealthCheckRequest.getDefaultInstance()));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }
  }

  /**
   * A CRL file: a listed client certificate fails the handshake (CLIENT_CERT_REVOKED, audited);
   * when the CA publishes a new CRL into the same file, the running service uses it.
   */
  @Test
  void aRevokedCertificateFailsTheHandshake_andANewCrlIsUsedWithoutARestart() throws Exception {
    TestPki.Issued revokedNow = TestPki.client(ca, "lost laptop", TestPki.Profile.client());
    TestPki.Issued revokedLater = TestPki.client(ca, "retired console", TestPki.Profile.client());
    Path[] lost = revokedNow.write(tmp, "lost");
    Path[] retired = revokedLater.write(tmp, "retired");
    Path crl = tmp.resolve("client-ca.crl");
    Files.writeString(crl, TestPki.crlPem(TestPki.crl(ca, revokedNow.certificate())));
    Path state = tmp.resolve("state-crl");
    GuestmemServer withCrl = new GuestmemServer(GuestmemServer.Options.defaults(state).withTcp("127.0.0.1", 0).withBackend("emulated")
        .withMetrics("127.0.0.1", -1)
        .withClientAuth(new TlsClientAuth(TlsClientAuth.Mode.OPTIONAL, ClientCertificateVerifier.fromPem(tmp.resolve("client-ca.pem"), Clock.systemUTC())
            .withCrls(ClientCrls.load(List.of(crl), Clock.systemUTC())), TlsOperators.none())));
    try {
      GuestmemServer.Endpoints ep = withCrl.start();
      Function<Path[], HealthCheckResponse.ServingStatus> health = cert -> {
        try (ServiceClient c = ServiceClient.connectTcp(ep.tcp(), ep.tlsCertSha256(), cert[0], cert[1])) {
          return HealthGrpc.newBlockingStub(c.channel()).withDeadlineAfter(20, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance()).getStatus();
        } catch (Exception e) {
          throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
        }
      };
      StatusRuntimeException e = refused(() -> health.apply(lost));
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(auditLines()).anySatisfy(line -> assertThat(line).startsWith("tls handshake from /127.0.0.1:")
          .contains("refused: CLIENT_CERT_REVOKED").contains("CN=lost laptop"));
      assertThat(health.apply(retired)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

      // the CA revokes the second one too; the service reads the file again within a second or so
      Files.writeString(crl, TestPki.crlPem(TestPki.crl(ca, revokedNow.certificate(), revokedLater.certificate())));
      Thread.sleep(ClientCrls.RECHECK.toMillis() + 200);
      assertThat(refused(() -> health.apply(retired)).getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(auditLines()).anySatisfy(line -> assertThat(line).contains("refused: CLIENT_CERT_REVOKED").contains("CN=retired console"));
    } finally {
      withCrl.shutdown(2);
    }
  }

  /**
   * Reloading the client settings while serving: a new mapping makes a client an operator on its
   * next connection; optional → require refuses the next connection without a certificate (in the
   * handshake) while certified clients go on, and back; a bundle without its CA refuses the
   * client; switching client certificates off is refused and changes nothing.
   */
  @Test
  void reloadedSettingsApplyToNewConnections_includingTheMode() throws Exception {
    TestPki.Issued newcomer = TestPki.client(ca, "new ops console", TestPki.Profile.client());
    Path[] cert = newcomer.write(tmp, "newcomer");
    Path bundle = tmp.resolve("client-ca.pem");
    Path state = tmp.resolve("state-reload");
    GuestmemServer reloading = new GuestmemServer(GuestmemServer.Options.defaults(state).withTcp("127.0.0.1", 0).withBackend("emulated")
        .withMetrics("127.0.0.1", -1)
        .withClientAuth(new TlsClientAuth(TlsClientAuth.Mode.OPTIONAL, ClientCertificateVerifier.fromPem(bundle, Clock.systemUTC()), TlsOperators.none())));
    try {
      GuestmemServer.Endpoints ep = reloading.start();
      try (ServiceClient c = ServiceClient.connectTcp(ep.tcp(), ep.tlsCertSha256(), cert[0], cert[1])) {
        assertThat(reason(refused(() -> memory(c).openLease(open(2 * MIB))))).isEqualTo(ErrorMapper.LOCAL_CALLERS_ONLY);
      }
      reloading.reloadClientAuth(new TlsClientAuth(TlsClientAuth.Mode.OPTIONAL, ClientCertificateVerifier.fromPem(bundle, Clock.systemUTC()),
          new TlsOperators(List.of(TlsOperator.parse("sha256=" + newcomer.sha256() + ",uid=" + MY_UID + ",name=newcomer")))));
      try (ServiceClient c = ServiceClient.connectTcp(ep.tcp(), ep.tlsCertSha256(), cert[0], cert[1])) {
        String lease = memory(c).openLease(open(2 * MIB)).getLease().getLeaseId();
        memory(c).closeLease(CloseLeaseRequest.newBuilder().setLeaseId(lease).build());
      }
      assertThat(auditLines()).anySatisfy(line -> assertThat(line).contains("connected with certificate \"CN=new ops console\"")
          .contains("= operator newcomer"));

      // optional -> require: an anonymous relying party connected before keeps its connection; a new one is refused in the handshake
      TlsOperators newcomerOps = new TlsOperators(List.of(TlsOperator.parse("sha256=" + newcomer.sha256() + ",uid=" + MY_UID + ",name=newcomer")));
      try (ServiceClient before = ServiceClient.connectTcp(ep.tcp(), ep.tlsCertSha256(), null, null)) {
        assertThat(health(before)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        reloading.reloadClientAuth(new TlsClientAuth(TlsClientAuth.Mode.REQUIRE, ClientCertificateVerifier.fromPem(bundle, Clock.systemUTC()),
            newcomerOps));
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(state.resolve("endpoints.json").toFile()).get("tlsClientAuth").asText())
            .isEqualTo("require");
        int seen = auditLines().size();
        try (ServiceClient anonymous = ServiceClient.connectTcp(ep.tcp(), ep.tlsCertSha256(), null, null)) {
          assertThat(refused(() -> health(anonymous)).getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        }
        assertThat(auditLines().subList(seen, auditLines().size()))
            .anySatisfy(line -> assertThat(line).contains("refused: " + HandshakeAuditingNegotiator.CLIENT_CERT_REQUIRED));
        assertThat(health(before)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
      }
      try (ServiceClient c = ServiceClient.connectTcp(ep.tcp(), ep.tlsCertSha256(), cert[0], cert[1])) {
        assertThat(memory(c).openLease(open(2 * MIB)).getLease().getLeaseId()).isNotEmpty(); // still the operator
      }
      // and back: anonymous relying parties are served again
      reloading.reloadClientAuth(new TlsClientAuth(TlsClientAuth.Mode.OPTIONAL, ClientCertificateVerifier.fromPem(bundle, Clock.systemUTC()),
          newcomerOps));
      try (ServiceClient anonymous = ServiceClient.connectTcp(ep.tcp(), ep.tlsCertSha256(), null, null)) {
        assertThat(health(anonymous)).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
      }

      // a bundle of another CA: the client's certificate no longer gets in
      Path otherBundle = tmp.resolve("other-bundle.pem");
      Files.writeString(otherBundle, TestPki.pem(TestPki.rootCa("another client CA").certificate()));
      reloading.reloadClientAuth(new TlsClientAuth(TlsClientAuth.Mode.OPTIONAL, ClientCertificateVerifier.fromPem(otherBundle, Clock.systemUTC()),
          TlsOperators.none()));
      try (ServiceClient c = ServiceClient.connectTcp(ep.tcp(), ep.tlsCertSha256(), cert[0], cert[1])) {
        assertThat(refused(() -> HealthGrpc.newBlockingStub(c.channel()).withDeadlineAfter(20, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance())).getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      }
      assertThat(auditLines()).anySatisfy(line -> assertThat(line).contains("refused: CLIENT_CERT_UNTRUSTED").contains("CN=new ops console"));
    } finally {
      reloading.shutdown(2);
    }
    // nor can a reload switch client certificates off
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> server.reloadClientAuth(TlsClientAuth.none())).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void requireModeRefusesClientsWithoutACertificate() throws Exception {
    Path state = tmp.resolve("state-require");
    GuestmemServer strict = new GuestmemServer(GuestmemServer.Options.defaults(state).withTcp("127.0.0.1", 0).withBackend("emulated")
        .withMetrics("127.0.0.1", -1)
        .withClientAuth(new TlsClientAuth(TlsClientAuth.Mode.REQUIRE, ClientCertificateVerifier.fromPem(tmp.resolve("client-ca.pem"), Clock.systemUTC()), TlsOperators.none())));
    try {
      GuestmemServer.Endpoints ep = strict.start();
      try (ServiceClient anonymous = ServiceClient.connectTcp(ep.tcp(), ep.tlsCertSha256(), null, null)) {
        StatusRuntimeException e = refused(() -> HealthGrpc.newBlockingStub(anonymous.channel()).withDeadlineAfter(20, TimeUnit.SECONDS)
            .check(HealthCheckRequest.getDefaultInstance()));
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      }
      assertThat(auditLines()).anySatisfy(line -> assertThat(line).contains("refused: " + HandshakeAuditingNegotiator.CLIENT_CERT_REQUIRED));
      // a valid certificate gets in; unmapped, it is a relying party
      try (ServiceClient rp = ServiceClient.connectTcp(ep.tcp(), ep.tlsCertSha256(), unmapped[0], unmapped[1])) {
        assertThat(HealthGrpc.newBlockingStub(rp.channel()).withDeadlineAfter(20, TimeUnit.SECONDS).check(HealthCheckRequest.getDefaultInstance())
            .getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThat(reason(refused(() -> memory(rp).openLease(open(2 * MIB))))).isEqualTo(ErrorMapper.LOCAL_CALLERS_ONLY);
      }
    } finally {
      strict.shutdown(2);
    }
  }
}
