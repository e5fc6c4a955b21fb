package io.guestmem.rpc.attestation;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.guestmem.attestation.Check;
import io.guestmem.attestation.Evidence;
import io.guestmem.attestation.InvalidRequestException;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.VerificationContext;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.Collateral;
import io.guestmem.attestation.collateral.CollateralDirectory;
import io.guestmem.attestation.collateral.SignedDocument;
import io.guestmem.attestation.ear.EarTokens;
import io.guestmem.attestation.ear.VerdictJson;
import io.guestmem.attestation.ear.VerifierKey;
import io.guestmem.attestation.pki.CertificateParseException;
import io.guestmem.attestation.pki.Certificates;
import io.guestmem.attestation.policy.AppraisalPolicy;
import io.guestmem.attestation.trust.TrustAnchors;
import io.guestmem.memory.Lease;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryException;
import io.guestmem.rpc.auth.Caller;
import io.guestmem.rpc.auth.LeaseActor;
import io.guestmem.rpc.errors.BlockingCalls;
import io.guestmem.rpc.errors.ErrorMapper;
import io.guestmem.rpc.v1.AttestationGrpc;
import io.guestmem.rpc.v1.EmulateResponse;
import io.guestmem.rpc.v1.EmulateSnpRequest;
import io.guestmem.rpc.v1.EmulateTdxRequest;
import io.guestmem.rpc.v1.GetNonceRequest;
import io.guestmem.rpc.v1.GetNonceResponse;
import io.guestmem.rpc.v1.GetVerifierKeysRequest;
import io.guestmem.rpc.v1.GetVerifierKeysResponse;
import io.guestmem.rpc.v1.VerifyRequest;
import io.guestmem.rpc.v1.VerifyResponse;
import io.guestmem.snp.abi.SnpProduct;
import io.guestmem.snp.emu.SnpEmulation;
import io.guestmem.tdx.emu.TdxEmulation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * {@code guestmem.v1.Attestation}: verification for relying parties, and the emulated TEE for
 * local callers. Verification runs on a bounded pool (signature checks take 0.1–4 ms), never on
 * a transport thread; per-platform results are cached by {@link Verifiers}.
 */
public final class AttestationService extends AttestationGrpc.AttestationImplBase {
  public static final String MEDIA_TDX = "application/vnd.guestmem.tdx-quote";
  public static final String MEDIA_SNP = "application/vnd.guestmem.snp-report";
  private static final Pattern POLICY_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** Where the server finds what it appraises with. */
  public record Config(TrustAnchors anchors, Path collateralDir, Path policyDir, VerifierKey earKey, String build) {}

  private final Verifiers verifiers;
  private final Config config;
  private final NonceStore nonces;
  private final EarTokens ear;
  private final MemoryEngine engine;
  private final ExecutorService blocking;
  private final java.util.function.BiConsumer<String, String> outcomes;

  /** @param outcomes told (tee, AR4SI status) of every verdict, e.g. for metrics */
  public AttestationService(Verifiers verifiers, Config config, NonceStore nonces, MemoryEngine engine, ExecutorService blocking,
                            java.util.function.BiConsumer<String, String> outcomes) {
    this.verifiers = verifiers;
    this.config = config;
    this.nonces = nonces;
    this.ear = new EarTokens(config.earKey(), config.build());
    this.engine = engine;
    this.blocking = blocking;
    this.outcomes = outcomes;
  }

  private <R> void offload(StreamObserver<R> out, BlockingCalls.Body<R> body) {
    BlockingCalls.unary(blocking, out, body);
  }

