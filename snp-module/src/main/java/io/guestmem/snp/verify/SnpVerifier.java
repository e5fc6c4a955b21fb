package io.guestmem.snp.verify;

import com.fasterxml.jackson.databind.JsonNode;
import io.guestmem.attestation.Appraisal;
import io.guestmem.attestation.Ar4siClaim;
import io.guestmem.attestation.Evidence;
import io.guestmem.attestation.Reason;
import io.guestmem.attestation.TeeVerifier;
import io.guestmem.attestation.VerificationContext;
import io.guestmem.attestation.collateral.CollateralDirectory;
import io.guestmem.attestation.collateral.CollateralFetcher;
import io.guestmem.attestation.collateral.CollateralUnavailableException;
import io.guestmem.attestation.pki.CertPathValidator;
import io.guestmem.attestation.pki.CertificateParseException;
import io.guestmem.attestation.pki.CertificateProfile;
import io.guestmem.attestation.pki.Certificates;
import io.guestmem.attestation.pki.CrlValidator;
import io.guestmem.attestation.pki.Ecdsa;
import io.guestmem.attestation.policy.PolicyException;
import io.guestmem.attestation.trust.TrustAnchor;
import io.guestmem.snp.abi.AttestationReport;
import io.guestmem.snp.abi.Bytes;
import io.guestmem.snp.abi.CertTable;
import io.guestmem.snp.abi.KdsUrl;
import io.guestmem.snp.abi.KeyInfo;
import io.guestmem.snp.abi.MalformedLayoutException;
import io.guestmem.snp.abi.SnpProduct;
import io.guestmem.snp.abi.TcbVersion;
import io.guestmem.snp.abi.VekExtensions;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;

/**
 * Verifies an SEV-SNP ATTESTATION_REPORT (optionally followed by the extended-request certificate
 * table). Steps, each recorded as a check:
 *
 * <ol>
 *   <li>Structure ({@code snp.report.structure}): size, known version 2–5, every must-be-zero range
 *       including the 368 unsigned bytes after the signature (parsed by {@code snp.abi}); then
 *       SIGNATURE_ALGO = 1, guest-policy bit 17 set, KEY_INFO signing key VCEK or VLEK, VMPL ≤ 3.
 *   <li>Endorsement key ({@code snp.vek.*}): the VCEK or VLEK named by KEY_INFO, taken from the
 *       given certificates, the certificate table or the collateral directory (KDS layout); its
 *       AMD extensions, shape (VCEK: hwID, no cspId; VLEK: cspId, no hwID), P-384 key, and
 *       product agreeing with the report's CPUID.
 *   <li>Chain ({@code snp.chain.*}): VEK ← ASK/ASVK ← ARK, the ARK pinned by SHA-256 and of the
 *       report's product; every certificate's validity at the appraisal time; signatures
 *       (RSASSA-PSS SHA-384), issuer/subject chaining, CA constraints.
 *   <li>Revocation ({@code snp.crl.*}): the ARK-signed KDS CRL — issuer, signature,
 *       thisUpdate/nextUpdate window — and the ASK/ASVK and VEK serials. Without a CRL the check is
 *       listed as not run.
 *   <li>Report signature ({@code snp.report.signature}): ECDSA P-384/SHA-384 over the raw bytes
 *       [0x000, 0x2A0) with the VEK key.
 *   <li>Cross-checks: REPORTED_TCB equals the VEK's TCB extensions as a whole u64 in the product's
 *       layout (Turin: FMC first) ({@code snp.report.reported_tcb}); for a VCEK, CHIP_ID equals the
 *       hwID (64 bytes, or 8 bytes plus 56 zero bytes on Turin) ({@code snp.report.chip_id}).
 *   <li>The {@code snp} policy section ({@code snp.policy.*}, see {@link SnpPolicy}).
 * </ol>
 */
public final class SnpVerifier implements TeeVerifier {
  private static final Ar4siClaim HW = Ar4siClaim.HARDWARE;

  @Override
  public String tee() {
    return "snp";
  }

  @Override
  public boolean recognizes(Evidence evidence) {
    if (evidence.length() < AttestationReport.SIZE) {
      return false;
    }
    long version = u32(evidence, 0);
    return version >= 1 && version <= 31 && (u32(evidence, AttestationReport.OFFSET_SIGNATURE_ALGO) == 1 || version > 5);
  }

