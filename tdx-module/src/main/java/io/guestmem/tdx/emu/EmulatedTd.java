package io.guestmem.tdx.emu;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.ConvertibleMemory;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.PageState;
import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.TdReport;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One emulated trust domain as the TDX module sees it: its build state, measurements (MRTD,
 * RTMRs), Secure-EPT, and its private memory, which is a {@link ConvertibleMemory} (a lease).
 *
 * <h2>Model</h2>
 *
 * The TDX module owns the TD's measurements and the Secure-EPT; the VMM owns the memory. Host
 * calls (TDH.*) and guest calls (TDG.*) arrive here; each one checks the TD's state and the
 * Secure-EPT entry first and, if anything is wrong, returns a TDX status and changes nothing
 * (guards first, then mutation). MRTD is one running SHA-384 started by TDH.MNG.INIT, fed
 * 128-byte records by TDH.MEM.PAGE.ADD and TDH.MR.EXTEND (Intel TDX Module base architecture
 * spec, "MRTD: Build-Time Measurement Register"), and closed by TDH.MR.FINALIZE:
 *
 * <pre>
 * MEM.PAGE.ADD record (128 B): "MEM.PAGE.ADD" (12 ASCII bytes) | 4 zero | GPA (u64 LE) | 104 zero
 * MR.EXTEND    record (128 B): "MR.EXTEND"    (9 ASCII bytes)  | 7 zero | GPA (u64 LE) | 104 zero,
 *                              followed by the 256 measured bytes (two more 128-byte blocks)
 * RTMR[i] := SHA-384(RTMR[i] ‖ 48-byte extension)
 * </pre>
 *
 * TDG.VP.VMCALL&lt;MapGPA&gt; is the guest asking the VMM to convert a GPA range; the emulator plays
 * the VMM's part: it converts one chunk at a time through {@link ConvertibleMemory#convert},
 * updates the Secure-EPT only after the conversion succeeded, and answers RETRY with the next GPA
 * until the range is done. Pages converted back to private come back PENDING (the VMM AUGs
 * them) and must be accepted again.
 *
 * <h2>TD state transitions</h2>
 *
 * <pre>
 * call                     required TD state   Secure-EPT guard (per 4 KiB GPA)   effect                          wrong-state status
 * TDH.MNG.INIT(params)     CREATED             –                                   → INITIALIZED, MRTD started      TDX_TD_INITIALIZED / TDX_TD_FINALIZED
 * TDH.MEM.PAGE.ADD(gpa)    INITIALIZED         FREE, lease page PRIVATE            → MAPPED, MRTD += PAGE.ADD       TDX_TD_NOT_INITIALIZED / TDX_TD_FINALIZED / TDX_EPT_ENTRY_NOT_FREE
 * TDH.MR.EXTEND(gpa)       INITIALIZED         MAPPED (added at build)             MRTD += MR.EXTEND + 256 B        TDX_TD_FINALIZED / TDX_EPT_WALK_FAILED
 * TDH.MR.FINALIZE          INITIALIZED         –                                   → FINALIZED, MRTD fixed          TDX_TD_NOT_INITIALIZED / TDX_TD_FINALIZED
 * TDH.MEM.PAGE.AUG(gpa)    FINALIZED           FREE, lease page PRIVATE            → PENDING                        TDX_TD_NOT_FINALIZED / TDX_EPT_ENTRY_NOT_FREE
 * TDG.MEM.PAGE.ACCEPT(gpa) FINALIZED           PENDING                             → MAPPED                         TDX_PAGE_ALREADY_ACCEPTED (MAPPED) / TDX_EPT_WALK_FAILED (FREE) /
 *                                                                                                                   TDX_EPT_ENTRY_STATE_INCORRECT (blocked) / TDX_OPERAND_INVALID (shared GPA)
 * TDH.MEM.RANGE.BLOCK(gpa) FINALIZED           MAPPED or PENDING                   → BLOCKED / PENDING_BLOCKED      TDX_GPA_RANGE_ALREADY_BLOCKED / TDX_EPT_WALK_FAILED
 * TDH.MEM.PAGE.REMOVE(gpa) FINALIZED           BLOCKED or PENDING_BLOCKED          → FREE                           TDX_GPA_RANGE_NOT_BLOCKED
 * guest access(gpa)        FINALIZED           MAPPED (private) / lease SHARED     –                                TDX_EPT_ENTRY_STATE_INCORRECT (pending: #VE on hardware) / TDX_EPT_WALK_FAILED
 * TDG.MR.RTMR.EXTEND(i,d)  FINALIZED           –                                   RTMR[i] extended                 TDX_TD_NOT_FINALIZED / TDX_OPERAND_INVALID (i &gt; 3)
 * TDG.MR.REPORT(data)      FINALIZED           –                                   TDREPORT                         TDX_TD_NOT_FINALIZED
 * MapGPA(gpa, size)        FINALIZED           range below GPAW, not crossing the shared bit, 4 KiB aligned
 *                                              → to SHARED: pages leave the Secure-EPT (FREE); lease SHARED
 *                                              → to PRIVATE: FREE pages become PENDING; lease PRIVATE
 *                                              RETRY + next GPA after each chunk       VMCALL_INVALID_OPERAND / VMCALL_ALIGN_ERROR
 * </pre>
 *
 * Locking: every call is {@code synchronized} on the TD (one vCPU's view; calls are short).
 */
public final class EmulatedTd {
  public static final long PAGE_SIZE = 4096;
  public static final int MR_EXTEND_CHUNK = 256;

  /** The TD's lifecycle as far as the TDX module tracks it. */
  public enum State {
    CREATED,
    INITIALIZED,
    FINALIZED
  }

  private final EmulatedTdxPlatform platform;
  private final ConvertibleMemory memory;
  private final SeptMap sept = new SeptMap();
  // Guarded by this.
  private State state = State.CREATED;
  private TdParams params;
  private MessageDigest mrtdHash;
  private Bytes mrtd;
  private final byte[][] rtmr = new byte[4][48];
  private final Map<Long, byte[]> buildPages = new HashMap<>();

  EmulatedTd(EmulatedTdxPlatform platform, ConvertibleMemory memory) {
    this.platform = platform;
    this.memory = memory;
  }

  public synchronized State state() {
    return state;
  }

  public synchronized Optional<TdParams> params() {
    return Optional.ofNullable(params);
  }

  /** MRTD, once TDH.MR.FINALIZE has fixed it. */
  public synchronized Optional<Bytes> mrtd() {
    return Optional.ofNullable(mrtd);
  }

  public synchronized Bytes rtmr(int index) {
    return Bytes.of(rtmr[index]);
  }

  public synchronized SeptState septState(long gpa) {
    return sept.get(gpa / PAGE_SIZE);
  }

  /** Non-FREE Secure-EPT runs, for logs. */
  public synchronized List<String> septRuns() {
    return sept.describe();
  }

  public synchronized long pagesIn(SeptState s) {
    return sept.count(s);
  }

  public ConvertibleMemory memory() {
    return memory;
  }

  // ---- TD build (host) ----

  /** TDH.MNG.INIT: fixes the TD_PARAMS and starts MRTD. */
  public synchronized TdxStatus init(TdParams p) {
    if (state == State.INITIALIZED) {
      return TdxStatus.TD_INITIALIZED;
    }
    if (state == State.FINALIZED) {
      return TdxStatus.TD_FINALIZED;
    }
    if (memory.size() > p.sharedBit()) {
      return TdxStatus.OPERAND_INVALID;
    }
    params = p;
    mrtdHash = newSha384();
    state = State.INITIALIZED;
    return TdxStatus.SUCCESS;
  }

  /** TDH.MEM.PAGE.ADD: maps a 4 KiB page of initial content at {@code gpa} and measures its GPA. */
  public synchronized TdxStatus memPageAdd(long gpa, byte[] content) {
    TdxStatus s = buildStateGuard();
    if (!s.isSuccess()) {
      return s;
    }
    if (content.length != PAGE_SIZE) {
      return TdxStatus.OPERAND_INVALID;
    }
    s = privateGpaGuard(gpa);
    if (!s.isSuccess()) {
      return s;
    }
    if (sept.get(gpa / PAGE_SIZE) != SeptState.FREE) {
      return TdxStatus.EPT_ENTRY_NOT_FREE;
    }
    if (!leasePagePrivate(gpa)) {
      return TdxStatus.OPERAND_INVALID;
    }
    mrtdHash.update(record("MEM.PAGE.ADD", gpa));
    sept.set(gpa / PAGE_SIZE, gpa / PAGE_SIZE + 1, SeptState.MAPPED);
    buildPages.put(gpa, content.clone());
    return TdxStatus.SUCCESS;
  }

  /** TDH.MR.EXTEND: measures the 256-byte chunk at {@code gpa} of a page added at build time. */
  public synchronized TdxStatus mrExtend(long gpa) {
    TdxStatus s = buildStateGuard();
    if (!s.isSuccess()) {
      return s;
    }
    if (gpa < 0 || gpa % MR_EXTEND_CHUNK != 0 || (gpa & params.sharedBit()) != 0) {
      return TdxStatus.OPERAND_INVALID;
    }
    long page = gpa - gpa % PAGE_SIZE;
    byte[] content = buildPages.get(page);
    if (content == null || sept.get(page / PAGE_SIZE) != SeptState.MAPPED) {
      return TdxStatus.EPT_WALK_FAILED;
    }
    int off = (int) (gpa - page);
    mrtdHash.update(record("MR.EXTEND", gpa));
    mrtdHash.update(content, off, MR_EXTEND_CHUNK);
    return TdxStatus.SUCCESS;
  }

  /** TDH.MR.FINALIZE: fixes MRTD; the TD can run. */
  public synchronized TdxStatus mrFinalize() {
    TdxStatus s = buildStateGuard();
    if (!s.isSuccess()) {
      return s;
    }
    mrtd = Bytes.of(mrtdHash.digest());
    mrtdHash = null;
    buildPages.clear();
    state = State.FINALIZED;
    return TdxStatus.SUCCESS;
  }

  // ---- runtime private memory (host AUG / BLOCK / REMOVE, guest ACCEPT) ----

  /** TDH.MEM.PAGE.AUG: adds a PENDING page at {@code gpa} of a running TD. */
  public synchronized TdxStatus memPageAug(long gpa) {
    TdxStatus s = runtimeGuard();
    if (!s.isSuccess()) {
      return s;
    }
    s = privateGpaGuard(gpa);
    if (!s.isSuccess()) {
      return s;
    }
    if (sept.get(gpa / PAGE_SIZE) != SeptState.FREE) {
      return TdxStatus.EPT_ENTRY_NOT_FREE;
    }
    if (!leasePagePrivate(gpa)) {
      return TdxStatus.OPERAND_INVALID;
    }
    sept.set(gpa / PAGE_SIZE, gpa / PAGE_SIZE + 1, SeptState.PENDING);
    return TdxStatus.SUCCESS;
  }

  /** TDG.MEM.PAGE.ACCEPT (guest): PENDING → MAPPED. */
  public synchronized TdxStatus memPageAccept(long gpa) {
    TdxStatus s = runtimeGuard();
    if (!s.isSuccess()) {
      return s;
    }
    s = privateGpaGuard(gpa);
    if (!s.isSuccess()) {
      return s;
    }
    return switch (sept.get(gpa / PAGE_SIZE)) {
      case PENDING -> {
        sept.set(gpa / PAGE_SIZE, gpa / PAGE_SIZE + 1, SeptState.MAPPED);
        yield TdxStatus.SUCCESS;
      }
      case MAPPED -> TdxStatus.PAGE_ALREADY_ACCEPTED;
      case FREE -> TdxStatus.EPT_WALK_FAILED;
      case BLOCKED, PENDING_BLOCKED -> TdxStatus.EPT_ENTRY_STATE_INCORRECT;
    };
  }

  /** TDH.MEM.RANGE.BLOCK: blocks a mapped or pending page ahead of removal. */
  public synchronized TdxStatus memRangeBlock(long gpa) {
    TdxStatus s = runtimeGuard();
    if (!s.isSuccess()) {
      return s;
    }
    s = privateGpaGuard(gpa);
    if (!s.isSuccess()) {
      return s;
    }
    long p = gpa / PAGE_SIZE;
    return switch (sept.get(p)) {
      case MAPPED -> {
        sept.set(p, p + 1, SeptState.BLOCKED);
        yield TdxStatus.SUCCESS;
      }
      case PENDING -> {
        sept.set(p, p + 1, SeptState.PENDING_BLOCKED);
        yield TdxStatus.SUCCESS;
      }
      case BLOCKED, PENDING_BLOCKED -> TdxStatus.GPA_RANGE_ALREADY_BLOCKED;
      case FREE -> TdxStatus.EPT_WALK_FAILED;
    };
  }

  /** TDH.MEM.PAGE.REMOVE: removes a blocked page (→ FREE). */
  public synchronized TdxStatus memPageRemove(long gpa) {
    TdxStatus s = runtimeGuard();
    if (!s.isSuccess()) {
      return s;
    }
    s = privateGpaGuard(gpa);
    if (!s.isSuccess()) {
      return s;
    }
    long p = gpa / PAGE_SIZE;
    SeptState st = sept.get(p);
    if (st == SeptState.FREE) {
      return TdxStatus.EPT_WALK_FAILED;
    }
    if (st != SeptState.BLOCKED && st != SeptState.PENDING_BLOCKED) {
      return TdxStatus.GPA_RANGE_NOT_BLOCKED;
    }
    sept.set(p, p + 1, SeptState.FREE);
    return TdxStatus.SUCCESS;
  }

  /**
   * A guest load/store at {@code gpa}: succeeds on a MAPPED private page, or on a shared GPA whose
   * lease page is SHARED. Touching a PENDING (unaccepted) page is an EPT violation that hardware
   * reflects as #VE; the emulator reports it as TDX_EPT_ENTRY_STATE_INCORRECT.
   */
  public synchronized TdxStatus guestAccess(long gpa) {
    TdxStatus s = runtimeGuard();
    if (!s.isSuccess()) {
      return s;
    }
    long shared = params.sharedBit();
    long offset = gpa & ~shared;
    if (gpa < 0 || offset >= memory.size()) {
      return TdxStatus.OPERAND_ADDR_RANGE_ERROR;
    }
    if ((gpa & shared) != 0) {
      return leaseState(offset).filter(st -> st == PageState.SHARED).isPresent()
          ? TdxStatus.SUCCESS
          : TdxStatus.EPT_WALK_FAILED;
    }
    return switch (sept.get(offset / PAGE_SIZE)) {
      case MAPPED -> TdxStatus.SUCCESS;
      case PENDING, BLOCKED, PENDING_BLOCKED -> TdxStatus.EPT_ENTRY_STATE_INCORRECT;
      case FREE -> TdxStatus.EPT_WALK_FAILED;
    };
  }

  // ---- measurement and reporting (guest) ----

  /** TDG.MR.RTMR.EXTEND: RTMR[index] := SHA-384(RTMR[index] ‖ extension). */
  public synchronized TdxStatus rtmrExtend(int index, byte[] extension) {
    TdxStatus s = runtimeGuard();
    if (!s.isSuccess()) {
      return s;
    }
    if (index < 0 || index > 3 || extension.length != 48) {
      return TdxStatus.OPERAND_INVALID;
    }
    rtmr[index] = EmulatedTdxPlatform.sha384(rtmr[index], extension).toByteArray();
    return TdxStatus.SUCCESS;
  }

  /** TDG.MR.REPORT: a TDREPORT carrying {@code reportData} (64 bytes), MACed with the platform key. */
  public synchronized ReportResult mrReport(Bytes reportData) {
    TdxStatus s = runtimeGuard();
    if (!s.isSuccess()) {
      return new ReportResult(s, Optional.empty());
    }
    if (reportData.length() != 64) {
      return new ReportResult(TdxStatus.OPERAND_INVALID, Optional.empty());
    }
    PlatformConfig pc = platform.config();
    boolean tdx15 = pc.tdx15();
    TdReport.TeeTcbInfo tcb =
        new TdReport.TeeTcbInfo(
            Bytes.of(validBits(tdx15)),
            pc.teeTcbSvn(),
            pc.mrSeam(),
            pc.mrSignerSeam(),
            pc.seamAttributes(),
            tdx15 ? pc.teeTcbSvn2() : Bytes.zeros(16),
            Bytes.zeros(95));
    List<Bytes> rtmrs = new ArrayList<>();
    for (byte[] r : rtmr) {
      rtmrs.add(Bytes.of(r));
    }
    TdReport.TdInfo info =
        new TdReport.TdInfo(
            params.attributes(), params.xfam(), mrtd, params.mrConfigId(), params.mrOwner(), params.mrOwnerConfig(), rtmrs,
            Bytes.zeros(48), Bytes.zeros(64));
    TdReport.ReportMac unsigned =
        new TdReport.ReportMac(
            TdReport.REPORT_TYPE_TDX, 0, tdx15 ? 1 : 0, 0, Bytes.zeros(12), pc.cpuSvn(),
            EmulatedTdxPlatform.sha384(tcb.toBytes()), EmulatedTdxPlatform.sha384(info.toBytes()),
            reportData, Bytes.zeros(32), Bytes.zeros(32));
    TdReport.ReportMac mac =
        new TdReport.ReportMac(
            unsigned.reportType(), unsigned.reportSubType(), unsigned.reportVersion(), unsigned.reportTypeReserved(),
            unsigned.reserved1(), unsigned.cpuSvn(), unsigned.teeTcbInfoHash(), unsigned.teeInfoHash(),
            unsigned.reportData(), unsigned.reserved2(), Bytes.of(platform.mac(unsigned.macedBytes())));
    return new ReportResult(TdxStatus.SUCCESS, Optional.of(new TdReport(mac, tcb, Bytes.zeros(17), info)));
  }

  /**
   * TEE_TCB_INFO.VALID: bit i set means the 8-byte granule at offset 8·i is valid; TEE_TCB_SVN,
   * MRSEAM, MRSIGNERSEAM and ATTRIBUTES (bytes 8..127) always, TEE_TCB_SVN2 (128..143) on TDX 1.5.
   */
  private static byte[] validBits(boolean tdx15) {
    long bits = 0;
    for (int i = 1; i < 16; i++) {
      bits |= 1L << i;
    }
    if (tdx15) {
      bits |= 1L << 16 | 1L << 17;
    }
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(bits).array();
  }

  // ---- MapGPA (guest → VMM, played by the emulator) ----

  /**
   * TDG.VP.VMCALL&lt;MapGPA&gt;(gpa, size): converts the range to shared if {@code gpa} carries the
   * shared bit, else to private. Processes one chunk of at most the platform's MapGPA chunk size
   * per call; answers RETRY with the next GPA until the whole range is done.
   */
  public synchronized MapGpaResult mapGpa(long gpa, long size) {
    if (state != State.FINALIZED) {
      return MapGpaResult.of(TdxStatus.VMCALL_INVALID_OPERAND, gpa);
    }
    if (gpa % PAGE_SIZE != 0 || size % PAGE_SIZE != 0) {
      return MapGpaResult.of(TdxStatus.VMCALL_ALIGN_ERROR, gpa);
    }
    long shared = params.sharedBit();
    long gpaLimit = 1L << params.gpaw();
    if (gpa < 0 || size <= 0 || size > gpaLimit || gpa > gpaLimit - size) {
      return MapGpaResult.of(TdxStatus.VMCALL_INVALID_OPERAND, gpa);
    }
    long end = gpa + size;
    boolean toShared = (gpa & shared) != 0;
    if (((end - 1) & shared) != (gpa & shared)) {
      return MapGpaResult.of(TdxStatus.VMCALL_INVALID_OPERAND, gpa);
    }
    long offset = gpa & ~shared;
    if (offset + size > memory.size()) {
      return MapGpaResult.of(TdxStatus.VMCALL_INVALID_OPERAND, gpa);
    }
    long chunk = Math.min(size, platform.mapGpaChunkBytes());
    try {
      memory.convert(List.of(new ByteRange(offset, chunk)), toShared ? PageState.SHARED : PageState.PRIVATE);
    } catch (MemoryException e) {
      return new MapGpaResult(TdxStatus.VMCALL_INVALID_OPERAND, gpa, Optional.of(e.reason()));
    }
    long fromPage = offset / PAGE_SIZE;
    long toPage = (offset + chunk) / PAGE_SIZE;
    if (toShared) {
      sept.set(fromPage, toPage, SeptState.FREE);
    } else {
      augFreePages(fromPage, toPage);
    }
    if (chunk < size) {
      return MapGpaResult.of(TdxStatus.VMCALL_RETRY, gpa + chunk);
    }
    return MapGpaResult.of(TdxStatus.VMCALL_SUCCESS, end);
  }

  /** The VMM AUGs every FREE page of {@code [from, to)}; MAPPED/PENDING pages stay as they are. */
  private void augFreePages(long from, long to) {
    long p = from;
    while (p < to) {
      if (sept.get(p) != SeptState.FREE) {
        p++;
        continue;
      }
      long q = p;
      while (q < to && sept.get(q) == SeptState.FREE) {
        q++;
      }
      sept.set(p, q, SeptState.PENDING);
      p = q;
    }
  }

  // ---- guards ----

  private TdxStatus buildStateGuard() {
    return switch (state) {
      case CREATED -> TdxStatus.TD_NOT_INITIALIZED;
      case INITIALIZED -> TdxStatus.SUCCESS;
      case FINALIZED -> TdxStatus.TD_FINALIZED;
    };
  }

  private TdxStatus runtimeGuard() {
    return state == State.FINALIZED ? TdxStatus.SUCCESS : TdxStatus.TD_NOT_FINALIZED;
  }

  private TdxStatus privateGpaGuard(long gpa) {
    if (gpa < 0 || gpa % PAGE_SIZE != 0 || (gpa & params.sharedBit()) != 0) {
      return TdxStatus.OPERAND_INVALID;
    }
    if (gpa >= memory.size()) {
      return TdxStatus.OPERAND_ADDR_RANGE_ERROR;
    }
    return TdxStatus.SUCCESS;
  }

  private boolean leasePagePrivate(long offset) {
    return leaseState(offset).filter(s -> s == PageState.PRIVATE).isPresent();
  }

  private Optional<PageState> leaseState(long offset) {
    try {
      return Optional.of(memory.stateAt(offset));
    } catch (MemoryException e) {
      return Optional.empty();
    }
  }

  static byte[] record(String op, long gpa) {
    byte[] r = new byte[128];
    byte[] name = op.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(name, 0, r, 0, name.length);
    ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN).putLong(16, gpa);
    return r;
  }

  private static MessageDigest newSha384() {
    try {
      return MessageDigest.getInstance("SHA-384");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-384 unavailable", e);
    }
  }

  @Override
  public synchronized String toString() {
    return "EmulatedTd{" + state + ", sept=" + Arrays.toString(sept.describe().toArray()) + "}";
  }
}