  @Override
  public void verify(VerifyRequest req, StreamObserver<VerifyResponse> out) {
    offload(out, () -> {
      byte[] data = req.getEvidence().getData().toByteArray();
      if (data.length == 0) {
        throw ErrorMapper.invalid("evidence.data is empty");
      }
      int off = req.getReportOffset();
      if (off < 0 || off >= data.length) {
        throw ErrorMapper.status(Status.Code.OUT_OF_RANGE, "BAD_OFFSET", "report_offset " + Integer.toUnsignedString(off)
            + " is outside the " + data.length + "-byte evidence");
      }
      Evidence evidence = Evidence.copyOf(data, off, data.length - off);
      String tee = verifiers.detect(evidence).map(v -> v.tee()).orElse("");
      String media = req.getEvidence().getMediaType();
      if (!media.isEmpty()) {
        String expected = MEDIA_TDX.equals(media) ? "tdx" : MEDIA_SNP.equals(media) ? "snp" : null;
        if (expected == null) {
          throw ErrorMapper.status(Status.Code.INVALID_ARGUMENT, "UNKNOWN_MEDIA_TYPE", "unknown media type " + media);
        }
        if (!expected.equals(tee)) {
          throw ErrorMapper.status(Status.Code.INVALID_ARGUMENT, "MEDIA_TYPE_MISMATCH", "media type " + media + " but the bytes are "
              + (tee.isEmpty() ? "not recognised evidence" : tee + " evidence"));
        }
      }
      byte[] nonce = null;
      if (!req.getNonce().isEmpty()) {
        nonce = req.getNonce().toByteArray();
        NonceStore.Refusal r = nonces.redeem(nonce);
        if (r != null) {
          throw ErrorMapper.status(Status.Code.FAILED_PRECONDITION, r.name(), "nonce was not issued by GetNonce, was used, or expired");
        }
      }
      Instant at = req.hasAt() ? Instant.ofEpochSecond(req.getAt().getSeconds(), req.getAt().getNanos()) : Instant.now();
      VerificationContext ctx = new VerificationContext(at, config.anchors(), collateral(req.getCollateral()), verifiers.cache(), policy(req.getPolicyId()));
      Verdict v = verifiers.verify(evidence, ctx, nonce);
      outcomes.accept(v.tee(), v.status().earName());
      VerifyResponse.Builder b = VerifyResponse.newBuilder()
          .setTee(v.tee())
          .setStatus(v.status().earName())
          .setSignatureValid(v.signatureValid())
          .setEmulated(v.emulated())
          .setVerdictJson(VerdictJson.toJson(v))
          .setEar(ear.sign(v, nonce, Instant.now()));
      if (v.tcb() != null) {
        b.setTcbStatus(v.tcb().status()).addAllAdvisories(v.tcb().advisories());
      }
      for (Check c : v.checks()) {
        b.addChecks(io.guestmem.rpc.v1.Check.newBuilder().setId(c.id()).setOk(c.ok()).setReason(c.reason())
            .setDetail(c.detail() == null ? "" : c.detail()));
      }
      return b.build();
    });
  }

  private AppraisalPolicy policy(String id) throws InvalidRequestException {
    if (id.isEmpty()) {
      return verifiers.defaultPolicy();
    }
    if (!POLICY_ID.matcher(id).matches() || config.policyDir() == null) {
      throw ErrorMapper.status(Status.Code.NOT_FOUND, "POLICY_NOT_FOUND", "no policy '" + id + "'");
    }
    Path file = config.policyDir().resolve(id + ".json");
    if (!Files.isRegularFile(file)) {
      throw ErrorMapper.status(Status.Code.NOT_FOUND, "POLICY_NOT_FOUND", "no policy '" + id + "'");
    }
    return verifiers.compilePolicy(file);
  }

  private Collateral collateral(io.guestmem.rpc.v1.Collateral c) throws InvalidRequestException {
    try {
      List<X509CertificateHolder> certs = new ArrayList<>();
      for (int i = 0; i < c.getCertificatesCount(); i++) {
        certs.addAll(Certificates.parseAll(c.getCertificates(i).toByteArray(), "collateral.certificates[" + i + "]"));
      }
      List<X509CRLHolder> crls = new ArrayList<>();
      for (int i = 0; i < c.getCrlsCount(); i++) {
        crls.addAll(Certificates.parseCrls(c.getCrls(i).toByteArray(), "collateral.crls[" + i + "]"));
      }
      Map<String, SignedDocument> docs = new HashMap<>();
      if (!c.getTcbInfo().isEmpty()) {
        docs.put(Collateral.TCB_INFO, new SignedDocument(c.getTcbInfo().toByteArray(),
            c.getTcbInfoIssuerChain().isEmpty() ? List.of() : Certificates.parseAll(c.getTcbInfoIssuerChain().toByteArray(), "collateral.tcb_info_issuer_chain"),
            "collateral.tcb_info"));
      }
      if (!c.getQeIdentity().isEmpty()) {
        docs.put(Collateral.QE_IDENTITY, new SignedDocument(c.getQeIdentity().toByteArray(),
            c.getQeIdentityIssuerChain().isEmpty() ? List.of() : Certificates.parseAll(c.getQeIdentityIssuerChain().toByteArray(), "collateral.qe_identity_issuer_chain"),
            "collateral.qe_identity"));
      }
      CollateralDirectory dir = config.collateralDir() != null && Files.isDirectory(config.collateralDir())
          ? new CollateralDirectory(config.collateralDir()) : null;
      return new Collateral(certs, crls, docs, dir);
    } catch (CertificateParseException e) {
      throw new InvalidRequestException("bad_collateral", e.getMessage(), e);
    }
  }

  @Override
  public void getNonce(GetNonceRequest req, StreamObserver<GetNonceResponse> out) {
    NonceStore.Issued n = nonces.issue();
    out.onNext(GetNonceResponse.newBuilder().setNonce(ByteString.copyFrom(n.nonce()))
        .setExpireTime(Timestamp.newBuilder().setSeconds(n.expires().getEpochSecond()).setNanos(n.expires().getNano())).build());
    out.onCompleted();
  }

  @Override
  public void getVerifierKeys(GetVerifierKeysRequest req, StreamObserver<GetVerifierKeysResponse> out) {
    out.onNext(GetVerifierKeysResponse.newBuilder().setJwks(config.earKey().jwks()).build());
    out.onCompleted();
  }