  private static long u32(Evidence e, int off) {
    return e.byteAt(off) | (long) e.byteAt(off + 1) << 8 | (long) e.byteAt(off + 2) << 16 | (long) e.byteAt(off + 3) << 24;
  }

  @Override
  public Object compilePolicy(JsonNode section) throws PolicyException {
    return SnpPolicy.compile(section);
  }

  @Override
  public void verify(Evidence evidence, VerificationContext ctx, Appraisal out) {
    byte[] buf = evidence.toByteArray();
    AttestationReport report;
    try {
      report = AttestationReport.parse(buf, 0);
    } catch (MalformedLayoutException e) {
      out.fail("snp.report.structure", HW, structureReason(e), e.field() + " at offset 0x"
          + Long.toHexString(e.offset()) + ": " + e.getMessage());
      return;
    }
    out.pass("snp.report.structure", HW, "version " + report.version() + ", must-be-zero ranges clear");
    List<X509CertificateHolder> pool = new ArrayList<>(ctx.collateral().certificates());
    certTable(buf, out, pool);
    claims(report, out);
    out.reportData(report.reportData().toByteArray());

    out.check("snp.report.signature_algo", HW, report.signatureAlgo() == AttestationReport.SIGNATURE_ALGO_ECDSA_P384_SHA384,
        Reason.UNSUPPORTED_ALGORITHM, "SIGNATURE_ALGO " + report.signatureAlgo());
    out.check("snp.report.guest_policy", Ar4siClaim.CONFIGURATION, report.policy().reservedBitOneSet(),
        Reason.RESERVED_VALUE, "POLICY 0x" + Long.toHexString(report.policy().bits()) + " (bit 17 must be 1)");
    out.check("snp.report.vmpl", Ar4siClaim.CONFIGURATION, report.vmpl() <= 3, Reason.RESERVED_VALUE, "VMPL " + report.vmpl());
    KeyInfo.SigningKey signingKey = report.keyInfo().signingKey();
    boolean signed = signingKey == KeyInfo.SigningKey.VCEK || signingKey == KeyInfo.SigningKey.VLEK;
    out.check("snp.report.signing_key", HW, signed,
        signingKey == KeyInfo.SigningKey.NONE ? Reason.UNSIGNED_EVIDENCE : Reason.RESERVED_VALUE,
        "KEY_INFO.SIGNING_KEY " + report.keyInfo().signingKeyCode() + " (" + signingKey + ")");

    Optional<SnpProduct> reportProduct = report.product();
    if (report.version() >= 3 && reportProduct.isEmpty()) {
      out.fail("snp.report.product", HW, Reason.PRODUCT_MISMATCH, "CPUID family/model of an unknown product: "
          + report.cpuid().orElseThrow());
    }
    AttestationReport appraised = report;
    if (signed) {
      appraised = verifyEndorsement(report, signingKey, reportProduct, pool, ctx, out);
    } else {
      out.signatureValid(false);
    }
    Optional<SnpPolicy> policy = ctx.teePolicy(tee(), SnpPolicy.class);
    if (policy.isPresent()) {
      SnpPolicyChecks.apply(policy.get(), appraised, out);
    }
  }

  private static String structureReason(MalformedLayoutException e) {
    if (e.field().equals("VERSION")) {
      return Reason.UNSUPPORTED_VERSION;
    }
    if (e.field().startsWith("RESERVED") || e.field().startsWith("KEY_INFO") || e.field().startsWith("SIGNATURE.")) {
      return Reason.MUST_BE_ZERO;
    }
    return Reason.MALFORMED_EVIDENCE;
  }

  /** The certificate table after the report, if any non-zero bytes follow it. */
  private static void certTable(byte[] buf, Appraisal out, List<X509CertificateHolder> pool) {
    if (buf.length == AttestationReport.SIZE) {
      return;
    }
    byte[] rest = Arrays.copyOfRange(buf, AttestationReport.SIZE, buf.length);
    boolean zero = true;
    for (byte x : rest) {
      zero &= x == 0;
    }
    if (zero) {
      return;
    }
    try {
      CertTable table = CertTable.parse(rest);
      for (CertTable.Entry e : table.entries()) {
        try {
          pool.addAll(Certificates.parseAll(e.certificate().toByteArray(), "certificate table " + e.guid()));
        } catch (CertificateParseException ex) {
          out.fail("snp.cert_table." + e.guid(), HW, Reason.CHAIN_MALFORMED, ex.getMessage());
        }
      }
      out.pass("snp.cert_table", HW, table.entries().size() + " entries");
    } catch (MalformedLayoutException e) {
      out.fail("snp.cert_table", HW, Reason.MALFORMED_EVIDENCE, e.getMessage());
    }
  }

