package io.guestmem.tdx.verify;

import com.fasterxml.jackson.databind.JsonNode;
import io.guestmem.attestation.Appraisal;
import io.guestmem.attestation.Ar4siClaim;
import io.guestmem.attestation.CollateralItem;
import io.guestmem.attestation.Evidence;
import io.guestmem.attestation.Reason;
import io.guestmem.attestation.TcbSummary;
import io.guestmem.attestation.TeeVerifier;
import io.guestmem.attestation.VerificationContext;
import io.guestmem.attestation.collateral.Collateral;
import io.guestmem.attestation.collateral.CollateralDirectory;
import io.guestmem.attestation.collateral.CollateralFetcher;
import io.guestmem.attestation.collateral.CollateralUnavailableException;
import io.guestmem.attestation.collateral.SignedDocument;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.pki.CertPathValidator;
import io.guestmem.attestation.pki.CertificateParseException;
import io.guestmem.attestation.pki.CertificateProfile;
import io.guestmem.attestation.pki.Certificates;
import io.guestmem.attestation.pki.CrlValidator;
import io.guestmem.attestation.pki.Ecdsa;
import io.guestmem.attestation.pki.Times;
import io.guestmem.attestation.policy.PolicyException;
import io.guestmem.attestation.trust.TrustAnchor;
import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.CertificationData;
import io.guestmem.tdx.abi.MalformedLayoutException;
import io.guestmem.tdx.abi.PckCertChain;
import io.guestmem.tdx.abi.PckExtensions;
import io.guestmem.tdx.abi.QeIdentity;
import io.guestmem.tdx.abi.QeReportCertificationData;
import io.guestmem.tdx.abi.Quote;
import io.guestmem.tdx.abi.QuoteHeader;
import io.guestmem.tdx.abi.SgxReportBody;
import io.guestmem.tdx.abi.SignedCollateral;
import io.guestmem.tdx.abi.TcbInfo;
import io.guestmem.tdx.abi.TcbStatus;
import io.guestmem.tdx.abi.TdReportBody;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;

/**
 * Verifies an Intel TDX quote (v4 or v5; TD 1.0 or TD 1.5 body). Steps, each recorded as a check:
 *
 * <ol>
 *   <li>Structure ({@code tdx.quote.structure}, by {@code tdx.abi}): version, key type, TEE type,
 *       v5 body type/size, signature-data and certification-data sizes, a PEM chain that decodes;
 *       then Intel's QE vendor ID and certification data type 6 wrapping type 5.
 *   <li>PCK chain ({@code tdx.pck_chain.*}): leaf ← Platform/Processor CA ← Intel SGX Root CA,
 *       root pinned by SHA-256, validity at the appraisal time, signatures, chaining, CA
 *       constraints; the PCK SGX extensions decode.
 *   <li>QE report ({@code tdx.qe_report.*}): ECDSA P-256 signature by the PCK key over the raw
 *       384 bytes; REPORTDATA[0..32) = SHA-256(attestation key ‖ QE auth data) and
 *       REPORTDATA[32..64) zero.
 *   <li>Quote ({@code tdx.quote.signature}): ECDSA P-256 by the attestation key over the raw
 *       header ‖ [descriptor ‖] body.
 *   <li>Collateral, each listed as not run when absent: PCK CRL ({@code tdx.pck_crl.*}) and Root
 *       CA CRL ({@code tdx.root_crl.*}) — issuer, signature, window, the PCK leaf, the
 *       intermediate and the TCB signing certificate not revoked; TCB Info and QE Identity
 *       ({@code tdx.tcb_info.*}, {@code tdx.qe_identity.*}) — issuer chain to the pinned root,
 *       signer valid at issueDate and at the appraisal time, ECDSA over the raw served body,
 *       issueDate/nextUpdate window, id and version, FMSPC and PCE-ID equal to the PCK's.
 *   <li>TDX module ({@code tdx.tdx_module.*}): MRSIGNERSEAM and masked SEAMATTRIBUTES equal to
 *       the module (identity) of TCB Info; the module identity's TCB level.
 *   <li>QE identity ({@code tdx.qe_identity.*}): MRSIGNER, ISVPRODID, masked MISCSELECT and
 *       ATTRIBUTES; the QE's TCB level.
 *   <li>Platform TCB level ({@code tdx.tcb_level}) and convergence (see {@link TcbEvaluation}) into
 *       the verdict's TCB summary: status, tcbDate, advisory IDs, tcbEvaluationDataNumber, and
 *       the components that are out of date.
 *   <li>The {@code tdx} policy section ({@code tdx.policy.*}, see {@link TdxPolicy}).
 * </ol>
 */
public final class TdxVerifier implements TeeVerifier {
  private static final Ar4siClaim HW = Ar4siClaim.HARDWARE;
  private static final ParsedMemo<SignedCollateral<TcbInfo>> PARSED_TCB_INFO = new ParsedMemo<>();
  private static final ParsedMemo<SignedCollateral<QeIdentity>> PARSED_QE_IDENTITY = new ParsedMemo<>();

  /**
   * The Intel SGX PCK Certificate and CRL Profile: every certificate X.509 v3, ecdsa-with-SHA256,
   * an EC P-256 key, and the subject CN of its role (go-tdx-guest's {@code validateX509Cert}).
   */
  static final CertificateProfile INTEL_PCK = intel("intel-pck", "Intel SGX PCK Certificate");
  static final CertificateProfile INTEL_PCK_CA = intel("intel-pck-ca", "Intel SGX PCK Platform CA", "Intel SGX PCK Processor CA");
  static final CertificateProfile INTEL_ROOT = intel("intel-root", "Intel SGX Root CA");
  static final CertificateProfile INTEL_TCB_SIGNING = intel("intel-tcb-signing", "Intel SGX TCB Signing");

  private static CertificateProfile intel(String name, String... commonNames) {
    return CertificateProfile.of(name, CertificateProfile.SignatureAlgorithm.ECDSA_SHA256,
        CertificateProfile.PublicKeyType.EC_P256, Set.of(commonNames), Map.of(), Optional.empty());
  }

