package io.guestmem.tdx.verify;

import com.fasterxml.jackson.databind.JsonNode;
import io.guestmem.attestation.Appraisal;
import io.guestmem.attestation.Ar4siClaim;
import io.guestmem.attestation.Evidence;
import io.guestmem.attestation.Reason;
import io.guestmem.attestation.TcbSummary;
import io.guestmem.attestation.TeeVerifier;
import io.guestmem.attestation.VerificationContext;
import io.guestmem.attestation.collateral.Collateral;
import io.guestmem.attestation.collateral.CollateralDirectory;
import io.guestmem.attestation.collateral.SignedDocument;
import io.guestmem.attestation.pki.CertPathValidator;
import io.guestmem.attestation.pki.CertificateParseException;
import io.guestmem.attestation.pki.Certificates;
import io.guestmem.attestation.pki.CrlValidator;
import io.guestmem.attestation.pki.Ecdsa;
import io.guestmem.attestation.policy.PolicyException;
import io.guestmem.attestation.trust.TrustAnchor;
import io.guestmem.tdx.abi.MalformedLayoutException;
import io.guestmem.tdx.abi.PckExtensions;
import io.guestmem.tdx.abi.QeIdentity;
import io.guestmem.tdx.abi.QuoteHeader;
import io.guestmem.tdx.abi.TcbInfo;
import io.guestmem.tdx.abi.TcbStatus;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * Verifies an Intel SGX ECDSA quote v3 (a bonus beside TDX; evidence from SGX enclaves). The same
 * steps as {@link TdxVerifier}, with {@code sgx.*} check ids: structure, Intel QE vendor, quote
 * signature over [0, 0x1B0), PCK chain to the pinned Intel root, QE report signature and binding,
 * PCK and Root CA CRLs, SGX TCB Info (id {@code SGX}) and QE Identity (id {@code QE}) given as
 * files, TCB level by the 16 SGX components and PCESVN, QE identity and convergence. There are no
 * TDX components, module identities or relaunch. Policy: {@code "sgx": {"mrEnclave": [hex32…],
 * "mrSigner": [hex32…], "allowDebug": false}}.
 */
public final class SgxVerifier implements TeeVerifier {
  private static final Ar4siClaim HW = Ar4siClaim.HARDWARE;
  private static final byte[] NO_TDX_COMPONENTS = new byte[16];
  private static final long ATTRIBUTES_DEBUG = 1L << 1;

  /** The compiled {@code "sgx"} policy section. */
  record SgxPolicy(List<byte[]> mrEnclave, List<byte[]> mrSigner, Optional<Boolean> allowDebug) {}

  static boolean isSgxV3(Evidence e) {
    return e.length() >= SgxQuoteV3.HEADER && (e.byteAt(0) | e.byteAt(1) << 8) == SgxQuoteV3.VERSION
        && (e.byteAt(2) | e.byteAt(3) << 8) == 2 && e.byteAt(4) == 0 && e.byteAt(5) == 0 && e.byteAt(6) == 0 && e.byteAt(7) == 0;
  }

  @Override
  public String tee() {
    return "sgx";
  }

  @Override
  public boolean recognizes(Evidence evidence) {
    return isSgxV3(evidence);
  }