  private AttestationReport verifyEndorsement(AttestationReport report, KeyInfo.SigningKey signingKey,
      Optional<SnpProduct> reportProduct, List<X509CertificateHolder> pool, VerificationContext ctx, Appraisal out) {
    boolean vlek = signingKey == KeyInfo.SigningKey.VLEK;
    String vekName = vlek ? "vlek" : "vcek";
    List<SnpProduct> products = reportProduct.map(List::of).orElse(List.of(SnpProduct.values()));
    List<X509CRLHolder> crls = new ArrayList<>(ctx.collateral().crls());
    Optional<CollateralDirectory> dir = ctx.collateral().directory();
    if (dir.isPresent()) {
      fromDirectory(dir.get(), report, products, vlek, pool, crls, out);
    }
    Optional<CollateralFetcher> fetcher = ctx.collateral().fetcher();
    if (fetcher.isPresent()) {
      List<SnpProduct> online = reportProduct.map(List::of).orElse(List.of(SnpProduct.MILAN, SnpProduct.GENOA));
      fetch(fetcher.get(), report, online, vlek, pool, crls, out);
      fromDirectory(fetcher.get().directory(), report, online, vlek, pool, crls, out);
    }

    Optional<VekChoice> vekChoice = chooseVek(report, vlek, pool);
    if (vekChoice.isEmpty()) {
      out.fail("snp.vek.present", HW, Reason.CHAIN_MISSING, "the report is signed by the " + vekName.toUpperCase()
          + " but no " + vekName.toUpperCase() + " certificate was supplied (given files, certificate table or collateral directory)");
      out.signatureValid(false);
      return report;
    }
    X509CertificateHolder vek = vekChoice.get().certificate();
    VekExtensions ext = null;
    if (vek.getExtensions() == null) {
      out.fail("snp.vek.extensions", HW, Reason.CERT_PROFILE, "the " + vekName.toUpperCase() + " has no X.509 extensions");
    } else {
      try {
        ext = VekExtensions.fromExtensions(vek.getExtensions());
        out.pass("snp.vek.extensions", HW, "productName " + ext.productName() + ", structVersion " + ext.structVersion());
      } catch (MalformedLayoutException | RuntimeException e) {
        ext = null;
        out.fail("snp.vek.extensions", HW, Reason.CERT_PROFILE, e.getMessage());
      }
    }
    Optional<SnpProduct> product = reportProduct;
    if (ext != null) {
      out.check("snp.vek.kind", HW, ext.kind() == (vlek ? VekExtensions.Kind.VLEK : VekExtensions.Kind.VCEK),
          Reason.CERT_PROFILE, "extensions have the shape of a " + ext.kind() + ", KEY_INFO says " + signingKey);
      Optional<SnpProduct> vekProduct = ext.product();
      if (reportProduct.isPresent()) {
        out.check("snp.vek.product", HW, vekProduct.equals(reportProduct), Reason.PRODUCT_MISMATCH,
            "VEK productName " + ext.productName() + ", report CPUID product " + reportProduct.get().kdsName());
      } else {
        out.check("snp.vek.product", HW, vekProduct.isPresent(), Reason.PRODUCT_MISMATCH,
            "VEK productName " + ext.productName());
        product = vekProduct;
        if (vekProduct.isPresent()) {
          try {
            report = report.withProduct(vekProduct.get());
          } catch (MalformedLayoutException e) {
            out.fail("snp.vek.product", HW, Reason.PRODUCT_MISMATCH, e.getMessage());
          }
        }
      }
      ext.cspId().ifPresent(id -> out.claim("cspId", id));
    }
    ECPublicKeyParameters key = null;
    try {
      key = Ecdsa.publicKey(vek);
    } catch (CertificateParseException e) {
      out.fail("snp.vek.key", HW, Reason.CERT_PROFILE, e.getMessage());
    }
    if (key != null) {
      out.check("snp.vek.key", HW, Ecdsa.fieldBytes(key) == 48, Reason.CERT_PROFILE,
          "VEK key is EC with a " + Ecdsa.fieldBytes(key) * 8 + "-bit field (P-384 required)");
    }

    boolean chainOk = chain(vek, vlek, product, pool, crls, ctx, out);

    // chooseVek verified the signature with each candidate's key; the chosen one is the verifying one if any.
    boolean sigOk = key != null && Ecdsa.fieldBytes(key) == 48 && vekChoice.get().verifiesReport();
    out.check("snp.report.signature", HW, sigOk, Reason.SIGNATURE_INVALID,
        "ECDSA P-384/SHA-384 over [0x000, 0x2A0) with the " + vekName.toUpperCase() + " key");
    out.signatureValid(sigOk && chainOk);

    if (ext != null) {
      TcbVersion reported = report.reportedTcb();
      TcbVersion certified = ext.tcbVersion().withLayout(reported.layout());
      out.check("snp.report.reported_tcb", HW, reported.raw() == certified.raw(), Reason.TCB_MISMATCH,
          "REPORTED_TCB " + reported + " vs " + vekName.toUpperCase() + " " + certified + " (" + reported.layout() + ")");
      if (!vlek && ext.hwId().isPresent()) {
        Bytes hwId = ext.hwId().get();
        byte[] chip = report.chipId().toByteArray();
        boolean ok = hwId.length() <= 64 && Arrays.equals(Arrays.copyOf(chip, hwId.length()), hwId.toByteArray());
        for (int i = hwId.length(); ok && i < 64; i++) {
          ok = chip[i] == 0;
        }
        out.check("snp.report.chip_id", Ar4siClaim.INSTANCE_IDENTITY, ok, Reason.IDENTITY_MISMATCH,
            "CHIP_ID vs " + hwId.length() + "-byte VCEK hwID (" + ext.hwIdEncoding().map(Enum::name).orElse("") + ")"
                + (report.keyInfo().maskChipKey() ? "; MASK_CHIP_KEY is set" : ""));
      }
    }
    return report;
  }