  @Override
  public String tee() {
    return "tdx";
  }

  @Override
  public boolean recognizes(Evidence evidence) {
    if (evidence.length() < QuoteHeader.SIZE) {
      return false;
    }
    int version = evidence.byteAt(0) | evidence.byteAt(1) << 8;
    int keyType = evidence.byteAt(2) | evidence.byteAt(3) << 8;
    if (SgxVerifier.isSgxV3(evidence)) {
      return false;
    }
    // Deliberately loose (any TEE type): a quote-shaped header with a wrong version, key type or TEE
    // type is then rejected by a check with a reason, not as unrecognizable input. SNP reports have
    // zero bytes where the key type is.
    return version >= 1 && version <= 16 && keyType >= 1 && keyType <= 3;
  }

  @Override
  public Object compilePolicy(JsonNode section) throws PolicyException {
    return TdxPolicy.compile(section);
  }

  @Override
  public void verify(Evidence evidence, VerificationContext ctx, Appraisal out) {
    Quote quote;
    try {
      quote = Quote.parse(evidence.toByteArray());
    } catch (MalformedLayoutException e) {
      out.fail("tdx.quote.structure", HW, structureReason(e), e.getMessage());
      out.signatureValid(false);
      return;
    }
    out.pass("tdx.quote.structure", HW, "version " + quote.version() + ", " + quote.body().kind() + " body");
    TdReportBody body = quote.body();
    claims(quote, out);
    out.reportData(body.reportData().toByteArray());
    out.check("tdx.quote.qe_vendor", HW, quote.header().qeVendorId().equals(QuoteHeader.INTEL_QE_VENDOR_ID),
        Reason.IDENTITY_MISMATCH, "QE vendor " + quote.header().qeVendorId().hex());

    Optional<QeReportCertificationData> qeData = quote.qeReportCertificationData();
    Optional<PckCertChain> pck = quote.pckCertChain();
    boolean certDataOk = qeData.isPresent() && pck.isPresent() && pck.get().type() == CertificationData.TYPE_PCK_CERT_CHAIN;
    out.check("tdx.quote.certification_data", HW, certDataOk, Reason.MALFORMED_EVIDENCE,
        "outer type " + quote.signatureData().certificationData().type()
            + qeData.map(q -> ", inner type " + q.certificationData().type()).orElse("")
            + " (6 wrapping 5 required)");
    boolean quoteSig = quoteSignature(quote, out);
    if (!certDataOk) {
      out.signatureValid(false);
      return;
    }
    List<X509CertificateHolder> chain = holders(pck.get().certificates(), out);
    if (chain.size() != 3) {
      out.fail("tdx.pck_chain.present", HW, chain.isEmpty() ? Reason.CHAIN_MISSING : Reason.CHAIN_MALFORMED,
          "the PCK chain has " + chain.size() + " certificates; leaf, intermediate and root are required");
      out.signatureValid(false);
      return;
    }
    CertPathValidator.Result path = CertPathValidator.validate("tdx.pck_chain", List.of("pck", "intermediate", "root"),
        chain, ctx.anchors(), ctx.at(), ctx.cache(), out, HW);
    boolean chainOk = path.valid();
    chainOk &= INTEL_PCK.check("tdx.pck_chain.pck", chain.get(0), out, HW);
    chainOk &= INTEL_PCK_CA.check("tdx.pck_chain.intermediate", chain.get(1), out, HW);
    chainOk &= INTEL_ROOT.check("tdx.pck_chain.root", chain.get(2), out, HW);
    if (path.anchor().isPresent()) {
      TrustAnchor a = path.anchor().get();
      out.trustAnchor(a.name(), a.emulated());
      if (!a.emulated()) {
        boolean intel = a.vendor().equals("intel");
        chainOk &= out.check("tdx.pck_chain.root_vendor", HW, intel, Reason.UNTRUSTED_ROOT,
            intel ? "root " + a.name() + " is Intel's" : "root " + a.name() + " is not the Intel SGX Root CA");
      }
    }
    X509CertificateHolder leaf = chain.get(0);
    PckExtensions ext = null;
    try {
      ext = pckExtensions(pck.get().leaf(), leaf);
      out.pass("tdx.pck.extensions", HW, "FMSPC " + ext.fmspc().hex() + ", PCE-ID " + ext.pceId().hex());
      out.claim("fmspc", ext.fmspc().hex());
      out.claim("pceId", ext.pceId().hex());
      out.claim("pceSvn", ext.tcb().pceSvn());
      out.claim("cpuSvn", ext.tcb().cpuSvn().hex());
      out.claim("sgxType", ext.sgxType());
    } catch (MalformedLayoutException | RuntimeException e) {
      ext = null;
      out.fail("tdx.pck.extensions", HW, Reason.CERT_PROFILE, e.getMessage());
    }
    boolean qeOk = qeReport(quote, qeData.get(), leaf, ctx, out);
    out.signatureValid(quoteSig && qeOk && chainOk);

    collateral(quote, chain, ext, qeData.get().qeReport(), ctx, out);
    PckExtensions pckExt = ext;
    ctx.teePolicy(tee(), TdxPolicy.class).ifPresent(p -> TdxPolicyChecks.apply(p, quote, qeData.get().qeReport(),
        Optional.ofNullable(pckExt).map(x -> x.tcb().pceSvn()), out));
  }

  private static final Map<String, PckExtensions> PCK_EXTENSIONS = new java.util.concurrent.ConcurrentHashMap<>();

  /** The PCK SGX extensions, memoized by the certificate's hash (the same leaf signs every quote of a platform). */
  static PckExtensions pckExtensions(X509Certificate cert, X509CertificateHolder holder) throws MalformedLayoutException {
    String key = Certificates.sha256Hex(holder);
    PckExtensions e = PCK_EXTENSIONS.get(key);
    if (e == null) {
      e = PckExtensions.fromCertificate(cert);
      if (PCK_EXTENSIONS.size() >= 1024) {
        PCK_EXTENSIONS.clear();
      }
      PCK_EXTENSIONS.put(key, e);
    }
    return e;
  }