  @Override
  public Object compilePolicy(JsonNode s) throws PolicyException {
    for (java.util.Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!Set.of("mrEnclave", "mrSigner", "allowDebug").contains(k)) {
        throw new PolicyException("unknown key \"" + k + "\"");
      }
    }
    Optional<Boolean> debug = Optional.empty();
    if (s.has("allowDebug")) {
      if (!s.get("allowDebug").isBoolean()) {
        throw new PolicyException("allowDebug: expected true or false");
      }
      debug = Optional.of(s.get("allowDebug").booleanValue());
    }
    return new SgxPolicy(hex32(s, "mrEnclave"), hex32(s, "mrSigner"), debug);
  }

  private static List<byte[]> hex32(JsonNode s, String key) throws PolicyException {
    List<byte[]> out = new ArrayList<>();
    if (!s.has(key)) {
      return out;
    }
    if (!s.get(key).isArray() || s.get(key).isEmpty()) {
      throw new PolicyException(key + ": expected a non-empty array of hex strings");
    }
    for (JsonNode n : s.get(key)) {
      try {
        byte[] b = HexFormat.of().parseHex(n.asText(""));
        if (b.length != 32) {
          throw new PolicyException(key + ": expected 32 bytes of hex");
        }
        out.add(b);
      } catch (IllegalArgumentException e) {
        throw new PolicyException(key + ": not hex");
      }
    }
    return out;
  }

  @Override
  public void verify(Evidence evidence, VerificationContext ctx, Appraisal out) {
    SgxQuoteV3 q;
    try {
      q = SgxQuoteV3.parse(evidence.toByteArray());
    } catch (MalformedLayoutException e) {
      out.fail("sgx.quote.structure", HW, TdxVerifier.structureReason(e), e.getMessage());
      out.signatureValid(false);
      return;
    }
    out.pass("sgx.quote.structure", HW, "version 3, " + q.trailing() + " trailing bytes");
    claims(q, out);
    out.reportData(q.enclaveReport().reportData().toByteArray());
    out.check("sgx.quote.qe_vendor", HW, java.util.Arrays.equals(q.qeVendorId(), QuoteHeader.INTEL_QE_VENDOR_ID.toByteArray()),
        Reason.IDENTITY_MISMATCH, "QE vendor " + HexFormat.of().formatHex(q.qeVendorId()));
    boolean sigOk = false;
    try {
      byte[] signed = q.signedBytes();
      sigOk = Ecdsa.verifySha256(Ecdsa.p256FromRaw(q.attestationKey()), signed, 0, signed.length, q.signature());
    } catch (CertificateParseException e) {
      sigOk = false;
    }
    out.check("sgx.quote.signature", HW, sigOk, Reason.SIGNATURE_INVALID,
        "ECDSA P-256/SHA-256 over bytes [0, 0x1B0) with the attestation key");
    List<X509CertificateHolder> chain = TdxVerifier.holders(q.pckChain().certificates(), out);
    if (chain.size() != 3) {
      out.fail("sgx.pck_chain.present", HW, chain.isEmpty() ? Reason.CHAIN_MISSING : Reason.CHAIN_MALFORMED,
          "the PCK chain has " + chain.size() + " certificates; leaf, intermediate and root are required");
      out.signatureValid(false);
      return;
    }
    CertPathValidator.Result path = CertPathValidator.validate("sgx.pck_chain", List.of("pck", "intermediate", "root"),
        chain, ctx.anchors(), ctx.at(), ctx.cache(), out, HW);
    boolean chainOk = path.valid();
    if (path.anchor().isPresent()) {
      TrustAnchor a = path.anchor().get();
      out.trustAnchor(a.name(), a.emulated());
      if (!a.emulated()) {
        boolean intel = a.vendor().equals("intel");
        chainOk &= out.check("sgx.pck_chain.root_vendor", HW, intel, Reason.UNTRUSTED_ROOT,
            intel ? "root " + a.name() + " is Intel's" : "root " + a.name() + " is not the Intel SGX Root CA");
      }
    }
    PckExtensions ext = null;
    try {
      ext = TdxVerifier.pckExtensions(q.pckChain().leaf(), chain.get(0));
      out.pass("sgx.pck.extensions", HW, "FMSPC " + ext.fmspc().hex() + ", PCE-ID " + ext.pceId().hex());
      out.claim("fmspc", ext.fmspc().hex());
      out.claim("pceSvn", ext.tcb().pceSvn());
    } catch (MalformedLayoutException | RuntimeException e) {
      ext = null;
      out.fail("sgx.pck.extensions", HW, Reason.CERT_PROFILE, e.getMessage());
    }
    boolean qeOk = TdxVerifier.qeReport("sgx", q.qeReportBytes(), q.qeReportSignature(), q.attestationKey(), q.qeAuthData(),
        q.qeReport(), chain.get(0), ctx, out);
    out.signatureValid(sigOk && chainOk && qeOk);
    collateral(q, chain, ext, ctx, out);
    ctx.teePolicy(tee(), SgxPolicy.class).ifPresent(p -> policy(p, q, out));
  }

  private static void collateral(SgxQuoteV3 q, List<X509CertificateHolder> chain, PckExtensions ext,
      VerificationContext ctx, Appraisal out) {
    Collateral c = ctx.collateral();
    X509CertificateHolder leaf = chain.get(0);
    X509CertificateHolder intermediate = chain.get(1);
    X509CertificateHolder root = chain.get(2);
    List<X509CRLHolder> crls = new ArrayList<>(c.crls());
    boolean pckCrlMalformed = false;
    boolean rootCrlMalformed = false;
    if (c.directory().isPresent()) {
      CollateralDirectory dir = c.directory().get();
      String ca = Certificates.commonName(intermediate.getSubject()).toLowerCase(java.util.Locale.ROOT).contains("processor")
          ? "processor" : "platform";
      // each file on its own: a malformed one fails its own check and never hides the other
      try {
        dir.intelPckCrl(ca).ifPresent(x -> crls.add(x.crl()));
      } catch (IOException | CertificateParseException e) {
        pckCrlMalformed = true;
        out.fail("sgx.collateral.pck_crl", HW, Reason.COLLATERAL_MALFORMED, e.getMessage());
      }
      try {
        dir.intelRootCaCrl().ifPresent(crls::add);
      } catch (IOException | CertificateParseException e) {
        rootCrlMalformed = true;
        out.fail("sgx.collateral.root_crl", HW, Reason.COLLATERAL_MALFORMED, e.getMessage());
      }
    }
    Map<String, X509CertificateHolder> signers = new LinkedHashMap<>();
    Optional<SignedDocument> tcbDoc = c.document(Collateral.TCB_INFO);
    Optional<SignedDocument> qeDoc = c.document(Collateral.QE_IDENTITY);
    Optional<TcbInfo> info = tcbDoc.flatMap(d -> TdxVerifier.tcbInfo("sgx", TcbInfo.ID_SGX, d, ext, root, ctx, out, signers));
    Optional<QeIdentity> qe = qeDoc.flatMap(d -> TdxVerifier.qeIdentity("sgx", "QE", d, root, ctx, out, signers));
    if (tcbDoc.isEmpty()) {
      out.notRun("sgx.tcb_info", Reason.COLLATERAL_MISSING, "no SGX TCB Info: platform TCB level not evaluated");
    }
    if (qeDoc.isEmpty()) {
      out.notRun("sgx.qe_identity", Reason.COLLATERAL_MISSING, "no QE Identity (id QE): QE identity and TCB not evaluated");
    }
    Optional<X509CRLHolder> pckCrl = CrlValidator.choose(crls, intermediate.getSubject(), ctx.at());
    if (pckCrl.isPresent()) {
      CrlValidator.check("sgx.pck_crl", pckCrl.get(), intermediate, Map.of("pck", leaf), ctx.at(), ctx.cache(), out, HW);
    } else if (pckCrlMalformed) {
      out.notRun("sgx.pck_crl", Reason.COLLATERAL_MALFORMED, "the PCK CRL of the collateral directory does not parse "
          + "(sgx.collateral.pck_crl)");
    } else {
      out.notRun("sgx.pck_crl", Reason.COLLATERAL_MISSING, "no PCK CRL issued by " + Certificates.name(intermediate.getSubject()));
    }
    Optional<X509CRLHolder> rootCrl = CrlValidator.choose(crls, root.getSubject(), ctx.at());
    if (rootCrl.isPresent()) {
      Map<String, X509CertificateHolder> subjects = new LinkedHashMap<>();
      subjects.put("intermediate", intermediate);
      subjects.putAll(signers);
      CrlValidator.check("sgx.root_crl", rootCrl.get(), root, subjects, ctx.at(), ctx.cache(), out, HW);
    } else if (rootCrlMalformed) {
      out.notRun("sgx.root_crl", Reason.COLLATERAL_MALFORMED, "the Intel SGX Root CA CRL of the collateral directory does "
          + "not parse (sgx.collateral.root_crl)");
    } else {
      out.notRun("sgx.root_crl", Reason.COLLATERAL_MISSING, "no Intel SGX Root CA CRL");
    }
    Optional<TcbStatus> qeStatus = qe.flatMap(x -> TdxVerifier.qeChecks("sgx", x, q.qeReport(), out));
    if (info.isEmpty() || ext == null) {
      if (tcbDoc.isPresent()) {
        out.notRun("sgx.tcb_level", Reason.COLLATERAL_REJECTED, "the TCB Info failed its checks: TCB level not evaluated");
      }
      return;
    }
    List<Integer> sgx = ext.tcb().sgxTcbComponents();
    int pceSvn = ext.tcb().pceSvn();
    Optional<TcbEvaluation.PlatformMatch> match = TcbEvaluation.platformLevel(info.get(), sgx, pceSvn, NO_TDX_COMPONENTS);
    out.check("sgx.tcb_level", HW, match.isPresent(), Reason.NO_MATCHING_TCB_LEVEL, match.map(m -> "level " + m.index()
        + " (" + m.level().tcbStatus().pcsName() + ")").orElse("no TCB level of FMSPC " + info.get().fmspc().hex()
        + " is met by the PCK SGX components and PCESVN " + pceSvn));
    if (match.isEmpty()) {
      return;
    }
    TcbInfo.TcbLevel level = match.get().level();
    Map<String, String> components = new LinkedHashMap<>();
    Set<String> advisories = new LinkedHashSet<>(level.advisoryIds());
    List<Instant> dates = new ArrayList<>(List.of(level.tcbDate()));
    components.put("platform", level.tcbStatus().pcsName());
    String status = level.tcbStatus().pcsName();
    if (qe.isPresent()) {
      Optional<QeIdentity.QeTcbLevel> ql = qe.get().tcbLevels().stream().filter(l -> l.isvSvn() <= q.qeReport().isvSvn()).findFirst();
      if (ql.isPresent()) {
        components.put("qe", ql.get().tcbStatus().pcsName());
        advisories.addAll(ql.get().advisoryIds());
        dates.add(ql.get().tcbDate());
      }
    }
    if (qeStatus.isPresent()) {
      status = TcbEvaluation.converge(status, qeStatus.get());
    }
    List<String> outOfDate = status.equals(TcbStatus.UP_TO_DATE.pcsName()) ? List.of()
        : TcbEvaluation.outOfDateComponents(info.get(), sgx, pceSvn, NO_TDX_COMPONENTS);
    long eval = info.get().tcbEvaluationDataNumber();
    if (qe.isPresent()) {
      eval = Math.min(eval, qe.get().tcbEvaluationDataNumber());
    }
    out.tcb(new TcbSummary(status, dates.stream().min(Instant::compareTo).map(Instant::toString).orElse(null), (int) eval,
        List.copyOf(advisories), outOfDate, components));
  }

  private static void policy(SgxPolicy p, SgxQuoteV3 q, Appraisal out) {
    byte[] mre = q.enclaveReport().mrEnclave().toByteArray();
    byte[] mrs = q.enclaveReport().mrSigner().toByteArray();
    if (!p.mrEnclave().isEmpty()) {
      out.check("sgx.policy.mr_enclave", Ar4siClaim.EXECUTABLES, p.mrEnclave().stream().anyMatch(x -> java.util.Arrays.equals(x, mre)),
          Reason.REFERENCE_VALUE_MISMATCH, "MRENCLAVE " + HexFormat.of().formatHex(mre));
    }
    if (!p.mrSigner().isEmpty()) {
      out.check("sgx.policy.mr_signer", Ar4siClaim.EXECUTABLES, p.mrSigner().stream().anyMatch(x -> java.util.Arrays.equals(x, mrs)),
          Reason.REFERENCE_VALUE_MISMATCH, "MRSIGNER " + HexFormat.of().formatHex(mrs));
    }
    boolean debug = (q.enclaveReport().attributes().get(0) & ATTRIBUTES_DEBUG) != 0;
    p.allowDebug().ifPresent(allow -> out.check("sgx.policy.debug", Ar4siClaim.CONFIGURATION, allow || !debug,
        Reason.DEBUG_NOT_ALLOWED, "ATTRIBUTES.DEBUG " + debug));
  }

  private static void claims(SgxQuoteV3 q, Appraisal out) {
    out.claim("version", 3);
    out.claim("mrEnclave", q.enclaveReport().mrEnclave().hex());
    out.claim("mrSigner", q.enclaveReport().mrSigner().hex());
    out.claim("isvProdId", q.enclaveReport().isvProdId());
    out.claim("isvSvn", q.enclaveReport().isvSvn());
    out.claim("attributes", q.enclaveReport().attributes().hex());
    out.claim("reportData", q.enclaveReport().reportData().hex());
    out.claim("qeSvn", q.qeReport().isvSvn());
    out.claim("header.qeSvn", q.qeSvn());
    out.claim("header.pceSvn", q.pceSvn());
    out.claim("trailingBytes", q.trailing());
  }
}