  private Lease localLease(String leaseId) throws MemoryException {
    // root acts on every lease here, as before; a TCP caller needs an operator mapping
    LeaseActor peer = Caller.current().leaseActor(true).orElseThrow(() -> ErrorMapper.status(Status.Code.PERMISSION_DENIED,
        ErrorMapper.LOCAL_CALLERS_ONLY, "the emulated TEE runs on leases: local callers and TCP operators only"));
    if (leaseId.isEmpty()) {
      throw ErrorMapper.invalid("lease_id is required");
    }
    Lease lease = engine.lease(leaseId);
    if (!peer.mayActOn(lease.info().owner().uid())) {
      throw new MemoryException(MemoryException.Reason.NOT_OWNER, "lease " + leaseId + " belongs to another uid");
    }
    return lease;
  }

  private static byte[] reportData(ByteString b) {
    if (b.size() > 64) {
      throw ErrorMapper.invalid("report_data is at most 64 bytes, got " + b.size());
    }
    return java.util.Arrays.copyOf(b.toByteArray(), 64);
  }

  /** Emulation on one of the caller's leases: the lease is resolved on the caller's thread, the run offloaded. */
  private void emulate(String leaseId, StreamObserver<EmulateResponse> out, EmulationBody body) {
    Lease lease;
    try {
      lease = localLease(leaseId);
    } catch (Exception e) {
      out.onError(BlockingCalls.toStatus(e));
      return;
    }
    offload(out, () -> body.run(lease));
  }

  @FunctionalInterface
  private interface EmulationBody {
    EmulateResponse run(Lease lease) throws Exception;
  }

  @Override
  public void emulateTdx(EmulateTdxRequest req, StreamObserver<EmulateResponse> out) {
    emulate(req.getLeaseId(), out, lease -> {
      int version = req.getQuoteVersion() == 0 ? 4 : req.getQuoteVersion();
      if (version != 4 && version != 5) {
        throw ErrorMapper.invalid("quote_version must be 4 or 5");
      }
      byte[] rd = reportData(req.getReportData());
      Path dir = Files.createTempDirectory("guestmem-emulate-tdx-");
      try {
        TdxEmulation.Options o = TdxEmulation.Options.defaults(dir).withQuoteVersion(version).withSeed(req.getSeed())
            .withReportData(TdxEmulation.Options.reportDataFromHex(HexFormat.of().formatHex(rd)));
        TdxEmulation.Result r;
        try {
          r = TdxEmulation.run(lease, o);
        } catch (io.guestmem.tdx.emu.EmulationException e) {
          throw ErrorMapper.status(Status.Code.FAILED_PRECONDITION, "EMULATOR_REFUSED", e.getMessage());
        }
        return collect(dir, "quote.bin", r.log());
      } finally {
        deleteTree(dir);
      }
    });
  }

  @Override
  public void emulateSnp(EmulateSnpRequest req, StreamObserver<EmulateResponse> out) {
    emulate(req.getLeaseId(), out, lease -> {
      SnpProduct product = req.getProduct().isEmpty() ? SnpProduct.MILAN : SnpProduct.fromName(req.getProduct())
          .orElseThrow(() -> ErrorMapper.invalid("product must be Milan, Genoa or Turin"));
      int version = req.getReportVersion() == 0 ? 5 : req.getReportVersion();
      if (!Set.of(2, 3, 5).contains(version)) {
        throw ErrorMapper.invalid("report_version must be 2, 3 or 5");
      }
      SnpEmulation.Signer signer;
      switch (req.getSigner().toLowerCase(Locale.ROOT)) {
        case "": case "vcek": signer = SnpEmulation.Signer.VCEK; break;
        case "vlek": signer = SnpEmulation.Signer.VLEK; break;
        default: throw ErrorMapper.invalid("signer must be vcek or vlek");
      }
      byte[] rd = reportData(req.getReportData());
      Path dir = Files.createTempDirectory("guestmem-emulate-snp-");
      try {
        SnpEmulation.Options o = SnpEmulation.Options.defaults(dir).withProduct(product).withReportVersion(version)
            .withSigner(signer).withSeed(req.getSeed()).withReportData(io.guestmem.snp.abi.Bytes.copyOf(rd));
        SnpEmulation.Result r;
        try {
          r = SnpEmulation.run(o, lease);
        } catch (SnpEmulation.EmulationException e) {
          throw ErrorMapper.status(Status.Code.FAILED_PRECONDITION, "EMULATOR_REFUSED", e.getMessage());
        }
        return collect(dir, "report.bin", r.log());
      } finally {
        deleteTree(dir);
      }
    });
  }

  private static EmulateResponse collect(Path dir, String evidenceName, List<String> log) throws IOException {
    EmulateResponse.Builder b = EmulateResponse.newBuilder().addAllLog(log);
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s.filter(Files::isRegularFile).sorted()::iterator) {
        String rel = dir.relativize(p).toString();
        byte[] bytes = Files.readAllBytes(p);
        if (rel.equals(evidenceName)) {
          b.setEvidence(ByteString.copyFrom(bytes));
        } else {
          b.putFiles(rel, ByteString.copyFrom(bytes));
        }
      }
    }
    return b.build();
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // temporary directory: best effort
    }
  }
}