  /**
   * Fetches from KDS what is not already at hand: the cert_chain and CRL of each candidate product
   * and, for a VCEK-signed report, the VCEK for the chip id at REPORTED_TCB. Failures are listed as
   * not run ({@code collateral_unavailable}); the verdict then says which checks they prevented.
   */
  private static void fetch(CollateralFetcher f, AttestationReport report, List<SnpProduct> products, boolean vlek,
      List<X509CertificateHolder> pool, List<X509CRLHolder> crls, Appraisal out) {
    KdsUrl.Family family = vlek ? KdsUrl.Family.VLEK : KdsUrl.Family.VCEK;
    boolean haveVek = pool.stream().anyMatch(c -> Certificates.commonName(c.getSubject()).equals(vlek ? "SEV-VLEK" : "SEV-VCEK"));
    boolean haveCrl = !crls.isEmpty();
    for (SnpProduct p : products) {
      List<String> paths = new ArrayList<>(List.of(KdsUrl.certChainPath(family, p)));
      if (!haveCrl) {
        paths.add(KdsUrl.crlPath(KdsUrl.Family.VCEK, p));
      }
      if (!vlek && !haveVek) {
        Bytes hwId = Bytes.copyOf(report.chipId().toByteArray(), 0, p.hwIdLength());
        paths.add(KdsUrl.vcekPath(p, hwId, report.reportedTcb().withLayout(p.tcbLayout())));
      }
      for (String path : paths) {
        try {
          f.ensure(CollateralFetcher.Service.AMD_KDS, path, KdsUrl.toRelativeFile(path), Optional.empty());
        } catch (CollateralUnavailableException e) {
          out.notRun("snp.collateral.fetch", Reason.COLLATERAL_UNAVAILABLE, e.getMessage());
        }
      }
    }
  }

