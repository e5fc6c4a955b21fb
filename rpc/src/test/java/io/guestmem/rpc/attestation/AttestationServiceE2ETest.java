package io.guestmem.rpc.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.guestmem.attestation.ear.EarTokens;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.errors.ErrorMapper;
import io.guestmem.rpc.server.GuestmemServer;
import io.guestmem.rpc.v1.AttestationGrpc;
import io.guestmem.rpc.v1.AttestationGrpc.AttestationBlockingStub;
import io.guestmem.rpc.v1.Collateral;
import io.guestmem.rpc.v1.EmulateResponse;
import io.guestmem.rpc.v1.EmulateSnpRequest;
import io.guestmem.rpc.v1.EmulateTdxRequest;
import io.guestmem.rpc.v1.Evidence;
import io.guestmem.rpc.v1.GetNonceRequest;
import io.guestmem.rpc.v1.GetNonceResponse;
import io.guestmem.rpc.v1.GetVerifierKeysRequest;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.LeaseMode;
import io.guestmem.rpc.v1.OpenLeaseRequest;
import io.guestmem.rpc.v1.TeeKind;
import io.guestmem.rpc.v1.VerifyRequest;
import io.guestmem.rpc.v1.VerifyResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Attestation end to end: the emulated TEE on a lease over the unix socket, verification over TCP+TLS. */
class AttestationServiceE2ETest {
  @TempDir Path tmp;
  private GuestmemServer server;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.shutdown(2);
    }
  }

  private Path start(Path trustedRoots) throws Exception {
    Path state = tmp.resolve("state");
    GuestmemServer.Options o = GuestmemServer.Options.defaults(state).withTcp("127.0.0.1", 0).withBackend("emulated");
    server = new GuestmemServer(trustedRoots == null ? o : o.withTrustedEmulatedRoots(trustedRoots));
    server.start();
    return state;
  }

  private ManagedChannel tls(Path state) throws Exception {
    String tcp = server.endpoints().tcp();
    return NettyChannelBuilder.forAddress("127.0.0.1", Integer.parseInt(tcp.substring(tcp.lastIndexOf(':') + 1)))
        .overrideAuthority("localhost")
        .sslContext(GrpcSslContexts.forClient().trustManager(state.resolve("tls/server.crt").toFile()).build())
        .build();
  }

  private static EmulateResponse emulateSnp(ServiceClient local, ByteString reportData) {
    String lease = GuestMemoryGrpc.newBlockingStub(local.channel()).openLease(OpenLeaseRequest.newBuilder()
        .setSizeBytes(4 << 20).setMode(LeaseMode.LEASE_MODE_OWNED).setTeeKind(TeeKind.TEE_KIND_SNP).build()).getLease().getLeaseId();
    return AttestationGrpc.newBlockingStub(local.channel()).withDeadlineAfter(120, TimeUnit.SECONDS).emulateSnp(EmulateSnpRequest.newBuilder()
        .setLeaseId(lease).setProduct("Milan").setReportVersion(5).setSigner("vcek").setSeed(21)
        .setReportData(reportData).build());
  }

  private static VerifyRequest.Builder request(EmulateResponse e) {
    Collateral.Builder c = Collateral.newBuilder();
    for (Map.Entry<String, ByteString> f : e.getFilesMap().entrySet()) {
      if (f.getKey().startsWith("kds/vcek/") && !f.getKey().endsWith("/crl")) {
        c.addCertificates(f.getValue());
      }
      if (f.getKey().startsWith("kds/vcek/") && f.getKey().endsWith("/crl")) {
        c.addCrls(f.getValue());
      }
    }
    return VerifyRequest.newBuilder()
        .setEvidence(Evidence.newBuilder().setMediaType(AttestationService.MEDIA_SNP).setData(e.getEvidence()))
        .setCollateral(c);
  }

  private static String reason(Throwable t) {
    return ErrorMapper.reasonOf(t).orElse("none: " + t);
  }

  @Test
  void emulatedEvidenceIsContraindicatedUntilItsRootIsTrustedAndTheEarVerifies() throws Exception {
    Path state = start(null);
    EmulateResponse e;
    try (ServiceClient local = ServiceClient.connect(state)) {
      e = emulateSnp(local, ByteString.copyFromUtf8("relying-party-nonce"));
    }
    assertThat(e.getEvidence().size()).isEqualTo(1184);
    assertThat(e.getLogList()).anySatisfy(l -> assertThat(l).contains("MSG_REPORT_REQ"));
    assertThat(e.getFilesMap()).containsKey("roots/ark.pem");

    ManagedChannel ch = tls(state);
    try {
      AttestationBlockingStub rp = AttestationGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
      VerifyResponse untrusted = rp.verify(request(e).build());
      assertThat(untrusted.getTee()).isEqualTo("snp");
      assertThat(untrusted.getStatus()).isEqualTo("contraindicated");
      assertThat(untrusted.getChecksList()).anySatisfy(c -> assertThat(c.getReason()).isEqualTo("untrusted_root"));
      String jwks = rp.getVerifierKeys(GetVerifierKeysRequest.getDefaultInstance()).getJwks();
      assertThat(EarTokens.verify(untrusted.getEar(), jwks, Instant.now())).containsKey("submods");
      assertThat(untrusted.getVerdictJson()).contains("\"tee\" : \"snp\"");
    } finally {
      ch.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
    }

    // the same evidence, on a server configured to trust the emulated roots
    server.shutdown(2);
    Path roots = Files.createDirectories(tmp.resolve("roots"));
    Files.write(roots.resolve("ark.pem"), e.getFilesMap().get("roots/ark.pem").toByteArray());
    state = start(roots);
    ch = tls(state);
    try {
      AttestationBlockingStub rp = AttestationGrpc.newBlockingStub(ch).withDeadlineAfter(60, TimeUnit.SECONDS);
      GetNonceResponse nonce = rp.getNonce(GetNonceRequest.getDefaultInstance());
      assertThat(nonce.getNonce().size()).isEqualTo(32);
      // the guest binds the relying party's nonce into REPORT_DATA (same seed: same emulated ARK)
      EmulateResponse bound;
      try (ServiceClient local = ServiceClient.connect(state)) {
        bound = emulateSnp(local, nonce.getNonce());
      }
      VerifyResponse trusted = rp.verify(request(bound).setNonce(nonce.getNonce()).build());
      assertThat(trusted.getSignatureValid()).isTrue();
      assertThat(trusted.getEmulated()).isTrue();
      assertThat(trusted.getStatus()).as(trusted.getVerdictJson()).isNotEqualTo("contraindicated");
      StatusRuntimeException replay = catchThrowableOfType(StatusRuntimeException.class,
          () -> rp.verify(request(bound).setNonce(nonce.getNonce()).build()));
      assertThat(replay.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
      assertThat(reason(replay)).isEqualTo("NONCE_UNKNOWN");
    } finally {
      ch.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
    }
  }

  @Test
  void malformedRequestsAreRefusedPreciselyAndTcpCannotEmulate() throws Exception {
    Path state = start(null);
    ManagedChannel ch = tls(state);
    try {
      AttestationBlockingStub rp = AttestationGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
      StatusRuntimeException empty = catchThrowableOfType(StatusRuntimeException.class, () -> rp.verify(VerifyRequest.getDefaultInstance()));
      assertThat(reason(empty)).isEqualTo(ErrorMapper.INVALID_REQUEST);
      StatusRuntimeException garbage = catchThrowableOfType(StatusRuntimeException.class, () -> rp.verify(VerifyRequest.newBuilder()
          .setEvidence(Evidence.newBuilder().setData(ByteString.copyFromUtf8("definitely not a quote"))).build()));
      assertThat(garbage.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(reason(garbage)).isEqualTo("UNKNOWN_EVIDENCE");
      StatusRuntimeException media = catchThrowableOfType(StatusRuntimeException.class, () -> rp.verify(VerifyRequest.newBuilder()
          .setEvidence(Evidence.newBuilder().setMediaType("application/x-nope").setData(ByteString.copyFrom(new byte[1184]))).build()));
      assertThat(reason(media)).isEqualTo("UNKNOWN_MEDIA_TYPE");
      StatusRuntimeException policy = catchThrowableOfType(StatusRuntimeException.class, () -> rp.verify(VerifyRequest.newBuilder()
          .setEvidence(Evidence.newBuilder().setData(ByteString.copyFrom(new byte[1184]))).setPolicyId("../../etc/passwd").build()));
      assertThat(reason(policy)).isIn("POLICY_NOT_FOUND", "UNKNOWN_EVIDENCE");
      StatusRuntimeException nonce = catchThrowableOfType(StatusRuntimeException.class, () -> rp.verify(VerifyRequest.newBuilder()
          .setEvidence(Evidence.newBuilder().setData(ByteString.copyFrom(new byte[1184]))).setNonce(ByteString.copyFromUtf8("mine")).build()));
      assertThat(reason(nonce)).isIn("NONCE_UNKNOWN", "UNKNOWN_EVIDENCE");
      StatusRuntimeException emulate = catchThrowableOfType(StatusRuntimeException.class,
          () -> rp.emulateTdx(EmulateTdxRequest.newBuilder().setLeaseId("x").build()));
      assertThat(emulate.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
      assertThat(reason(emulate)).isEqualTo(ErrorMapper.LOCAL_CALLERS_ONLY);
    } finally {
      ch.shutdownNow().awaitTermination(2, TimeUnit.SECONDS);
    }
  }
}
