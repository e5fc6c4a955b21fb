package io.guestmem.tdx.emu;

import io.guestmem.memory.ConvertibleMemory;
import io.guestmem.memory.MemoryException;
import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.Quote;
import io.guestmem.tdx.abi.TdAttributes;
import io.guestmem.tdx.abi.TdReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * Library entry point behind {@code guestmem emulate tdx}: runs a small TD lifecycle on a guest
 * memory (a lease), quotes it, and writes the quote with Intel-format collateral.
 *
 * <h2>What {@link #run} does, in order</h2>
 *
 * <ol>
 *   <li>TDH.MNG.CREATE/INIT on {@code memory} (TD_ATTRIBUTES: SEPT_VE_DISABLE, plus DEBUG if the
 *       knob asks), GPAW 48.
 *   <li>TDH.MEM.PAGE.ADD of 4 seed-derived pages at GPA 0x0–0x3000, TDH.MR.EXTEND of all their
 *       256-byte chunks, TDH.MR.FINALIZE (MRTD).
 *   <li>TDG.MR.RTMR.EXTEND of RTMR0 and RTMR1 with SHA-384 of fixed event strings.
 *   <li>TDH.MEM.PAGE.AUG + TDG.MEM.PAGE.ACCEPT of GPA 0x8000; a second ACCEPT shows
 *       TDX_PAGE_ALREADY_ACCEPTED.
 *   <li>TDG.VP.VMCALL&lt;MapGPA&gt; of the upper half of memory (at most 8 MiB) to shared, in three
 *       chunks (two answered RETRY + next GPA), each a conversion on {@code memory}; then back to
 *       private, after which the pages are PENDING and the guest accepts each again.
 *   <li>TDG.MR.REPORT with the report data, quote v4 or v5 by the emulated QE, collateral by the
 *       emulated PCS, all written by {@link EmulatedEvidence#write} (file names there:
 *       {@code quote.bin}, {@code collateral/tcbinfo.json}, {@code
 *       collateral/tcbinfo.issuer-chain.pem}, {@code collateral/qeidentity.json}, {@code
 *       collateral/qeidentity.issuer-chain.pem}, {@code collateral/pckcrl.der}, {@code
 *       collateral/pckcrl.issuer-chain.pem}, {@code collateral/rootcrl.der}, {@code
 *       roots/emulated-sgx-root-ca.pem} and {@code .der}).
 * </ol>
 *
 * Output is byte-identical for the same seed, issue time, options and memory size. The memory
 * must be at least 128 KiB, page-aligned, start all PRIVATE (a new lease does) and lie below the
 * shared bit.
 */
public final class TdxEmulation {
  private TdxEmulation() {}

  /**
   * What to emulate.
   *
   * @param outDir where {@link EmulatedEvidence#write} puts the files
   * @param reportData the TD's 64-byte REPORTDATA
   * @param quoteVersion 4 (TD 1.0 body) or 5 (TD 1.5 body)
   * @param seed every key, serial and page content derives from it
   * @param issueTime issueDate of the collateral and thisUpdate of the CRLs; certificates are
   *     valid from one day before
   * @param knobs platform, PCS and tampering parameters
   */
  public record Options(Path outDir, Bytes reportData, int quoteVersion, long seed, Instant issueTime, EmulationKnobs knobs) {
    public Options {
      Objects.requireNonNull(outDir);
      if (reportData.length() != 64) {
        throw new IllegalArgumentException("REPORTDATA is 64 bytes");
      }
      if (quoteVersion != 4 && quoteVersion != 5) {
        throw new IllegalArgumentException("quote version must be 4 or 5");
      }
    }

    /** Zero REPORTDATA, quote v4, seed 0, issue time = today 00:00 UTC, default knobs. */
    public static Options defaults(Path outDir) {
      return new Options(outDir, Bytes.zeros(64), 4, 0, Instant.now().truncatedTo(ChronoUnit.DAYS), EmulationKnobs.defaults());
    }

    /** REPORTDATA from hex of at most 64 bytes, zero-padded on the right (the CLI's --report-data). */
    public static Bytes reportDataFromHex(String hex) {
      byte[] b = HexFormat.of().parseHex(hex);
      if (b.length > 64) {
        throw new IllegalArgumentException("REPORTDATA is at most 64 bytes, got " + b.length);
      }
      return Bytes.of(java.util.Arrays.copyOf(b, 64));
    }

    public Options withReportData(Bytes v) {
      return new Options(outDir, v, quoteVersion, seed, issueTime, knobs);
    }

    public Options withQuoteVersion(int v) {
      return new Options(outDir, reportData, v, seed, issueTime, knobs);
    }

    public Options withSeed(long v) {
      return new Options(outDir, reportData, quoteVersion, v, issueTime, knobs);
    }

    public Options withIssueTime(Instant v) {
      return new Options(outDir, reportData, quoteVersion, seed, v, knobs);
    }

    public Options withKnobs(EmulationKnobs v) {
      return new Options(outDir, reportData, quoteVersion, seed, issueTime, v);
    }
  }

  /** What happened: the human-readable log, the evidence, and the files written. */
  public record Result(List<String> log, EmulatedEvidence evidence, List<Path> files) {
    public Result {
      log = List.copyOf(log);
      files = List.copyOf(files);
    }
  }

  /** Runs the lifecycle on {@code memory}, generates the evidence and writes it to {@code options.outDir()}. */
  public static Result run(ConvertibleMemory memory, Options options) throws EmulationException, IOException {
    List<String> log = new ArrayList<>();
    EmulatedEvidence evidence = generate(memory, options, log);
    List<Path> files = evidence.write(options.outDir());
    for (Path f : files) {
      log.add("wrote " + f);
    }
    return new Result(log, evidence, files);
  }

  /** Runs the lifecycle and generates the evidence without writing files; appends to {@code log}. */
  public static EmulatedEvidence generate(ConvertibleMemory memory, Options options, List<String> log) throws EmulationException {
    long size = memory.size();
    if (size < 128 * 1024 || size % EmulatedTd.PAGE_SIZE != 0) {
      throw new IllegalArgumentException("guest memory must be page-aligned and at least 128 KiB, got " + size);
    }
    Seed seed = new Seed(options.seed());
    EmulationKnobs knobs = options.knobs();
    PlatformConfig pc = knobs.platform().orElse(PlatformConfig.defaults(seed));
    long region = Math.min(size / 2, 8L << 20) / EmulatedTd.PAGE_SIZE * EmulatedTd.PAGE_SIZE;
    long third = (region + 2) / 3;
    long chunk = (third + EmulatedTd.PAGE_SIZE - 1) / EmulatedTd.PAGE_SIZE * EmulatedTd.PAGE_SIZE;
    EmulatedTdxPlatform platform = new EmulatedTdxPlatform(seed, pc, chunk);
    log.add(String.format("platform: seed %d, TDX module %s (TEE_TCB_SVN %s), CPUSVN %s, MapGPA chunk %d KiB",
        options.seed(), pc.tdx15() ? "1.5" : "1.0", pc.teeTcbSvn().hex(), pc.cpuSvn().hex(), chunk / 1024));

    // 1. Create and initialise.
    EmulatedTd td = platform.createTd(memory);
    long attrs = TdAttributes.SEPT_VE_DISABLE | (knobs.debugTd() ? TdAttributes.DEBUG : 0);
    TdParams params = TdParams.defaults().withAttributes(TdAttributes.fromBits(attrs));
    expect(log, "TDH.MNG.INIT " + params.attributes(), td.init(params), TdxStatus.SUCCESS);

    // 2. Build: add and measure 4 pages.
    for (int i = 0; i < 4; i++) {
      long gpa = i * EmulatedTd.PAGE_SIZE;
      expect(log, String.format("TDH.MEM.PAGE.ADD gpa=0x%x", gpa), td.memPageAdd(gpa, seed.bytes("td-image-page-" + i, 4096)), TdxStatus.SUCCESS);
      for (int c = 0; c < EmulatedTd.PAGE_SIZE / EmulatedTd.MR_EXTEND_CHUNK; c++) {
        TdxStatus s = td.mrExtend(gpa + (long) c * EmulatedTd.MR_EXTEND_CHUNK);
        if (!s.isSuccess()) {
          throw failure(log, "TDH.MR.EXTEND", s);
        }
      }
      log.add(String.format("TDH.MR.EXTEND gpa=0x%x..0x%x (16 chunks of 256 B) -> TDX_SUCCESS", gpa, gpa + EmulatedTd.PAGE_SIZE - 1));
    }
    expect(log, "TDH.MR.FINALIZE", td.mrFinalize(), TdxStatus.SUCCESS);
    log.add("MRTD " + td.mrtd().orElseThrow().hex());

    // 3. Runtime measurements.
    expect(log, "TDG.MR.RTMR.EXTEND rtmr0", td.rtmrExtend(0, EmulatedTdxPlatform.sha384(utf8("guestmem emulated TD firmware")).toByteArray()), TdxStatus.SUCCESS);
    expect(log, "TDG.MR.RTMR.EXTEND rtmr1", td.rtmrExtend(1, EmulatedTdxPlatform.sha384(utf8("guestmem emulated TD kernel")).toByteArray()), TdxStatus.SUCCESS);
    log.add("RTMR0 " + td.rtmr(0).hex());

    // 4. AUG + ACCEPT.
    long aug = 0x8000;
    expect(log, String.format("TDH.MEM.PAGE.AUG gpa=0x%x", aug), td.memPageAug(aug), TdxStatus.SUCCESS);
    expect(log, String.format("guest touches gpa=0x%x before accepting", aug), td.guestAccess(aug), TdxStatus.EPT_ENTRY_STATE_INCORRECT);
    expect(log, String.format("TDG.MEM.PAGE.ACCEPT gpa=0x%x", aug), td.memPageAccept(aug), TdxStatus.SUCCESS);
    expect(log, String.format("TDG.MEM.PAGE.ACCEPT gpa=0x%x again", aug), td.memPageAccept(aug), TdxStatus.PAGE_ALREADY_ACCEPTED);

    // 5. MapGPA shared and back.
    long shared = params.sharedBit();
    long start = size / 2 / EmulatedTd.PAGE_SIZE * EmulatedTd.PAGE_SIZE;
    int calls = mapGpa(td, log, shared | start, region);
    log.add(String.format("lease offset 0x%x: %s", start, stateAt(memory, start)));
    expect(log, String.format("guest touches shared gpa=0x%x", shared | start), td.guestAccess(shared | start), TdxStatus.SUCCESS);
    calls += mapGpa(td, log, start, region);
    log.add(String.format("lease offset 0x%x: %s; Secure-EPT pending pages: %d", start, stateAt(memory, start), td.pagesIn(SeptState.PENDING)));
    for (long gpa = start; gpa < start + region; gpa += EmulatedTd.PAGE_SIZE) {
      TdxStatus s = td.memPageAccept(gpa);
      if (!s.isSuccess()) {
        throw failure(log, String.format("TDG.MEM.PAGE.ACCEPT gpa=0x%x", gpa), s);
      }
    }
    log.add(String.format("TDG.MEM.PAGE.ACCEPT of %d pages -> TDX_SUCCESS; MapGPA took %d calls", region / EmulatedTd.PAGE_SIZE, calls));
    log.add("Secure-EPT: " + td.septRuns());

    // 6. Report, quote, collateral.
    var rr = td.mrReport(options.reportData());
    if (!rr.status().isSuccess()) {
      throw failure(log, "TDG.MR.REPORT", rr.status());
    }
    TdReport report = rr.report().orElseThrow();
    log.add("TDG.MR.REPORT reportdata=" + options.reportData().hex() + " -> TDX_SUCCESS");
    EmulatedPki pki = new EmulatedPki(seed, options.issueTime(), knobs, pc);
    EmulatedQuotingEnclave qe = new EmulatedQuotingEnclave(seed, platform, pki, knobs);
    Quote quote = qe.quote(report, options.quoteVersion());
    log.add(String.format("quote v%d (%s body), %d bytes, FMSPC %s", quote.version(), quote.body().kind(), quote.raw().length(), knobs.fmspc().hex()));
    EmulatedPcs pcs = new EmulatedPcs(seed, pki, pc, qe, knobs, options.issueTime());
    log.add("collateral issued " + options.issueTime().truncatedTo(ChronoUnit.SECONDS) + ", valid " + knobs.collateralValidity().toDays() + " days");
    return new EmulatedEvidence(
        quote, report, pcs.tcbInfoResponse(), pcs.qeIdentityResponse(), List.of(pki.tcbSigning(), pki.root()), pki.pckCrl(),
        List.of(pki.platformCa(), pki.root()), pki.rootCrl(), pki.root());
  }

  /** The guest's MapGPA loop: call, and on RETRY call again from the returned GPA. */
  private static int mapGpa(EmulatedTd td, List<String> log, long gpa, long size) throws EmulationException {
    long end = gpa + size;
    long at = gpa;
    int calls = 0;
    while (true) {
      MapGpaResult r = td.mapGpa(at, end - at);
      calls++;
      log.add(String.format("TDG.VP.VMCALL<MapGPA> gpa=0x%x size=0x%x -> %s%s", at, end - at, r.status(),
          r.retry() ? String.format(" next=0x%x", r.nextGpa()) : ""));
      if (r.retry()) {
        at = r.nextGpa();
        continue;
      }
      if (!r.status().isSuccess()) {
        throw new EmulationException("MapGPA failed: " + r.status() + r.memoryFailure().map(m -> " (" + m + ")").orElse(""), log);
      }
      return calls;
    }
  }

  private static String stateAt(ConvertibleMemory memory, long offset) {
    try {
      return memory.stateAt(offset).toString();
    } catch (MemoryException e) {
      return "unreadable (" + e.reason() + ")";
    }
  }

  private static void expect(List<String> log, String what, TdxStatus actual, TdxStatus expected) throws EmulationException {
    log.add(what + " -> " + actual);
    if (!actual.equals(expected)) {
      throw new EmulationException(what + " returned " + actual + ", expected " + expected, log);
    }
  }

  private static EmulationException failure(List<String> log, String what, TdxStatus s) {
    log.add(what + " -> " + s);
    return new EmulationException(what + " returned " + s, log);
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