  private static void fromDirectory(CollateralDirectory dir, AttestationReport report, List<SnpProduct> products,
      boolean vlek, List<X509CertificateHolder> pool, List<X509CRLHolder> crls, Appraisal out) {
    for (SnpProduct p : products) {
      try {
        pool.addAll(dir.amdCertChain(vlek ? "vlek" : "vcek", p.kdsName()));
        dir.amdCrl(p.kdsName()).ifPresent(crls::add);
        if (vlek) {
          pool.addAll(dir.amdVleks(p.kdsName()));
        } else {
          Bytes hwId = Bytes.copyOf(report.chipId().toByteArray(), 0, p.hwIdLength());
          TcbVersion tcb = report.reportedTcb().withLayout(p.tcbLayout());
          Optional<byte[]> kds = dir.read(KdsUrl.toRelativeFile(KdsUrl.vcekPath(p, hwId, tcb)));
          if (kds.isPresent()) {
            pool.addAll(Certificates.parseAll(kds.get(), "KDS VCEK for " + p.kdsName()));
          }
          pool.addAll(dir.amdVceks(p.kdsName(), hwId.hex(), String.format("%016x", tcb.raw())));
        }
      } catch (IOException | CertificateParseException e) {
        out.fail("snp.collateral", HW, Reason.COLLATERAL_MALFORMED, e.getMessage());
      }
    }
  }

  /** A candidate endorsement key and whether its key verified the report signature. */
  private record VekChoice(X509CertificateHolder certificate, boolean verifiesReport) {}

  /** The VEK: right CN first, then matching hwID and TCB, then one whose key verifies the report. */
  private static Optional<VekChoice> chooseVek(AttestationReport report, boolean vlek,
      List<X509CertificateHolder> pool) {
    String cn = vlek ? "SEV-VLEK" : "SEV-VCEK";
    List<X509CertificateHolder> leaves = pool.stream().filter(c -> !isCa(c))
        .filter(c -> Certificates.commonName(c.getSubject()).equals(cn)).distinct().toList();
    if (leaves.isEmpty()) {
      return Optional.empty();
    }
    byte[] signed = report.signedBytes();
    byte[] digest = Ecdsa.digest("SHA-384", signed, 0, signed.length);
    Comparator<X509CertificateHolder> byMatch = Comparator.comparingInt(c -> -score(c, report));
    List<X509CertificateHolder> ranked = leaves.stream().sorted(byMatch).toList();
    for (X509CertificateHolder c : ranked) {
      try {
        ECPublicKeyParameters k = Ecdsa.publicKey(c);
        if (Ecdsa.fieldBytes(k) == 48 && Ecdsa.verify(k, digest, report.signature().rInteger(), report.signature().sInteger())) {
          return Optional.of(new VekChoice(c, true));
        }
      } catch (CertificateParseException ignored) {
        // Not a usable EC key; ranked candidates are still reported below.
      }
    }
    return Optional.of(new VekChoice(ranked.get(0), false));
  }

  private static int score(X509CertificateHolder c, AttestationReport report) {
    try {
      VekExtensions e = VekExtensions.fromExtensions(c.getExtensions());
      int s = 0;
      if (e.hwId().isPresent() && Arrays.equals(e.hwId().get().toByteArray(),
          Arrays.copyOf(report.chipId().toByteArray(), e.hwId().get().length()))) {
        s += 2;
      }
      if (e.tcbVersion().raw() == report.reportedTcb().raw()) {
        s += 1;
      }
      return s;
    } catch (MalformedLayoutException | RuntimeException e) {
      return -1;
    }
  }

  static boolean isCa(X509CertificateHolder c) {
    try {
      BasicConstraints bc = BasicConstraints.fromExtensions(c.getExtensions());
      return bc != null && bc.isCA();
    } catch (RuntimeException malformed) {
      return false;
    }
  }