  static String structureReason(MalformedLayoutException e) {
    String f = e.field();
    if (f.equals("quote.header.att_key_type")) {
      return Reason.UNSUPPORTED_ALGORITHM;
    }
    if (f.equals("quote.header.version") || f.equals("quote.header.tee_type") || f.equals("quote.body_descriptor.type")) {
      return Reason.UNSUPPORTED_VERSION;
    }
    if (f.endsWith(".pem") || f.contains("pck_cert_chain") || f.contains("certificate[")) {
      return Reason.CHAIN_MALFORMED;
    }
    return Reason.MALFORMED_EVIDENCE;
  }

  private static boolean quoteSignature(Quote quote, Appraisal out) {
    boolean ok = false;
    String detail = "ECDSA P-256/SHA-256 over bytes [0, 0x" + Integer.toHexString(quote.sigDataLenOffset())
        + ") with the attestation key";
    try {
      ECPublicKeyParameters ak = Ecdsa.p256FromRaw(quote.signatureData().attestationKey().toByteArray());
      byte[] signed = quote.signedBytes().toByteArray();
      ok = Ecdsa.verifySha256(ak, signed, 0, signed.length, quote.signatureData().signature().toByteArray());
    } catch (CertificateParseException e) {
      detail = e.getMessage();
    }
    return out.check("tdx.quote.signature", HW, ok, Reason.SIGNATURE_INVALID, detail);
  }

  /**
   * BouncyCastle holders of the JDK certificates, per certificate instance: the abi hands out the
   * same instance for the same DER (see {@link PckCertChain}), so a platform's chain is converted
   * once. Bounded.
   */
  private static final Map<X509Certificate, X509CertificateHolder> HOLDERS =
      java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

  static List<X509CertificateHolder> holders(List<X509Certificate> certs, Appraisal out) {
    List<X509CertificateHolder> h = new ArrayList<>();
    for (X509Certificate c : certs) {
      X509CertificateHolder known = HOLDERS.get(c);
      if (known != null) {
        h.add(known);
        continue;
      }
      try {
        X509CertificateHolder holder = Certificates.certificateMemo(c.getEncoded(), "PCK certification data");
        if (HOLDERS.size() >= 1024) {
          HOLDERS.clear();
        }
        HOLDERS.put(c, holder);
        h.add(holder);
      } catch (CertificateEncodingException | CertificateParseException e) {
        out.fail("tdx.pck_chain.decode", HW, Reason.CHAIN_MALFORMED, e.getMessage());
        return List.of();
      }
    }
    return h;
  }

  /** QE report signature by the PCK key (cached per platform) and the attestation-key binding. */
  private static boolean qeReport(Quote quote, QeReportCertificationData qe, X509CertificateHolder leaf,
      VerificationContext ctx, Appraisal out) {
    return qeReport("tdx", quote.qeReportBytes().orElseThrow().toByteArray(), qe.qeReportSignature().toByteArray(),
        quote.signatureData().attestationKey().toByteArray(), qe.qeAuthData().toByteArray(), qe.qeReport(), leaf, ctx, out);
  }

