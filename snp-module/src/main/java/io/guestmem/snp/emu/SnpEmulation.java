package io.guestmem.snp.emu;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.ConvertibleMemory;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.PageState;
import io.guestmem.snp.abi.AttestationReport;
import io.guestmem.snp.abi.Bytes;
import io.guestmem.snp.abi.CertTable;
import io.guestmem.snp.abi.GuestPolicy;
import io.guestmem.snp.abi.KdsUrl;
import io.guestmem.snp.abi.SnpProduct;
import io.guestmem.snp.abi.TcbVersion;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * One end-to-end SEV-SNP emulation, the library behind {@code guestmem emulate snp}: it boots an
 * emulated platform ({@link SnpFirmware} + {@link EmulatedKds}), runs a small guest lifecycle on
 * the given memory, asks for an attestation report and writes evidence and collateral in the
 * formats real SNP hosts and AMD's KDS produce.
 *
 * <p><b>Lifecycle</b> (each step logged):
 * <ol>
 *   <li>SNP_INIT; SNP_LAUNCH_START with policy {SMT, bit 17} (+ DEBUG if asked);</li>
 *   <li>SNP_LAUNCH_UPDATE of GPA 0x0 NORMAL, 0x1000 ZERO, 0x2000 SECRETS, 0x3000 CPUID,
 *       0x4000 UNMEASURED, and a VMSA at GPA 0xFFFFFFFFF000 (outside the lease, where VMMs place
 *       it); pages that are SHARED in the memory are first converted to PRIVATE, as a VMM sets the
 *       private attribute before launch;</li>
 *   <li>SNP_LAUNCH_FINISH, with an ID block signed by an ID key and an author key unless disabled;</li>
 *   <li>the hypervisor assigns GPAs 0x5000–0x7000 (RMPUPDATE) and the guest PVALIDATEs them, then
 *       PVALIDATEs 0x0 again (NO_UPDATE: double validation);</li>
 *   <li>page 0x5000 to shared with the GHCB MSR protocol (after PVALIDATE rescind), pages 0x6000 and
 *       0x7000 with a two-entry PSC descriptor processed one entry per exit (CUR_ENTRY progress),
 *       and, when the memory has 4 MiB, the 2 MiB page at 0x200000 as one 2 MiB entry;</li>
 *   <li>the same pages back to private with one descriptor, and PVALIDATE again;</li>
 *   <li>MSG_REPORT_REQ with the report data, VMPL and signer asked for.</li>
 * </ol>
 *
 * <p><b>Files written under {@link Options#outDir()}</b> ({P} = Milan | Genoa | Turin):
 * <pre>
 * report.bin                          the 1184-byte ATTESTATION_REPORT
 * certs.bin                           extended guest request certificate table (GHCB spec): VCEK or
 *                                     VLEK, then ASK or ASVK, then ARK, DER each
 * vlek.der                            the VLEK (only with signer VLEK; KDS never serves VLEKs)
 * kds/vcek/v1/{P}/cert_chain          PEM, ASK then ARK
 * kds/vcek/v1/{P}/crl                 DER CRL signed by the ARK
 * kds/vcek/v1/{P}/{hwid}%3FblSPL%3D{bl}%26teeSPL%3D{tee}%26snpSPL%3D{snp}%26ucodeSPL%3D{uc}
 *                                     the chip's VCEK (DER) at the reported TCB; Turin: hwid is 8
 *                                     bytes and the query starts fmcSPL%3D{fmc}%26 (see {@link KdsUrl})
 * kds/vlek/v1/{P}/cert_chain          PEM, ASVK then ARK
 * kds/vlek/v1/{P}/crl                 DER CRL signed by the ARK
 * roots/ark.pem, roots/ark.der        the emulated ARK (trust it only explicitly)
 * roots/ark.der.sha256                lower-case hex SHA-256 of ark.der, for pinning
 * emulation.log                       the lifecycle log
 * </pre>
 * Same options and seed ⇒ byte-identical files.
 */
public final class SnpEmulation {

  /** Which endorsement key signs the report. */
  public enum Signer {
    VCEK, VLEK
  }

  /**
   * Options. {@code reportData} is at most 64 bytes, zero-padded on the right; {@code tcb} empty
   * means the product's default; {@code vekValidity} empty means KDS's usual (VCEK 7 years, VLEK 1
   * year from {@link EmulatedKds#DEFAULT_ISSUED_AT}); {@code certifiedHwIdOverride} makes the VCEK
   * certificate name another chip (a wrong-hwID negative case).
   */
  public record Options(
      Path outDir,
      SnpProduct product,
      int reportVersion,
      Signer signer,
      Bytes reportData,
      long seed,
      int vmpl,
      boolean debugPolicy,
      boolean idBlock,
      Optional<TcbVersion> tcb,
      Optional<EmulatedKds.Validity> vekValidity,
      List<BigInteger> revokedSerials,
      Optional<Bytes> certifiedHwIdOverride,
      Knobs knobs) {
    public Options {
      Objects.requireNonNull(knobs, "knobs");
      Objects.requireNonNull(outDir, "outDir");
      Objects.requireNonNull(product, "product");
      Objects.requireNonNull(signer, "signer");
      if (reportVersion != 2 && reportVersion != 3 && reportVersion != 5) {
        throw new IllegalArgumentException("report version must be 2, 3 or 5");
      }
      if (reportData.length() > 64) {
        throw new IllegalArgumentException("report data is at most 64 bytes");
      }
      if (vmpl < 0 || vmpl > 3) {
        throw new IllegalArgumentException("VMPL must be 0..3");
      }
      revokedSerials = List.copyOf(revokedSerials);
    }

    /** Defaults: Milan, report version 5, VCEK, zero report data, seed 1, VMPL 0, no debug, with an ID block. */
    public static Options defaults(Path outDir) {
      return new Options(outDir, SnpProduct.MILAN, 5, Signer.VCEK, Bytes.zeros(64), 1, 0, false, true,
          Optional.empty(), Optional.empty(), List.of(), Optional.empty(), Knobs.NONE);
    }

    public Options withProduct(SnpProduct p) {
      return new Options(outDir, p, reportVersion, signer, reportData, seed, vmpl, debugPolicy, idBlock, tcb,
          vekValidity, revokedSerials, certifiedHwIdOverride, knobs);
    }

    public Options withReportVersion(int v) {
      return new Options(outDir, product, v, signer, reportData, seed, vmpl, debugPolicy, idBlock, tcb,
          vekValidity, revokedSerials, certifiedHwIdOverride, knobs);
    }

    public Options withSigner(Signer s) {
      return new Options(outDir, product, reportVersion, s, reportData, seed, vmpl, debugPolicy, idBlock, tcb,
          vekValidity, revokedSerials, certifiedHwIdOverride, knobs);
    }

    public Options withReportData(Bytes d) {
      return new Options(outDir, product, reportVersion, signer, d, seed, vmpl, debugPolicy, idBlock, tcb,
          vekValidity, revokedSerials, certifiedHwIdOverride, knobs);
    }

    public Options withSeed(long s) {
      return new Options(outDir, product, reportVersion, signer, reportData, s, vmpl, debugPolicy, idBlock, tcb,
          vekValidity, revokedSerials, certifiedHwIdOverride, knobs);
    }

    public Options withVmpl(int v) {
      return new Options(outDir, product, reportVersion, signer, reportData, seed, v, debugPolicy, idBlock, tcb,
          vekValidity, revokedSerials, certifiedHwIdOverride, knobs);
    }

    public Options withDebugPolicy(boolean d) {
      return new Options(outDir, product, reportVersion, signer, reportData, seed, vmpl, d, idBlock, tcb,
          vekValidity, revokedSerials, certifiedHwIdOverride, knobs);
    }

    public Options withIdBlock(boolean b) {
      return new Options(outDir, product, reportVersion, signer, reportData, seed, vmpl, debugPolicy, b, tcb,
          vekValidity, revokedSerials, certifiedHwIdOverride, knobs);
    }

    public Options withTcb(TcbVersion t) {
      return new Options(outDir, product, reportVersion, signer, reportData, seed, vmpl, debugPolicy, idBlock,
          Optional.of(t), vekValidity, revokedSerials, certifiedHwIdOverride, knobs);
    }

    public Options withVekValidity(EmulatedKds.Validity v) {
      return new Options(outDir, product, reportVersion, signer, reportData, seed, vmpl, debugPolicy, idBlock, tcb,
          Optional.of(v), revokedSerials, certifiedHwIdOverride, knobs);
    }

    public Options withRevokedSerials(List<BigInteger> s) {
      return new Options(outDir, product, reportVersion, signer, reportData, seed, vmpl, debugPolicy, idBlock, tcb,
          vekValidity, s, certifiedHwIdOverride, knobs);
    }

    public Options withKnobs(Knobs k) {
      return new Options(outDir, product, reportVersion, signer, reportData, seed, vmpl, debugPolicy, idBlock, tcb,
          vekValidity, revokedSerials, certifiedHwIdOverride, k);
    }

    public Options withCertifiedHwId(Bytes hwId) {
      return new Options(outDir, product, reportVersion, signer, reportData, seed, vmpl, debugPolicy, idBlock, tcb,
          vekValidity, revokedSerials, Optional.of(hwId), knobs);
    }
  }

  /**
   * Negative-test knobs beyond the options: AMD certificate profile faults of the emulated KDS,
   * provisional firmware (a running TCB or version other than the committed one), and the labels
   * the ID and author keys are derived from (another label = a key no policy knows).
   */
  public record Knobs(EmulatedKds.Faults kdsFaults, Optional<TcbVersion> currentTcb,
      Optional<AttestationReport.FirmwareVersion> currentVersion, String idKeyLabel, String authorKeyLabel) {
    public static final Knobs NONE = new Knobs(EmulatedKds.Faults.NONE, Optional.empty(), Optional.empty(), "id-key", "author-key");

    public Knobs {
      Objects.requireNonNull(kdsFaults);
      Objects.requireNonNull(idKeyLabel);
      Objects.requireNonNull(authorKeyLabel);
    }

    public Knobs withKdsFaults(EmulatedKds.Faults f) {
      return new Knobs(f, currentTcb, currentVersion, idKeyLabel, authorKeyLabel);
    }

    /** Provisional firmware: the running TCB and version (the committed ones stay the defaults). */
    public Knobs withCurrent(Optional<TcbVersion> tcb, Optional<AttestationReport.FirmwareVersion> version) {
      return new Knobs(kdsFaults, tcb, version, idKeyLabel, authorKeyLabel);
    }

    public Knobs withIdKeyLabel(String label) {
      return new Knobs(kdsFaults, currentTcb, currentVersion, label, authorKeyLabel);
    }

    public Knobs withAuthorKeyLabel(String label) {
      return new Knobs(kdsFaults, currentTcb, currentVersion, idKeyLabel, label);
    }
  }

  /** What a run produced. {@code files} are relative to the output directory, in write order. */
  public record Result(AttestationReport report, List<String> files, List<String> log) {
    public Result {
      files = List.copyOf(files);
      log = List.copyOf(log);
    }

    public String logText() {
      return String.join("\n", log) + "\n";
    }
  }

  /** A firmware command or page-state change did not do what the lifecycle needs. */
  public static final class EmulationException extends Exception {
    private static final long serialVersionUID = 1L;

    public EmulationException(String message) {
      super(message);
    }

    public EmulationException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** The CSP id of emulated VLEKs. */
  public static final String EMULATED_CSP_ID = "CN=emulated-csp.guestmem.invalid";
  /** Where the lifecycle puts the VMSA. */
  public static final long VMSA_GPA = 0xFFFFFFFFF000L;
  static final long MIN_MEMORY = 8 * 4096;

  private SnpEmulation() {}

  /** Runs the lifecycle on {@code memory} (at least 32 KiB) and writes the files. */
  public static Result run(Options o, ConvertibleMemory memory) throws EmulationException, IOException {
    if (memory.size() < MIN_MEMORY) {
      throw new IllegalArgumentException("the lifecycle needs at least " + MIN_MEMORY + " bytes of guest memory");
    }
    List<String> log = new ArrayList<>();
    EmulatedKds kds = EmulatedKds.create(EmulatedKds.Config.defaults(o.seed(), o.product())
        .withRevokedSerials(o.revokedSerials()).withFaults(o.knobs().kdsFaults()));
    SnpFirmware.Config fc = SnpFirmware.Config.defaults(o.seed(), o.product(), kds).withReportVersion(o.reportVersion());
    if (o.tcb().isPresent()) {
      fc = fc.withTcb(o.tcb().get().withLayout(o.product().tcbLayout()));
    }
    if (o.signer() == Signer.VLEK) {
      fc = fc.withVlek(EMULATED_CSP_ID);
    }
    if (o.knobs().currentTcb().isPresent() || o.knobs().currentVersion().isPresent()) {
      fc = fc.withCurrent(o.knobs().currentTcb().map(t -> t.withLayout(o.product().tcbLayout())).orElse(fc.currentTcb()),
          o.knobs().currentVersion().orElse(fc.currentVersion()));
    }
    SnpFirmware fw = new SnpFirmware(fc);
    log.add(String.format("platform: %s, firmware %s, reported %s, hwID %s…, report v%d, signer %s, seed %d",
        o.product().kdsName(), fc.currentVersion(), fc.reportedTcb(), fc.hwId().hex().substring(0, 16),
        o.reportVersion(), o.signer(), o.seed()));
    log.add(String.format("memory: %d bytes (%d pages)", memory.size(), memory.size() / 4096));

    check("SNP_INIT", fw.snpInit(), log);
    GuestPolicy policy = GuestPolicy.of(0, 0, GuestPolicy.SMT | (o.debugPolicy() ? GuestPolicy.DEBUG : 0));
    SnpFirmware.LaunchStartResult start = fw.launchStart(memory, policy);
    check("SNP_LAUNCH_START " + policy, start.status(), log);
    int h = start.handle();

    // Step 2: launch pages. The VMM makes them private first (KVM_SET_MEMORY_ATTRIBUTES).
    long[] gpas = {0x0000, 0x1000, 0x2000, 0x3000, 0x4000};
    PageType[] types = {PageType.NORMAL, PageType.ZERO, PageType.SECRETS, PageType.CPUID, PageType.UNMEASURED};
    for (int i = 0; i < gpas.length; i++) {
      ensurePrivate(memory, gpas[i], log);
      byte[] contents = types[i].contentsMeasured() ? page(o.seed(), "image/" + gpas[i]) : null;
      check(String.format("SNP_LAUNCH_UPDATE gpa=0x%x %s", gpas[i], types[i]),
          fw.launchUpdate(h, gpas[i], types[i], contents), log);
    }
    check(String.format("SNP_LAUNCH_UPDATE gpa=0x%x VMSA", VMSA_GPA),
        fw.launchUpdate(h, VMSA_GPA, PageType.VMSA, page(o.seed(), "vmsa/0")), log);
    Bytes digest = fw.launchDigest(h).orElseThrow();
    log.add("launch digest: " + digest.hex());

    // Step 3: finish, optionally with an ID block and ID authentication.
    Bytes hostData = Bytes.copyOf(LaunchDigest.sha384(("host-data/" + o.seed()).getBytes(StandardCharsets.UTF_8)), 0, 32);
    if (o.idBlock()) {
      GuestOwnerKey idKey = GuestOwnerKey.derive(o.seed(), o.knobs().idKeyLabel());
      GuestOwnerKey authorKey = GuestOwnerKey.derive(o.seed(), o.knobs().authorKeyLabel());
      IdBlock block = IdBlock.of(digest, Bytes.fromHex("01".repeat(16)), Bytes.fromHex("02".repeat(16)), 1, policy);
      byte[] auth = IdAuthInfo.sign(block, idKey, Optional.of(authorKey));
      check("SNP_LAUNCH_FINISH with ID block (ID key " + idKey.digest().hex().substring(0, 16) + "…, author key "
          + authorKey.digest().hex().substring(0, 16) + "…)",
          fw.launchFinish(h, Optional.of(block.toBytes()), Optional.of(auth), true, hostData), log);
    } else {
      check("SNP_LAUNCH_FINISH without ID block", fw.launchFinish(h, Optional.empty(), Optional.empty(), false, hostData), log);
    }

    // Step 4: the hypervisor assigns more guest pages; the guest validates them.
    for (long gpa = 0x5000; gpa <= 0x7000; gpa += 0x1000) {
      ensurePrivate(memory, gpa, log);
      int rax = fw.rmpUpdate(h, gpa, PageSize.SIZE_4K, true);
      expectRax("RMPUPDATE assign gpa=0x" + Long.toHexString(gpa), rax, log);
      pvalidate(fw, h, gpa, PageSize.SIZE_4K, true, Rmp.PvalidateResult.SUCCESS, log);
    }
    pvalidate(fw, h, 0x0, PageSize.SIZE_4K, true, Rmp.PvalidateResult.NO_UPDATE, log);

    // Step 5: to shared — one page by MSR protocol, two by descriptor (one entry per exit).
    pvalidate(fw, h, 0x5000, PageSize.SIZE_4K, false, Rmp.PvalidateResult.SUCCESS, log);
    GhcbPageStateChange psc1 = new GhcbPageStateChange(fw, h, 1, log::add);
    long resp = psc1.msrProtocol(GhcbPageStateChange.msrRequest(0x5000, PscDescriptor.OP_SHARED));
    log.add(String.format("GHCB MSR PSC gpa=0x5000 -> shared: response 0x%016x", resp));
    if (GhcbPageStateChange.msrError(resp) != 0) {
      throw new EmulationException("MSR page state change failed: " + Long.toHexString(resp));
    }
    for (long gpa = 0x6000; gpa <= 0x7000; gpa += 0x1000) {
      pvalidate(fw, h, gpa, PageSize.SIZE_4K, false, Rmp.PvalidateResult.SUCCESS, log);
    }
    List<Long> toShared = new ArrayList<>(List.of(
        PscDescriptor.entry(0, 0x6, PscDescriptor.OP_SHARED, PageSize.SIZE_4K),
        PscDescriptor.entry(0, 0x7, PscDescriptor.OP_SHARED, PageSize.SIZE_4K)));
    boolean big = memory.size() >= 4L * 1024 * 1024;
    if (big) {
      for (long gpa = 0x200000; gpa < 0x400000; gpa += 0x1000) {
        ensurePrivateQuiet(memory, gpa);
      }
      expectRax("RMPUPDATE assign 2M gpa=0x200000", fw.rmpUpdate(h, 0x200000, PageSize.SIZE_2M, true), log);
      pvalidate(fw, h, 0x200000, PageSize.SIZE_2M, true, Rmp.PvalidateResult.SUCCESS, log);
      pvalidate(fw, h, 0x201000, PageSize.SIZE_4K, true, Rmp.PvalidateResult.FAIL_SIZEMISMATCH, log);
      pvalidate(fw, h, 0x200000, PageSize.SIZE_2M, false, Rmp.PvalidateResult.SUCCESS, log);
      toShared.add(PscDescriptor.entry(0, 0x200, PscDescriptor.OP_SHARED, PageSize.SIZE_2M));
    }
    runDescriptor(psc1, PscDescriptor.of(toShared), log);
    logState(fw, h, memory, log);

    // Step 6: back to private in one exit, then validate again.
    List<Long> toPrivate = new ArrayList<>(List.of(
        PscDescriptor.entry(0, 0x5, PscDescriptor.OP_PRIVATE, PageSize.SIZE_4K),
        PscDescriptor.entry(0, 0x6, PscDescriptor.OP_PRIVATE, PageSize.SIZE_4K),
        PscDescriptor.entry(0, 0x7, PscDescriptor.OP_PRIVATE, PageSize.SIZE_4K)));
    if (big) {
      toPrivate.add(PscDescriptor.entry(0, 0x200, PscDescriptor.OP_PRIVATE, PageSize.SIZE_2M));
    }
    runDescriptor(new GhcbPageStateChange(fw, h, PscDescriptor.MAX_ENTRIES, log::add), PscDescriptor.of(toPrivate), log);
    for (long gpa = 0x5000; gpa <= 0x7000; gpa += 0x1000) {
      pvalidate(fw, h, gpa, PageSize.SIZE_4K, true, Rmp.PvalidateResult.SUCCESS, log);
    }
    if (big) {
      pvalidate(fw, h, 0x200000, PageSize.SIZE_2M, true, Rmp.PvalidateResult.SUCCESS, log);
    }
    logState(fw, h, memory, log);

    // Step 7: the report.
    byte[] rd = new byte[64];
    o.reportData().copyTo(rd, 0);
    SnpFirmware.KeySelect sel = o.signer() == Signer.VLEK ? SnpFirmware.KeySelect.VLEK : SnpFirmware.KeySelect.VCEK;
    SnpFirmware.ReportResult rr = fw.reportRequest(h, Bytes.copyOf(rd), o.vmpl(), sel);
    check("MSG_REPORT_REQ vmpl=" + o.vmpl() + " key=" + sel, rr.status(), log);
    AttestationReport report = rr.report().orElseThrow();
    log.add("report: " + report);

    return new Result(report, writeFiles(o, kds, fc, report, log), log);
  }

  private static List<String> writeFiles(Options o, EmulatedKds kds, SnpFirmware.Config fc, AttestationReport report,
      List<String> log) throws IOException {
    Path out = o.outDir();
    Files.createDirectories(out);
    List<String> files = new ArrayList<>();
    Files.write(out.resolve("report.bin"), report.toBytes());
    files.add("report.bin");

    EmulatedKds.VekRequest vcekReq = EmulatedKds.VekRequest.vcek(o.product(), fc.hwId(), fc.reportedTcb());
    if (o.vekValidity().isPresent()) {
      vcekReq = vcekReq.withValidity(o.vekValidity().get());
    }
    if (o.certifiedHwIdOverride().isPresent()) {
      vcekReq = vcekReq.withCertifiedHwId(o.certifiedHwIdOverride().get());
    }
    EmulatedKds.IssuedVek vcek = kds.issue(vcekReq, fc.hwId(), fc.reportedTcb());

    Map<UUID, Bytes> table = new LinkedHashMap<>();
    if (o.signer() == Signer.VLEK) {
      EmulatedKds.VekRequest vlekReq = EmulatedKds.VekRequest.vlek(o.product(), fc.reportedTcb(), EMULATED_CSP_ID);
      if (o.vekValidity().isPresent()) {
        vlekReq = vlekReq.withValidity(o.vekValidity().get());
      }
      EmulatedKds.IssuedVek vlek = kds.issue(vlekReq);
      Files.write(out.resolve("vlek.der"), vlek.certificate().toByteArray());
      files.add("vlek.der");
      table.put(CertTable.VLEK_GUID, vlek.certificate());
      table.put(CertTable.ASK_GUID, kds.asvk());
    } else {
      table.put(CertTable.VCEK_GUID, vcek.certificate());
      table.put(CertTable.ASK_GUID, kds.ask());
    }
    table.put(CertTable.ARK_GUID, kds.ark());
    Files.write(out.resolve("certs.bin"), CertTable.of(table).toBytes());
    files.add("certs.bin");

    for (String f : kds.writeKdsDirectory(out.resolve("kds"), List.of(vcek))) {
      files.add("kds/" + f);
    }
    Path roots = out.resolve("roots");
    Files.createDirectories(roots);
    byte[] ark = kds.ark().toByteArray();
    Files.writeString(roots.resolve("ark.pem"), Pem.certificate(ark), StandardCharsets.US_ASCII);
    Files.write(roots.resolve("ark.der"), ark);
    Files.writeString(roots.resolve("ark.der.sha256"), sha256Hex(ark) + "\n", StandardCharsets.US_ASCII);
    files.add("roots/ark.pem");
    files.add("roots/ark.der");
    files.add("roots/ark.der.sha256");
    log.add("wrote " + (files.size() + 1) + " files under " + out);
    Files.writeString(out.resolve("emulation.log"), String.join("\n", log) + "\n", StandardCharsets.UTF_8);
    files.add("emulation.log");
    return files;
  }

  static String sha256Hex(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A deterministic 4 KiB page (stand-in for firmware image and VMSA contents). */
  static byte[] page(long seed, String label) {
    byte[] p = new byte[4096];
    new DeterministicRandom(seed, "page/" + label).nextBytes(p);
    return p;
  }

  private static void check(String what, SnpFirmwareStatus s, List<String> log) throws EmulationException {
    log.add(what + ": " + s);
    if (!s.isSuccess()) {
      throw new EmulationException(what + " failed: " + s);
    }
  }

  private static void expectRax(String what, int rax, List<String> log) throws EmulationException {
    log.add(what + ": RAX=" + rax);
    if (rax != Rmp.SUCCESS) {
      throw new EmulationException(what + " failed with RAX=" + rax);
    }
  }

  private static void pvalidate(SnpFirmware fw, int h, long gpa, PageSize size, boolean validate,
      Rmp.PvalidateResult expected, List<String> log) throws EmulationException {
    Rmp.PvalidateResult r = fw.pvalidate(h, gpa, size, validate);
    log.add(String.format("PVALIDATE gpa=0x%x %s %s: %s (RAX=%d, CF=%d)", gpa, size, validate ? "validate" : "rescind",
        r, r.rax(), r.carryFlag() ? 1 : 0));
    if (r != expected) {
      throw new EmulationException("PVALIDATE gpa=0x" + Long.toHexString(gpa) + " gave " + r + ", expected " + expected);
    }
  }

  private static void runDescriptor(GhcbPageStateChange psc, PscDescriptor d, List<String> log)
      throws EmulationException {
    int exits = 0;
    PscDescriptor cur = d;
    while (cur.curEntry() <= cur.endEntry()) {
      GhcbPageStateChange.PscResult r = psc.descriptor(cur);
      exits++;
      log.add(String.format("PSC NAE exit %d: cur_entry %d -> %d of end_entry %d, SW_EXITINFO2=0x%x", exits,
          cur.curEntry(), r.descriptor().curEntry(), cur.endEntry(), r.swExitInfo2()));
      if (r.swExitInfo2() != 0) {
        throw new EmulationException(String.format("PSC descriptor failed: SW_EXITINFO2=0x%x", r.swExitInfo2()));
      }
      cur = r.descriptor();
    }
  }

  private static void ensurePrivate(ConvertibleMemory memory, long gpa, List<String> log) throws EmulationException {
    try {
      if (memory.stateAt(gpa) != PageState.PRIVATE) {
        memory.convert(List.of(new ByteRange(gpa, 4096)), PageState.PRIVATE);
        log.add(String.format("VMM: gpa=0x%x set private before use", gpa));
      }
    } catch (MemoryException e) {
      throw new EmulationException("cannot make gpa 0x" + Long.toHexString(gpa) + " private: " + e.reason(), e);
    }
  }

  private static void ensurePrivateQuiet(ConvertibleMemory memory, long gpa) throws EmulationException {
    ensurePrivate(memory, gpa, new ArrayList<>());
  }

  private static void logState(SnpFirmware fw, int h, ConvertibleMemory memory, List<String> log)
      throws EmulationException {
    StringBuilder sb = new StringBuilder("state:");
    try {
      for (long gpa = 0x5000; gpa <= 0x7000; gpa += 0x1000) {
        RmpEntry e = fw.rmpEntry(h, gpa).orElseThrow();
        sb.append(String.format(" 0x%x=%s/%s", gpa, memory.stateAt(gpa),
            e.assigned() ? (e.validated() ? "assigned+validated" : "assigned") : "hypervisor"));
      }
    } catch (MemoryException e) {
      throw new EmulationException("memory state query failed: " + e.reason(), e);
    }
    long[] counts = fw.rmpCounts(h);
    log.add(sb.append(String.format("; RMP %d pages assigned, %d validated", counts[0], counts[1])).toString());
  }
}