  private static boolean chain(X509CertificateHolder vek, boolean vlek, Optional<SnpProduct> product,
      List<X509CertificateHolder> pool, List<X509CRLHolder> crls, VerificationContext ctx, Appraisal out) {
    String productName = product.map(SnpProduct::kdsName).orElse("?");
    String askCn = vlek ? "SEV-VLEK-" + productName : "SEV-" + productName;
    // The issuer named by the VEK is taken even if it is not marked a CA, so that path validation
    // reports it (not_a_ca, key_usage_invalid) instead of the chain looking absent.
    Optional<X509CertificateHolder> ask = pick(pool, c -> c != vek && Certificates.sameName(c.getSubject(), vek.getIssuer()), ctx)
        .or(() -> pick(pool, c -> isCa(c) && Certificates.commonName(c.getSubject()).equals(askCn), ctx))
        .or(() -> pick(pool, c -> isCa(c) && !Certificates.sameName(c.getIssuer(), c.getSubject()), ctx));
    if (ask.isEmpty()) {
      out.fail("snp.chain.present", HW, Reason.CHAIN_MISSING, "no " + (vlek ? "ASVK" : "ASK") + " issuing "
          + Certificates.name(vek.getIssuer()) + " was supplied");
      return false;
    }
    X509CertificateHolder i = ask.get();
    Optional<X509CertificateHolder> ark = pick(pool, c -> Certificates.sameName(c.getSubject(), i.getIssuer())
        && Certificates.sameName(c.getIssuer(), c.getSubject()), ctx)
        .or(() -> pick(pool, c -> Certificates.commonName(c.getSubject()).equals("ARK-" + productName), ctx));
    if (ark.isEmpty()) {
      out.fail("snp.chain.present", HW, Reason.CHAIN_MISSING, "no ARK issuing " + Certificates.name(i.getIssuer()) + " was supplied");
      return false;
    }
    X509CertificateHolder root = ark.get();
    CertPathValidator.Result r = CertPathValidator.validate("snp.chain",
        List.of(vlek ? "vlek" : "vcek", vlek ? "asvk" : "ask", "ark"), List.of(vek, i, root), ctx.anchors(), ctx.at(),
        ctx.cache(), out, HW);
    boolean ok = r.valid();
    ok &= amdProfile("vek", vek).check("snp.chain." + (vlek ? "vlek" : "vcek"), vek, out, HW);
    ok &= amdProfile("ask", i).check("snp.chain." + (vlek ? "asvk" : "ask"), i, out, HW);
    ok &= amdProfile("ark", root).check("snp.chain.ark", root, out, HW);
    if (r.anchor().isPresent()) {
      TrustAnchor a = r.anchor().get();
      out.trustAnchor(a.name(), a.emulated());
      if (!a.emulated()) {
        ok &= out.check("snp.chain.root_product", HW, a.vendor().equals("amd") && a.product().equals(productName),
            Reason.PRODUCT_MISMATCH, "root " + a.name() + " for a " + productName + " report");
      }
    }
    Optional<X509CRLHolder> crl = CrlValidator.choose(crls, root.getSubject(), ctx.at())
        .or(() -> crls.stream().findFirst());
    if (crl.isPresent()) {
      Map<String, X509CertificateHolder> subjects = new LinkedHashMap<>();
      subjects.put(vlek ? "asvk" : "ask", i);
      subjects.put(vlek ? "vlek" : "vcek", vek);
      ok &= CrlValidator.check("snp.crl", crl.get(), root, subjects, ctx.at(), ctx.cache(), out, HW);
    } else {
      out.notRun("snp.crl", Reason.COLLATERAL_MISSING, "no AMD KDS CRL for " + productName
          + " was supplied: revocation of the ASK and VEK was not checked");
    }
    return ok;
  }