  /** QE report signature by the PCK key (cached per platform) and the attestation-key binding, for TDX and SGX quotes. */
  static boolean qeReport(String tee, byte[] report, byte[] sig, byte[] attestationKey, byte[] authData,
      SgxReportBody qeReport, X509CertificateHolder leaf, VerificationContext ctx, Appraisal out) {
    String key = "qesig:" + Certificates.sha256Hex(report) + Certificates.sha256Hex(sig) + Certificates.sha256Hex(leaf);
    boolean sigOk = ctx.cache().getOrVerify(key, ctx.at(), () -> {
      try {
        return Ecdsa.verifySha256(Ecdsa.publicKey(leaf), report, 0, report.length, sig)
            ? Optional.of(new VerifiedCache.Verified<>(Boolean.TRUE, Certificates.validity(leaf)[1]))
            : Optional.<VerifiedCache.Verified<Boolean>>empty();
      } catch (CertificateParseException e) {
        return Optional.<VerifiedCache.Verified<Boolean>>empty();
      }
    }).isPresent();
    out.check(tee + ".qe_report.signature", HW, sigOk, Reason.SIGNATURE_INVALID,
        "ECDSA P-256/SHA-256 over the 384-byte QE report with the PCK key");
    byte[] expected;
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(attestationKey);
      sha.update(authData);
      expected = sha.digest();
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is mandatory", e);
    }
    byte[] rd = qeReport.reportData().toByteArray();
    boolean low = MessageDigest.isEqual(Arrays.copyOf(rd, 32), expected);
    boolean highZero = Arrays.equals(Arrays.copyOfRange(rd, 32, 64), new byte[32]);
    boolean bindOk = out.check(tee + ".qe_report.binding", HW, low && highZero, Reason.KEY_BINDING_MISMATCH,
        !low ? "QE REPORTDATA[0..32) is not SHA-256(attestation key || QE auth data)"
            : !highZero ? "QE REPORTDATA[0..32) binds the key, but REPORTDATA[32..64) is not zero (go-tdx-guest rejects, QVL ignores)"
                : "REPORTDATA = SHA-256(attestation key || QE auth data) || zeros");
    return sigOk && bindOk;
  }

  // ---- collateral ----

  private void collateral(Quote quote, List<X509CertificateHolder> chain, PckExtensions ext, SgxReportBody qeReport,
      VerificationContext ctx, Appraisal out) {
    Collateral c = ctx.collateral();
    Optional<CollateralDirectory> dir = c.directory();
    X509CertificateHolder leaf = chain.get(0);
    X509CertificateHolder intermediate = chain.get(1);
    X509CertificateHolder root = chain.get(2);
    List<X509CRLHolder> crls = new ArrayList<>(c.crls());
    // Each file is loaded on its own: a malformed one fails its own check and never hides the others.
    boolean pckCrlMalformed = false;
    boolean rootCrlMalformed = false;
    if (dir.isPresent()) {
      String ca = Certificates.commonName(intermediate.getSubject()).toLowerCase(java.util.Locale.ROOT).contains("processor")
          ? "processor" : "platform";
      try {
        dir.get().intelPckCrl(ca).ifPresent(x -> crls.add(x.crl()));
      } catch (IOException | CertificateParseException e) {
        pckCrlMalformed = true;
        out.fail("tdx.collateral.pck_crl", HW, Reason.COLLATERAL_MALFORMED, e.getMessage());
      }
      try {
        dir.get().intelRootCaCrl().ifPresent(crls::add);
      } catch (IOException | CertificateParseException e) {
        rootCrlMalformed = true;
        out.fail("tdx.collateral.root_crl", HW, Reason.COLLATERAL_MALFORMED, e.getMessage());
      }
    }

    // TCB Info and QE Identity first: the TCB signing certificate is one more serial for the root CRL.
    Optional<SignedDocument> tcbDoc = c.document(Collateral.TCB_INFO);
    Optional<SignedDocument> qeDoc = c.document(Collateral.QE_IDENTITY);
    boolean tcbInfoMalformed = false;
    boolean qeIdentityMalformed = false;
    if (dir.isPresent() && ext != null) {
      if (tcbDoc.isEmpty()) {
        try {
          tcbDoc = dir.get().intelTcbInfo(ext.fmspc().hex());
        } catch (IOException | CertificateParseException e) {
          tcbInfoMalformed = true;
          out.fail("tdx.collateral.tcb_info", HW, Reason.COLLATERAL_MALFORMED, e.getMessage());
        }
      }
      if (qeDoc.isEmpty()) {
        try {
          qeDoc = dir.get().intelQeIdentity();
        } catch (IOException | CertificateParseException e) {
          qeIdentityMalformed = true;
          out.fail("tdx.collateral.qe_identity", HW, Reason.COLLATERAL_MALFORMED, e.getMessage());
        }
      }
    }
    Optional<CollateralFetcher> fetcher = c.fetcher();
    if (fetcher.isPresent() && ext != null) {
      String fmspc = ext.fmspc().hex().toUpperCase(java.util.Locale.ROOT);
      String ca = Certificates.commonName(intermediate.getSubject()).toLowerCase(java.util.Locale.ROOT).contains("processor")
          ? "processor" : "platform";
      CollateralDirectory fd = fetcher.get().directory();
      try {
        if (tcbDoc.isEmpty() && fetch(fetcher.get(), "/tdx/certification/v4/tcb?fmspc=" + fmspc,
            CollateralDirectory.TDX_TCB + fmspc, "TCB-Info-Issuer-Chain", out)) {
          tcbDoc = fd.intelTcbInfo(fmspc);
        }
        if (qeDoc.isEmpty() && fetch(fetcher.get(), "/tdx/certification/v4/qe/identity",
            CollateralDirectory.TDX_QE_IDENTITY, "SGX-Enclave-Identity-Issuer-Chain", out)) {
          qeDoc = fd.intelQeIdentity();
        }
        if (crls.stream().noneMatch(x -> Certificates.sameName(x.getIssuer(), intermediate.getSubject()))
            && fetch(fetcher.get(), "/sgx/certification/v4/pckcrl?ca=" + ca + "&encoding=der",
                CollateralDirectory.SGX_PCK_CRL + ca, "SGX-PCK-CRL-Issuer-Chain", out)) {
          fd.intelPckCrl(ca).ifPresent(x -> crls.add(x.crl()));
        }
        if (crls.stream().noneMatch(x -> Certificates.sameName(x.getIssuer(), root.getSubject()))
            && fetch(fetcher.get(), "/sgx/certification/v4/rootcacrl", CollateralDirectory.SGX_ROOT_CA_CRL, null, out)) {
          fd.intelRootCaCrl().ifPresent(crls::add);
        }
      } catch (IOException | CertificateParseException e) {
        out.fail("tdx.collateral", HW, Reason.COLLATERAL_MALFORMED, e.getMessage());
      }
    }
    Map<String, X509CertificateHolder> signers = new LinkedHashMap<>();
    Optional<TcbInfo> tcbInfo = tcbDoc.flatMap(d -> tcbInfo(d, ext, root, ctx, out, signers));
    Optional<QeIdentity> qeIdentity = qeDoc.flatMap(d -> qeIdentity(d, root, ctx, out, signers));
    if (tcbDoc.isEmpty()) {
      out.notRun("tdx.tcb_info", tcbInfoMalformed ? Reason.COLLATERAL_MALFORMED : Reason.COLLATERAL_MISSING,
          (tcbInfoMalformed ? "the TCB Info of the collateral directory does not parse (tdx.collateral.tcb_info)" : "no TCB Info")
          + " for FMSPC " + (ext == null ? "?" : ext.fmspc().hex()) + ": platform TCB level and TDX module not evaluated");
    }
    if (qeDoc.isEmpty()) {
      out.notRun("tdx.qe_identity", qeIdentityMalformed ? Reason.COLLATERAL_MALFORMED : Reason.COLLATERAL_MISSING,
          (qeIdentityMalformed ? "the QE Identity of the collateral directory does not parse (tdx.collateral.qe_identity)"
              : "no QE Identity") + ": QE identity and TCB not evaluated");
    }

    Optional<X509CRLHolder> pckCrl = CrlValidator.choose(crls, intermediate.getSubject(), ctx.at());
    if (pckCrl.isPresent()) {
      CrlValidator.check("tdx.pck_crl", pckCrl.get(), intermediate, Map.of("pck", leaf), ctx.at(), ctx.cache(), out, HW);
    } else if (crls.stream().anyMatch(x -> !Certificates.sameName(x.getIssuer(), root.getSubject()))) {
      // A CRL was given for the PCK level but its issuer is not the PCK's issuer (QVL: CRL issuer !=
      // PCK issuer): checked, so the mismatch fails instead of passing as "not run".
      X509CRLHolder other = crls.stream().filter(x -> !Certificates.sameName(x.getIssuer(), root.getSubject())).findFirst()
          .orElseThrow();
      CrlValidator.check("tdx.pck_crl", other, intermediate, Map.of("pck", leaf), ctx.at(), ctx.cache(), out, HW);
    } else if (pckCrlMalformed) {
      out.notRun("tdx.pck_crl", Reason.COLLATERAL_MALFORMED, "the PCK CRL of the collateral directory does not parse "
          + "(tdx.collateral.pck_crl): revocation of the PCK certificate not checked");
    } else {
      out.notRun("tdx.pck_crl", Reason.COLLATERAL_MISSING, "no PCK CRL issued by " + Certificates.name(intermediate.getSubject())
          + ": revocation of the PCK certificate not checked");
    }
    Optional<X509CRLHolder> rootCrl = CrlValidator.choose(crls, root.getSubject(), ctx.at());
    if (rootCrl.isPresent()) {
      Map<String, X509CertificateHolder> subjects = new LinkedHashMap<>();
      subjects.put("intermediate", intermediate);
      subjects.putAll(signers);
      CrlValidator.check("tdx.root_crl", rootCrl.get(), root, subjects, ctx.at(), ctx.cache(), out, HW);
    } else if (rootCrlMalformed) {
      out.notRun("tdx.root_crl", Reason.COLLATERAL_MALFORMED, "the Intel SGX Root CA CRL of the collateral directory does "
          + "not parse (tdx.collateral.root_crl): revocation of the intermediate and TCB signing certificates not checked");
    } else {
      out.notRun("tdx.root_crl", Reason.COLLATERAL_MISSING, "no Intel SGX Root CA CRL: revocation of the "
          + "intermediate and TCB signing certificates not checked");
    }

    if (tcbInfo.isEmpty() || ext == null) {
      if (tcbDoc.isPresent()) {
        out.notRun("tdx.tcb_level", Reason.COLLATERAL_REJECTED, "the TCB Info failed its checks (see tdx.tcb_info.*): "
            + "platform TCB level and TDX module not evaluated");
      }
      qeIdentity.ifPresent(q -> qeChecks(q, qeReport, out));
      return;
    }
    evaluate(quote, ext, tcbInfo.get(), qeIdentity, qeReport, out);
  }

  /** Fetches one PCS/PCCS response into the fetcher's cache; a failure is listed as not run. */
  static boolean fetch(CollateralFetcher f, String pathAndQuery, String file, String chainHeader, Appraisal out) {
    try {
      f.ensure(CollateralFetcher.Service.INTEL_PCS, pathAndQuery, file, Optional.ofNullable(chainHeader));
      return true;
    } catch (CollateralUnavailableException e) {
      out.notRun("tdx.collateral.fetch", Reason.COLLATERAL_UNAVAILABLE, e.getMessage());
      return false;
    }
  }

  private static Optional<TcbInfo> tcbInfo(SignedDocument doc, PckExtensions ext, X509CertificateHolder pckRoot,
      VerificationContext ctx, Appraisal out, Map<String, X509CertificateHolder> signers) {
    return tcbInfo("tdx", TcbInfo.ID_TDX, doc, ext, pckRoot, ctx, out, signers);
  }

  /** A TCB Info response checked as {@code <tee>.tcb_info.*}, which must have id {@code expectedId}, version 3. */
  static Optional<TcbInfo> tcbInfo(String tee, String expectedId, SignedDocument doc, PckExtensions ext,
      X509CertificateHolder pckRoot, VerificationContext ctx, Appraisal out, Map<String, X509CertificateHolder> signers) {
    SignedCollateral<TcbInfo> signed;
    try {
      signed = PARSED_TCB_INFO.parse(doc, TcbInfo::parseResponse);
    } catch (MalformedLayoutException e) {
      out.fail(tee + ".tcb_info.structure", HW, Reason.COLLATERAL_MALFORMED, doc.source() + ": " + e.getMessage());
      return Optional.empty();
    }
    TcbInfo info = signed.body();
    boolean ok = signedCollateral(tee + ".tcb_info", doc, signed.signedBody(), signed.signature(), info.issueDate(),
        info.nextUpdate(), pckRoot, ctx, out, signers);
    ok &= out.check(tee + ".tcb_info.id", HW, info.id().equals(expectedId) && info.version() == TcbInfo.VERSION_3,
        Reason.COLLATERAL_MISMATCH, "id " + info.id() + ", version " + info.version() + " (" + expectedId + ", 3 required)");
    if (ext != null) {
      ok &= out.check(tee + ".tcb_info.fmspc", HW, info.fmspc().equals(ext.fmspc()), Reason.COLLATERAL_MISMATCH,
          "TCB Info FMSPC " + info.fmspc().hex() + ", PCK FMSPC " + ext.fmspc().hex());
      ok &= out.check(tee + ".tcb_info.pce_id", HW, info.pceId().equals(ext.pceId()), Reason.COLLATERAL_MISMATCH,
          "TCB Info PCE-ID " + info.pceId().hex() + ", PCK PCE-ID " + ext.pceId().hex());
    }
    return ok ? Optional.of(info) : Optional.empty();
  }

  private static Optional<QeIdentity> qeIdentity(SignedDocument doc, X509CertificateHolder pckRoot,
      VerificationContext ctx, Appraisal out, Map<String, X509CertificateHolder> signers) {
    return qeIdentity("tdx", QeIdentity.ID_TD_QE, doc, pckRoot, ctx, out, signers);
  }

  /** A QE Identity response checked as {@code <tee>.qe_identity.*}, which must have id {@code expectedId}, version 2. */
  static Optional<QeIdentity> qeIdentity(String tee, String expectedId, SignedDocument doc, X509CertificateHolder pckRoot,
      VerificationContext ctx, Appraisal out, Map<String, X509CertificateHolder> signers) {
    SignedCollateral<QeIdentity> signed;
    try {
      signed = PARSED_QE_IDENTITY.parse(doc, QeIdentity::parseResponse);
    } catch (MalformedLayoutException e) {
      out.fail(tee + ".qe_identity.structure", HW, Reason.COLLATERAL_MALFORMED, doc.source() + ": " + e.getMessage());
      return Optional.empty();
    }
    QeIdentity qe = signed.body();
    boolean ok = signedCollateral(tee + ".qe_identity", doc, signed.signedBody(), signed.signature(), qe.issueDate(),
        qe.nextUpdate(), pckRoot, ctx, out, signers);
    ok &= out.check(tee + ".qe_identity.id", HW, qe.id().equals(expectedId) && qe.version() == QeIdentity.VERSION_2,
        Reason.COLLATERAL_MISMATCH, "id " + qe.id() + ", version " + qe.version() + " (" + expectedId + ", 2 required)");
    return ok ? Optional.of(qe) : Optional.empty();
  }

  /**
   * The common checks of a PCS-signed JSON document: issuer chain (served chain, else given
   * certificates, ending at the pinned root), signer validity at issueDate, ECDSA over the raw
   * served body bytes (cached by body and signer), and the issueDate/nextUpdate window.
   */
  static boolean signedCollateral(String prefix, SignedDocument doc, Bytes signedBody, Bytes signature,
      Instant issueDate, Instant nextUpdate, X509CertificateHolder pckRoot, VerificationContext ctx, Appraisal out,
      Map<String, X509CertificateHolder> signers) {
    List<X509CertificateHolder> chain = new ArrayList<>(doc.issuerChain());
    if (chain.isEmpty()) {
      // Intel re-issued the TCB signing certificate with the same serial and key (2018→2025, 2025→2032):
      // prefer a given one valid both at issueDate and at the appraisal time.
      List<X509CertificateHolder> candidates = ctx.collateral().certificates().stream()
          .filter(x -> Certificates.commonName(x.getSubject()).contains("TCB Signing")).toList();
      candidates.stream().filter(x -> {
        Instant[] v = Certificates.validity(x);
        return !issueDate.isBefore(v[0]) && !issueDate.isAfter(v[1]) && !ctx.at().isBefore(v[0]) && !ctx.at().isAfter(v[1]);
      }).findFirst().or(() -> candidates.stream().findFirst()).ifPresent(chain::add);
    }
    if (chain.size() == 1) {
      chain.add(pckRoot);
    }
    boolean ok;
    if (chain.isEmpty()) {
      ok = out.fail(prefix + ".chain.present", HW, Reason.CHAIN_MISSING, doc.source()
          + ": no issuer chain (TCB signing certificate) was given");
    } else {
      ok = CertPathValidator.validate(prefix + ".chain", List.of("tcb_signing", "root"), chain.subList(0, 2),
          ctx.anchors(), ctx.at(), ctx.cache(), out, HW).valid();
      ok &= INTEL_TCB_SIGNING.check(prefix + ".chain.tcb_signing", chain.get(0), out, HW);
      ok &= INTEL_ROOT.check(prefix + ".chain.root", chain.get(1), out, HW);
    }
    out.collateral(new CollateralItem(prefix, issueDate, nextUpdate, doc.source()));
    if (chain.isEmpty()) {
      return false;
    }
    X509CertificateHolder signer = chain.get(0);
    signers.put(prefix.substring(prefix.indexOf('.') + 1) + "_signer", signer);
    Instant[] signerValidity = Certificates.validity(signer);
    boolean signerAtIssue = !issueDate.isBefore(signerValidity[0]) && !issueDate.isAfter(signerValidity[1]);
    ok &= out.check(prefix + ".signer_at_issue", HW, signerAtIssue, Reason.COLLATERAL_SIGNER_EXPIRED,
        "issued " + Times.iso(issueDate) + " by a certificate valid " + Times.iso(signerValidity[0]) + " to "
            + Times.iso(signerValidity[1]));
    String key = "docsig:" + sha256Hex(signedBody) + sha256Hex(signature) + Certificates.sha256Hex(signer);
    boolean sigOk = ctx.cache().getOrVerify(key, ctx.at(), () -> {
      try {
        byte[] body = signedBody.toByteArray();
        return Ecdsa.verifySha256(Ecdsa.publicKey(signer), body, 0, body.length, signature.toByteArray())
            ? Optional.of(new VerifiedCache.Verified<>(Boolean.TRUE, nextUpdate))
            : Optional.<VerifiedCache.Verified<Boolean>>empty();
      } catch (CertificateParseException e) {
        return Optional.<VerifiedCache.Verified<Boolean>>empty();
      }
    }).isPresent();
    ok &= out.check(prefix + ".signature", HW, sigOk, Reason.COLLATERAL_SIGNATURE_INVALID,
        "ECDSA P-256/SHA-256 over the " + signedBody.length() + " raw body bytes as served");
    String window = "issued " + Times.iso(issueDate) + ", nextUpdate " + Times.iso(nextUpdate) + ", appraised at "
        + Times.iso(ctx.at());
    if (ctx.at().isBefore(issueDate)) {
      ok &= out.fail(prefix + ".validity", HW, Reason.COLLATERAL_NOT_YET_VALID, window);
    } else if (ctx.at().isAfter(nextUpdate)) {
      ok &= out.fail(prefix + ".validity", HW, Reason.COLLATERAL_EXPIRED, window);
    } else {
      out.pass(prefix + ".validity", HW, window);
    }
    return ok;
  }

  private static final Map<Bytes, String> BYTES_SHA256 = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

  /** SHA-256 of immutable bytes, per instance (memoized parsed collateral hands out the same ones). */
  static String sha256Hex(Bytes b) {
    String h = BYTES_SHA256.get(b);
    if (h == null) {
      h = Certificates.sha256Hex(b.toByteArray());
      if (BYTES_SHA256.size() >= 1024) {
        BYTES_SHA256.clear();
      }
      BYTES_SHA256.put(b, h);
    }
    return h;
  }

  // ---- TCB evaluation ----

  private static Optional<TcbStatus> qeChecks(QeIdentity qe, SgxReportBody report, Appraisal out) {
    return qeChecks("tdx", qe, report, out);
  }

  /** QE identity match and TCB level, as {@code <tee>.qe_identity.*}. */
  static Optional<TcbStatus> qeChecks(String tee, QeIdentity qe, SgxReportBody report, Appraisal out) {
    out.check(tee + ".qe_identity.mrsigner", HW, qe.mrSigner().equals(report.mrSigner()), Reason.IDENTITY_MISMATCH,
        "QE MRSIGNER " + report.mrSigner().hex());
    out.check(tee + ".qe_identity.isvprodid", HW, qe.isvProdId() == report.isvProdId(), Reason.IDENTITY_MISMATCH,
        "QE ISVPRODID " + report.isvProdId() + ", expected " + qe.isvProdId());
    long misc = report.miscSelect() & qe.miscselectMaskValue();
    out.check(tee + ".qe_identity.miscselect", HW, misc == qe.miscselectValue(), Reason.IDENTITY_MISMATCH,
        "MISCSELECT 0x" + hex(report.miscSelect(), 8) + " & mask 0x" + hex(qe.miscselectMaskValue(), 8) + " = 0x"
            + hex(misc, 8) + ", expected 0x" + hex(qe.miscselectValue(), 8));
    out.check(tee + ".qe_identity.attributes", HW, masked(report.attributes(), qe.attributesMask(), qe.attributes()),
        Reason.IDENTITY_MISMATCH, "ATTRIBUTES " + report.attributes().hex() + " & mask " + qe.attributesMask().hex()
            + ", expected " + qe.attributes().hex());
    Optional<QeIdentity.QeTcbLevel> level = qe.tcbLevels().stream().filter(l -> l.isvSvn() <= report.isvSvn()).findFirst();
    out.check(tee + ".qe_identity.tcb_level", HW, level.isPresent(), Reason.NO_MATCHING_TCB_LEVEL,
        "QE ISVSVN " + report.isvSvn() + level.map(l -> " matches level isvsvn " + l.isvSvn() + " (" + l.tcbStatus().pcsName()
            + ")").orElse(" is below every QE TCB level"));
    return level.map(QeIdentity.QeTcbLevel::tcbStatus);
  }

  private static boolean masked(Bytes value, Bytes mask, Bytes expected) {
    if (value.length() != mask.length() || mask.length() != expected.length()) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      if ((value.get(i) & mask.get(i)) != (expected.get(i) & mask.get(i))) {
        return false;
      }
    }
    return true;
  }

  private static void evaluate(Quote quote, PckExtensions ext, TcbInfo info, Optional<QeIdentity> qeIdentity,
      SgxReportBody qeReport, Appraisal out) {
    TdReportBody body = quote.body();
    byte[] tee = body.teeTcbSvn().toByteArray();
    List<Integer> sgx = ext.tcb().sgxTcbComponents();
    int pceSvn = ext.tcb().pceSvn();
    Map<String, String> components = new LinkedHashMap<>();
    Set<String> advisories = new LinkedHashSet<>();
    List<Instant> dates = new ArrayList<>();

    // TDX module: signer and attributes, then the identity's TCB level when a module version is named.
    Optional<TcbInfo.TdxModuleIdentity> identity = (tee[1] & 0xFF) > 0 ? TcbEvaluation.moduleIdentity(info, tee) : Optional.empty();
    Bytes moduleSigner = identity.map(TcbInfo.TdxModuleIdentity::mrSigner)
        .orElse(info.tdxModule().map(TcbInfo.TdxModule::mrSigner).orElse(Bytes.zeros(48)));
    Bytes attrs = identity.map(TcbInfo.TdxModuleIdentity::attributes)
        .orElse(info.tdxModule().map(TcbInfo.TdxModule::attributes).orElse(Bytes.zeros(8)));
    Bytes attrsMask = identity.map(TcbInfo.TdxModuleIdentity::attributesMask)
        .orElse(info.tdxModule().map(TcbInfo.TdxModule::attributesMask).orElse(Bytes.zeros(8)));
    out.check("tdx.tdx_module.mrsigner", HW, body.mrSignerSeam().equals(moduleSigner), Reason.IDENTITY_MISMATCH,
        "MRSIGNERSEAM " + body.mrSignerSeam().hex() + ", expected " + moduleSigner.hex());
    Bytes seamAttributes = Bytes.of(le64(body.seamAttributes()));
    out.check("tdx.tdx_module.attributes", HW, masked(seamAttributes, attrsMask, attrs), Reason.IDENTITY_MISMATCH,
        "SEAMATTRIBUTES " + seamAttributes.hex() + " & mask " + attrsMask.hex() + ", expected " + attrs.hex());
    Optional<TcbStatus> moduleStatus = Optional.empty();
    if ((tee[1] & 0xFF) > 0) {
      String id = "TDX_" + hex(tee[1] & 0xFF, 2).toUpperCase(java.util.Locale.ROOT);
      Optional<TcbInfo.ModuleTcbLevel> ml = identity.flatMap(i -> TcbEvaluation.moduleLevel(i, tee[0] & 0xFF));
      out.check("tdx.tdx_module.tcb_level", HW, ml.isPresent(), Reason.NO_MATCHING_TCB_LEVEL, identity.isEmpty()
          ? "TCB Info has no module identity " + id
          : id + " ISVSVN " + (tee[0] & 0xFF) + ml.map(l -> " matches level isvsvn " + l.isvSvn() + " ("
              + l.tcbStatus().pcsName() + ")").orElse(" is below every level"));
      if (ml.isPresent()) {
        moduleStatus = Optional.of(ml.get().tcbStatus());
        components.put("tdxModule", ml.get().tcbStatus().pcsName());
        advisories.addAll(ml.get().advisoryIds());
        dates.add(ml.get().tcbDate());
      }
    }

    Optional<TcbStatus> qeStatus = Optional.empty();
    if (qeIdentity.isPresent()) {
      Optional<QeIdentity.QeTcbLevel> ql = qeIdentity.get().tcbLevels().stream()
          .filter(l -> l.isvSvn() <= qeReport.isvSvn()).findFirst();
      qeStatus = qeChecks(qeIdentity.get(), qeReport, out);
      ql.ifPresent(l -> {
        components.put("qe", l.tcbStatus().pcsName());
        advisories.addAll(l.advisoryIds());
        dates.add(l.tcbDate());
      });
    } else {
      out.notRun("tdx.qe_identity.tcb_level", Reason.COLLATERAL_MISSING, "no usable QE Identity: QE status not converged");
    }

    Optional<TcbEvaluation.PlatformMatch> match = TcbEvaluation.platformLevel(info, sgx, pceSvn, tee);
    out.check("tdx.tcb_level", HW, match.isPresent(), Reason.NO_MATCHING_TCB_LEVEL, match.map(m -> "level "
        + m.index() + " (" + m.level().tcbStatus().pcsName() + ", tcbDate " + Times.iso(m.level().tcbDate()) + ")")
        .orElse("no TCB level of FMSPC " + info.fmspc().hex() + " is met by the PCK SGX components, PCESVN "
            + pceSvn + " and TEE_TCB_SVN " + body.teeTcbSvn().hex()));
    if (match.isEmpty()) {
      return;
    }
    TcbInfo.TcbLevel level = match.get().level();
    String platform = level.tcbStatus().pcsName();
    components.put("platform", platform);
    advisories.addAll(level.advisoryIds());
    dates.add(level.tcbDate());
    String status = platform;
    if (moduleStatus.isPresent()) {
      status = TcbEvaluation.converge(status, moduleStatus.get());
    }
    String beforeQe = status;
    if (qeStatus.isPresent()) {
      status = TcbEvaluation.converge(status, qeStatus.get());
    }
    boolean qeCurrent = qeStatus.map(s -> s != TcbStatus.OUT_OF_DATE && s != TcbStatus.REVOKED).orElse(true);
    if (body.teeTcbSvn2().isPresent() && qeCurrent && moduleStatus.isPresent() && moduleStatus.get() == TcbStatus.OUT_OF_DATE
        && (beforeQe.equals(TcbStatus.OUT_OF_DATE.pcsName()) || beforeQe.equals(TcbStatus.OUT_OF_DATE_CONFIGURATION_NEEDED.pcsName()))) {
      Optional<String> relaunch = TcbEvaluation.relaunch(info, sgx, pceSvn, body.teeTcbSvn2().get().toByteArray(), beforeQe);
      if (relaunch.isPresent()) {
        status = relaunch.get();
      }
    }
    List<String> outOfDate = status.equals(TcbStatus.UP_TO_DATE.pcsName()) ? List.of()
        : TcbEvaluation.outOfDateComponents(info, sgx, pceSvn, tee);
    if (moduleStatus.isPresent() && moduleStatus.get() != TcbStatus.UP_TO_DATE) {
      outOfDate = new ArrayList<>(outOfDate);
      outOfDate.add("tdxModule (TDX_" + hex(tee[1] & 0xFF, 2).toUpperCase(java.util.Locale.ROOT) + " ISVSVN " + (tee[0] & 0xFF) + ")");
    }
    if (qeStatus.isPresent() && qeStatus.get() != TcbStatus.UP_TO_DATE) {
      outOfDate = new ArrayList<>(outOfDate);
      outOfDate.add("qe (ISVSVN " + qeReport.isvSvn() + ")");
    }
    long eval = info.tcbEvaluationDataNumber();
    if (qeIdentity.isPresent()) {
      eval = Math.min(eval, qeIdentity.get().tcbEvaluationDataNumber());
    }
    String tcbDate = dates.stream().min(Instant::compareTo).map(Times::iso).orElse(null);
    out.tcb(new TcbSummary(status, tcbDate, (int) eval, List.copyOf(advisories), outOfDate, components));
  }

  /** {@code String.format("%0<width>x", v)} without the formatter's cost. */
  static String hex(long v, int width) {
    String h = Long.toHexString(v);
    return h.length() >= width ? h : "0".repeat(width - h.length()) + h;
  }

  private static byte[] le64(long v) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (v >>> (8 * i));
    }
    return b;
  }

  private static void claims(Quote q, Appraisal out) {
    TdReportBody b = q.body();
    out.claim("version", q.version());
    out.claim("bodyKind", b.kind().name());
    out.claim("teeTcbSvn", b.teeTcbSvn().hex());
    out.claim("mrSeam", b.mrSeam().hex());
    out.claim("mrSignerSeam", b.mrSignerSeam().hex());
    out.claim("seamAttributes", hex(b.seamAttributes(), 16));
    out.claim("tdAttributes", hex(b.tdAttributes().bits(), 16));
    out.claim("tdAttributes.debug", b.tdAttributes().debug());
    out.claim("xfam", hex(b.xfam().bits(), 16));
    out.claim("mrTd", b.mrTd().hex());
    out.claim("mrConfigId", b.mrConfigId().hex());
    out.claim("mrOwner", b.mrOwner().hex());
    out.claim("mrOwnerConfig", b.mrOwnerConfig().hex());
    for (int i = 0; i < 4; i++) {
      out.claim("rtmr" + i, b.rtmr(i).hex());
    }
    out.claim("reportData", b.reportData().hex());
    b.teeTcbSvn2().ifPresent(x -> out.claim("teeTcbSvn2", x.hex()));
    b.mrServiceTd().ifPresent(x -> out.claim("mrServiceTd", x.hex()));
    out.claim("qeVendorId", q.header().qeVendorId().hex());
    q.qeReportCertificationData().ifPresent(qe -> out.claim("qeSvn", qe.qeReport().isvSvn()));
    out.claim("trailingBytes", q.trailingLength());
    out.claim("trailingBytesZero", q.trailingBytes().isAllZero());
  }
}