  /**
   * AMD's certificate profile (evidence-formats.md §1.6–1.7; go-sev-guest's name and CDP checks)
   * for a certificate in {@code role} ({@code ark}, {@code ask} for ASK or ASVK, {@code vek}): X.509
   * v3, RSASSA-PSS with SHA-384/MGF1-SHA-384/salt 48/trailer 1, RSA-4096 (ARK, ASK, ASVK) or EC
   * P-384 (VCEK, VLEK), subject {@code OU=Engineering, C=US, L=Santa Clara, ST=CA, O=Advanced
   * Micro Devices} with a CN of the role, and for ARK/ASK/ASVK exactly one CRL distribution point,
   * the KDS CRL URL of the product and family its CN names. Which product the chain must be of is
   * path validation's concern (issuer chaining, pinned root per product), not the profile's.
   */
  private static CertificateProfile amdProfile(String role, X509CertificateHolder c) {
    String cn = Certificates.commonName(c.getSubject());
    Optional<String> cdp = Optional.empty();
    java.util.Set<String> names = new java.util.HashSet<>();
    for (SnpProduct p : SnpProduct.values()) {
      String vcekCrl = KdsUrl.BASE + KdsUrl.crlPath(KdsUrl.Family.VCEK, p);
      if (role.equals("ark")) {
        names.add("ARK-" + p.kdsName());
        cdp = cn.equals("ARK-" + p.kdsName()) ? Optional.of(vcekCrl) : cdp;
      } else if (role.equals("ask")) {
        names.add("SEV-" + p.kdsName());
        names.add("SEV-VLEK-" + p.kdsName());
        cdp = cn.equals("SEV-" + p.kdsName()) ? Optional.of(vcekCrl)
            : cn.equals("SEV-VLEK-" + p.kdsName()) ? Optional.of(KdsUrl.BASE + KdsUrl.crlPath(KdsUrl.Family.VLEK, p)) : cdp;
      }
    }
    if (role.equals("vek")) {
      names.add("SEV-VCEK");
      names.add("SEV-VLEK");
    }
    return CertificateProfile.of("amd-" + role + "-" + cdp.orElse("no-cdp-rule"),
        CertificateProfile.SignatureAlgorithm.RSASSA_PSS_SHA384,
        role.equals("vek") ? CertificateProfile.PublicKeyType.EC_P384 : CertificateProfile.PublicKeyType.RSA_4096, names,
        CertificateProfile.AMD_NAME, cdp.map(List::of));
  }

  /** A certificate matching {@code test}, preferring one whose hash is a trusted anchor. */
  private static Optional<X509CertificateHolder> pick(List<X509CertificateHolder> pool,
      java.util.function.Predicate<X509CertificateHolder> test, VerificationContext ctx) {
    List<X509CertificateHolder> m = pool.stream().filter(test).toList();
    return m.stream().filter(c -> ctx.anchors().match(c).isPresent()).findFirst().or(() -> m.stream().findFirst());
  }

  /** {@code String.format("0x%016x", v)} without the formatter's cost. */
  static String hex16(long v) {
    String h = Long.toHexString(v);
    return "0x" + "0".repeat(16 - h.length()) + h;
  }

  private static void claims(AttestationReport r, Appraisal out) {
    out.claim("version", r.version());
    r.product().ifPresent(p -> out.claim("product", p.kdsName()));
    r.cpuid().ifPresent(c -> out.claim("cpuid", String.format("%02x-%02x-%02x", c.familyId(), c.modelId(), c.stepping())));
    out.claim("guestSvn", r.guestSvn());
    out.claim("policy", hex16(r.policy().bits()));
    out.claim("policy.debug", r.policy().debug());
    out.claim("policy.migrateMa", r.policy().migrateMa());
    out.claim("policy.smt", r.policy().smt());
    out.claim("policy.abi", r.policy().abiMajor() + "." + r.policy().abiMinor());
    out.claim("policy.unknownBits", hex16(r.policy().unknownBits()));
    out.claim("familyId", r.familyId().hex());
    out.claim("imageId", r.imageId().hex());
    out.claim("vmpl", r.vmpl());
    out.claim("signingKey", r.keyInfo().signingKey().name());
    out.claim("authorKeyEn", r.keyInfo().authorKeyEn());
    out.claim("platformInfo", hex16(r.platformInfo().bits()));
    out.claim("platformInfo.unknownBits", hex16(r.platformInfo().unknownBits()));
    out.claim("reportData", r.reportData().hex());
    out.claim("measurement", r.measurement().hex());
    out.claim("hostData", r.hostData().hex());
    out.claim("idKeyDigest", r.idKeyDigest().hex());
    out.claim("authorKeyDigest", r.authorKeyDigest().hex());
    out.claim("reportId", r.reportId().hex());
    out.claim("reportIdMa", r.reportIdMa().hex());
    out.claim("chipId", r.chipId().hex());
    out.claim("currentTcb", r.currentTcb().toString());
    out.claim("reportedTcb", r.reportedTcb().toString());
    out.claim("committedTcb", r.committedTcb().toString());
    out.claim("launchTcb", r.launchTcb().toString());
    out.claim("currentVersion", r.currentVersion().toString());
    out.claim("committedVersion", r.committedVersion().toString());
    r.launchMitigationVector().ifPresent(v -> out.claim("launchMitigationVector", hex16(v)));
    r.currentMitigationVector().ifPresent(v -> out.claim("currentMitigationVector", hex16(v)));
  }
}
