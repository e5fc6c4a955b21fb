package io.guestmem.tdx.emu;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.PageState;
import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.TdAttributes;
import io.guestmem.tdx.abi.TdReport;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class EmulatedTdTest {
  private static final long MiB = 1L << 20;
  private final Seed seed = new Seed(7);
  private final EmulatedTdxPlatform platform = new EmulatedTdxPlatform(seed, PlatformConfig.defaults(seed), 2 * MiB);
  private final RecordingMemory memory = new RecordingMemory(16 * MiB);

  private static byte[] page(int fill) {
    byte[] p = new byte[4096];
    for (int i = 0; i < p.length; i++) {
      p[i] = (byte) (fill + i);
    }
    return p;
  }

  /** A 128-byte MRTD record written out by hand: ASCII name, zeros, GPA little-endian at 16. */
  private static byte[] handRecord(String name, long gpa) {
    byte[] r = new byte[128];
    for (int i = 0; i < name.length(); i++) {
      r[i] = (byte) name.charAt(i);
    }
    for (int i = 0; i < 8; i++) {
      r[16 + i] = (byte) (gpa >>> (8 * i));
    }
    return r;
  }

  private EmulatedTd finalizedTd() {
    EmulatedTd td = platform.createTd(memory);
    assertThat(td.init(TdParams.defaults())).isEqualTo(TdxStatus.SUCCESS);
    assertThat(td.memPageAdd(0, page(1))).isEqualTo(TdxStatus.SUCCESS);
    assertThat(td.mrFinalize()).isEqualTo(TdxStatus.SUCCESS);
    return td;
  }

  @Test
  void emptyTd_mrtdIsSha384OfNothing() {
    EmulatedTd td = platform.createTd(memory);
    td.init(TdParams.defaults());
    td.mrFinalize();
    assertThat(td.mrtd().orElseThrow().hex())
        .isEqualTo("38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b");
  }

  @Test
  void mrtd_followsPageAddAndMrExtendRecords_handComputed() throws Exception {
    EmulatedTd td = platform.createTd(memory);
    td.init(TdParams.defaults());
    byte[] a = page(0x10);
    byte[] b = page(0x80);
    assertThat(td.memPageAdd(0x1000, a)).isEqualTo(TdxStatus.SUCCESS);
    for (int c = 0; c < 16; c++) {
      assertThat(td.mrExtend(0x1000 + 256L * c)).isEqualTo(TdxStatus.SUCCESS);
    }
    assertThat(td.memPageAdd(0x3000, b)).isEqualTo(TdxStatus.SUCCESS);
    assertThat(td.mrExtend(0x3000 + 256L * 5)).isEqualTo(TdxStatus.SUCCESS);
    assertThat(td.mrFinalize()).isEqualTo(TdxStatus.SUCCESS);

    MessageDigest h = MessageDigest.getInstance("SHA-384");
    h.update(handRecord("MEM.PAGE.ADD", 0x1000));
    for (int c = 0; c < 16; c++) {
      h.update(handRecord("MR.EXTEND", 0x1000 + 256L * c));
      h.update(a, 256 * c, 256);
    }
    h.update(handRecord("MEM.PAGE.ADD", 0x3000));
    h.update(handRecord("MR.EXTEND", 0x3000 + 256L * 5));
    h.update(b, 256 * 5, 256);
    assertThat(td.mrtd().orElseThrow().toByteArray()).isEqualTo(h.digest());
  }

  @Test
  void rtmrExtend_chainsSha384OverOldValueAndExtension() throws Exception {
    EmulatedTd td = finalizedTd();
    byte[] e1 = new byte[48];
    byte[] e2 = new byte[48];
    java.util.Arrays.fill(e1, (byte) 0xaa);
    java.util.Arrays.fill(e2, (byte) 0x55);
    assertThat(td.rtmrExtend(2, e1)).isEqualTo(TdxStatus.SUCCESS);
    assertThat(td.rtmrExtend(2, e2)).isEqualTo(TdxStatus.SUCCESS);
    MessageDigest h = MessageDigest.getInstance("SHA-384");
    h.update(new byte[48]);
    h.update(e1);
    byte[] r1 = h.digest();
    h.update(r1);
    h.update(e2);
    assertThat(td.rtmr(2).toByteArray()).isEqualTo(h.digest());
    assertThat(td.rtmr(0).isAllZero()).isTrue();
    assertThat(td.rtmrExtend(4, e1)).isEqualTo(TdxStatus.OPERAND_INVALID);
  }

  /** Everything observable about a TD, to prove that failed calls change nothing. */
  private static String snapshot(EmulatedTd td) {
    StringBuilder sb = new StringBuilder(td.state().toString());
    sb.append(td.septRuns()).append(td.mrtd());
    for (int i = 0; i < 4; i++) {
      sb.append(td.rtmr(i));
    }
    return sb.toString();
  }

  static Stream<Arguments> wrongStateCalls() {
    byte[] p = page(3);
    byte[] ext = new byte[48];
    return Stream.of(
        Arguments.of("PAGE.ADD before INIT", 0, (Function<EmulatedTd, TdxStatus>) td -> td.memPageAdd(0x2000, p), TdxStatus.TD_NOT_INITIALIZED),
        Arguments.of("MR.FINALIZE before INIT", 0, (Function<EmulatedTd, TdxStatus>) EmulatedTd::mrFinalize, TdxStatus.TD_NOT_INITIALIZED),
        Arguments.of("INIT twice", 1, (Function<EmulatedTd, TdxStatus>) td -> td.init(TdParams.defaults()), TdxStatus.TD_INITIALIZED),
        Arguments.of("AUG before FINALIZE", 1, (Function<EmulatedTd, TdxStatus>) td -> td.memPageAug(0x2000), TdxStatus.TD_NOT_FINALIZED),
        Arguments.of("ACCEPT before FINALIZE", 1, (Function<EmulatedTd, TdxStatus>) td -> td.memPageAccept(0x2000), TdxStatus.TD_NOT_FINALIZED),
        Arguments.of("RTMR.EXTEND before FINALIZE", 1, (Function<EmulatedTd, TdxStatus>) td -> td.rtmrExtend(0, ext), TdxStatus.TD_NOT_FINALIZED),
        Arguments.of("PAGE.ADD twice at one GPA", 1, (Function<EmulatedTd, TdxStatus>) td -> td.memPageAdd(0, p), TdxStatus.EPT_ENTRY_NOT_FREE),
        Arguments.of("MR.EXTEND of a page never added", 1, (Function<EmulatedTd, TdxStatus>) td -> td.mrExtend(0x5000), TdxStatus.EPT_WALK_FAILED),
        Arguments.of("MR.EXTEND unaligned", 1, (Function<EmulatedTd, TdxStatus>) td -> td.mrExtend(0x10), TdxStatus.OPERAND_INVALID),
        Arguments.of("PAGE.ADD after FINALIZE", 2, (Function<EmulatedTd, TdxStatus>) td -> td.memPageAdd(0x2000, p), TdxStatus.TD_FINALIZED),
        Arguments.of("MR.EXTEND after FINALIZE", 2, (Function<EmulatedTd, TdxStatus>) td -> td.mrExtend(0), TdxStatus.TD_FINALIZED),
        Arguments.of("MR.FINALIZE twice", 2, (Function<EmulatedTd, TdxStatus>) EmulatedTd::mrFinalize, TdxStatus.TD_FINALIZED),
        Arguments.of("INIT after FINALIZE", 2, (Function<EmulatedTd, TdxStatus>) td -> td.init(TdParams.defaults()), TdxStatus.TD_FINALIZED),
        Arguments.of("AUG of a mapped page", 2, (Function<EmulatedTd, TdxStatus>) td -> td.memPageAug(0), TdxStatus.EPT_ENTRY_NOT_FREE),
        Arguments.of("ACCEPT of a build-time page", 2, (Function<EmulatedTd, TdxStatus>) td -> td.memPageAccept(0), TdxStatus.PAGE_ALREADY_ACCEPTED),
        Arguments.of("ACCEPT without AUG", 2, (Function<EmulatedTd, TdxStatus>) td -> td.memPageAccept(0x2000), TdxStatus.EPT_WALK_FAILED),
        Arguments.of("ACCEPT of a shared GPA", 2, (Function<EmulatedTd, TdxStatus>) td -> td.memPageAccept((1L << 47) | 0x2000), TdxStatus.OPERAND_INVALID),
        Arguments.of("ACCEPT unaligned", 2, (Function<EmulatedTd, TdxStatus>) td -> td.memPageAccept(0x2001), TdxStatus.OPERAND_INVALID),
        Arguments.of("ACCEPT beyond the TD's memory", 2, (Function<EmulatedTd, TdxStatus>) td -> td.memPageAccept(64 * MiB), TdxStatus.OPERAND_ADDR_RANGE_ERROR),
        Arguments.of("REMOVE without BLOCK", 2, (Function<EmulatedTd, TdxStatus>) td -> td.memPageRemove(0), TdxStatus.GPA_RANGE_NOT_BLOCKED),
        Arguments.of("BLOCK of a free page", 2, (Function<EmulatedTd, TdxStatus>) td -> td.memRangeBlock(0x7000), TdxStatus.EPT_WALK_FAILED),
        Arguments.of("touch of an unmapped page", 2, (Function<EmulatedTd, TdxStatus>) td -> td.guestAccess(0x7000), TdxStatus.EPT_WALK_FAILED),
        Arguments.of("touch of a shared GPA still private in the lease", 2, (Function<EmulatedTd, TdxStatus>) td -> td.guestAccess((1L << 47) | 0x7000), TdxStatus.EPT_WALK_FAILED));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("wrongStateCalls")
  void callInTheWrongState_returnsTdxStatus_andChangesNothing(
      String name, int stage, Function<EmulatedTd, TdxStatus> call, TdxStatus expected) {
    EmulatedTd td = platform.createTd(memory);
    if (stage >= 1) {
      td.init(TdParams.defaults());
      td.memPageAdd(0, page(1));
    }
    if (stage >= 2) {
      td.mrFinalize();
    }
    String before = snapshot(td);
    int conversions = memory.conversions.size();
    assertThat(call.apply(td)).isEqualTo(expected);
    assertThat(snapshot(td)).isEqualTo(before);
    assertThat(memory.conversions).hasSize(conversions);
  }

  @Test
  void augThenAccept_mapsThePage_andAcceptingTwiceIsAWarning() {
    EmulatedTd td = finalizedTd();
    assertThat(td.memPageAug(0x4000)).isEqualTo(TdxStatus.SUCCESS);
    assertThat(td.septState(0x4000)).isEqualTo(SeptState.PENDING);
    assertThat(td.guestAccess(0x4000)).as("touching an unaccepted page").isEqualTo(TdxStatus.EPT_ENTRY_STATE_INCORRECT);
    assertThat(td.memPageAccept(0x4000)).isEqualTo(TdxStatus.SUCCESS);
    assertThat(td.guestAccess(0x4000)).isEqualTo(TdxStatus.SUCCESS);
    TdxStatus again = td.memPageAccept(0x4000);
    assertThat(again).isEqualTo(TdxStatus.PAGE_ALREADY_ACCEPTED);
    assertThat(again.name()).isEqualTo("TDX_PAGE_ALREADY_ACCEPTED");
  }

  @Test
  void blockThenRemove_freesThePage() {
    EmulatedTd td = finalizedTd();
    assertThat(td.memRangeBlock(0)).isEqualTo(TdxStatus.SUCCESS);
    assertThat(td.memRangeBlock(0)).isEqualTo(TdxStatus.GPA_RANGE_ALREADY_BLOCKED);
    assertThat(td.guestAccess(0)).isEqualTo(TdxStatus.EPT_ENTRY_STATE_INCORRECT);
    assertThat(td.memPageRemove(0)).isEqualTo(TdxStatus.SUCCESS);
    assertThat(td.septState(0)).isEqualTo(SeptState.FREE);
  }

  @Test
  void mapGpa_convertsInChunks_answeringRetryWithTheNextGpa() {
    EmulatedTd td = finalizedTd();
    long shared = TdParams.defaults().sharedBit();
    assertThat(shared).isEqualTo(1L << 47);
    long gpa = shared | 0;
    long size = 5 * MiB;
    MapGpaResult r1 = td.mapGpa(gpa, size);
    assertThat(r1.status()).isEqualTo(TdxStatus.VMCALL_RETRY);
    assertThat(r1.nextGpa()).isEqualTo(gpa + 2 * MiB);
    MapGpaResult r2 = td.mapGpa(r1.nextGpa(), gpa + size - r1.nextGpa());
    assertThat(r2.nextGpa()).isEqualTo(gpa + 4 * MiB);
    MapGpaResult r3 = td.mapGpa(r2.nextGpa(), gpa + size - r2.nextGpa());
    assertThat(r3.status()).isEqualTo(TdxStatus.VMCALL_SUCCESS);
    assertThat(memory.conversions)
        .extracting(RecordingMemory.Conversion::ranges)
        .containsExactly(
            List.of(new ByteRange(0, 2 * MiB)), List.of(new ByteRange(2 * MiB, 2 * MiB)), List.of(new ByteRange(4 * MiB, MiB)));
    assertThat(memory.conversions).allMatch(c -> c.to() == PageState.SHARED);
    assertThat(td.septState(0)).as("the build page left the Secure-EPT").isEqualTo(SeptState.FREE);
    assertThat(td.guestAccess(shared | 0x3000)).isEqualTo(TdxStatus.SUCCESS);

    // Back to private: pages return PENDING and must be accepted again.
    MapGpaResult back = td.mapGpa(0x2000, 0x2000);
    assertThat(back.status()).isEqualTo(TdxStatus.VMCALL_SUCCESS);
    assertThat(memory.conversions.get(3)).isEqualTo(new RecordingMemory.Conversion(List.of(new ByteRange(0x2000, 0x2000)), PageState.PRIVATE));
    assertThat(td.septState(0x2000)).isEqualTo(SeptState.PENDING);
    assertThat(td.septState(0x3000)).isEqualTo(SeptState.PENDING);
    assertThat(td.guestAccess(0x2000)).isEqualTo(TdxStatus.EPT_ENTRY_STATE_INCORRECT);
    assertThat(td.memPageAccept(0x2000)).isEqualTo(TdxStatus.SUCCESS);
    assertThat(td.guestAccess(0x2000)).isEqualTo(TdxStatus.SUCCESS);
    assertThat(td.guestAccess(shared | 0x2000)).isEqualTo(TdxStatus.EPT_WALK_FAILED);
  }

  @Test
  void mapGpa_rejectsBadRanges_andChangesNothing() {
    EmulatedTd td = finalizedTd();
    long shared = 1L << 47;
    String before = snapshot(td);
    assertThat(td.mapGpa(shared | 0x1001, 0x1000).status()).isEqualTo(TdxStatus.VMCALL_ALIGN_ERROR);
    assertThat(td.mapGpa(shared, 0x1800).status()).isEqualTo(TdxStatus.VMCALL_ALIGN_ERROR);
    assertThat(td.mapGpa(shared - 0x1000, 0x2000).status()).as("crosses the shared bit").isEqualTo(TdxStatus.VMCALL_INVALID_OPERAND);
    assertThat(td.mapGpa(shared | 15 * MiB, 2 * MiB).status()).as("beyond the TD's memory").isEqualTo(TdxStatus.VMCALL_INVALID_OPERAND);
    assertThat(td.mapGpa(1L << 48, 0x1000).status()).as("beyond GPAW").isEqualTo(TdxStatus.VMCALL_INVALID_OPERAND);
    assertThat(td.mapGpa(shared, 0).status()).isEqualTo(TdxStatus.VMCALL_INVALID_OPERAND);
    assertThat(snapshot(td)).isEqualTo(before);
    assertThat(memory.conversions).isEmpty();
  }

  @Test
  void mapGpa_beforeFinalize_isInvalid() {
    EmulatedTd td = platform.createTd(memory);
    td.init(TdParams.defaults());
    assertThat(td.mapGpa(1L << 47, 0x1000).status()).isEqualTo(TdxStatus.VMCALL_INVALID_OPERAND);
    assertThat(memory.conversions).isEmpty();
  }

  @Test
  void mapGpa_refusedByTheMemoryEngine_reportsTheReason_andLeavesTheSecureEptAlone() throws Exception {
    EmulatedTd td = finalizedTd();
    memory.refuseWith = MemoryException.Reason.RANGE_BUSY;
    MapGpaResult r = td.mapGpa(1L << 47, 0x1000);
    assertThat(r.status()).isEqualTo(TdxStatus.VMCALL_INVALID_OPERAND);
    assertThat(r.memoryFailure()).contains(MemoryException.Reason.RANGE_BUSY);
    assertThat(td.septState(0)).isEqualTo(SeptState.MAPPED);
    assertThat(memory.stateAt(0)).isEqualTo(PageState.PRIVATE);
  }

  @Test
  void mrReport_producesAMacedTdReportCarryingTheTdsMeasurements() throws Exception {
    EmulatedTd td = platform.createTd(memory);
    TdParams params = TdParams.defaults().withAttributes(TdAttributes.fromBits(TdAttributes.DEBUG)).withMrOwner(Bytes.fromHex("11".repeat(48)));
    td.init(params);
    td.memPageAdd(0, page(9));
    td.mrFinalize();
    td.rtmrExtend(1, new byte[48]);
    Bytes reportData = Bytes.fromHex("ab".repeat(64));
    ReportResult rr = td.mrReport(reportData);
    assertThat(rr.status()).isEqualTo(TdxStatus.SUCCESS);
    TdReport report = rr.report().orElseThrow();
    assertThat(TdReport.parse(report.toBytes())).isEqualTo(report);
    assertThat(report.reportMac().reportData()).isEqualTo(reportData);
    assertThat(report.tdInfo().mrTd()).isEqualTo(td.mrtd().orElseThrow());
    assertThat(report.tdInfo().attributes().debug()).isTrue();
    assertThat(report.tdInfo().mrOwner()).isEqualTo(params.mrOwner());
    assertThat(report.tdInfo().rtmrs().get(1)).isEqualTo(td.rtmr(1));
    assertThat(report.teeTcbInfo().teeTcbSvn()).isEqualTo(platform.config().teeTcbSvn());
    MessageDigest sha384 = MessageDigest.getInstance("SHA-384");
    assertThat(report.reportMac().teeInfoHash().toByteArray()).isEqualTo(sha384.digest(report.tdInfo().toBytes()));
    assertThat(platform.verifyReport(report)).isTrue();

    byte[] tampered = report.toBytes();
    tampered[0x200 + 0x10] ^= 1; // MRTD
    assertThat(platform.verifyReport(TdReport.parse(tampered))).isFalse();
    EmulatedTdxPlatform other = new EmulatedTdxPlatform(new Seed(8));
    assertThat(other.verifyReport(report)).as("another platform's key").isFalse();
    assertThat(HexFormat.of().formatHex(report.teeTcbInfo().valid().toByteArray())).isEqualTo("feff030000000000");
  }

  @Test
  void mrReport_beforeFinalize_fails() {
    EmulatedTd td = platform.createTd(memory);
    td.init(TdParams.defaults());
    assertThat(td.mrReport(Bytes.zeros(64)).status()).isEqualTo(TdxStatus.TD_NOT_FINALIZED);
  }

  @Test
  void unknownStatusCodes_survive_withTheirHexAsName() {
    assertThat(new TdxStatus(0xC0000B0E00000000L).name()).isEqualTo("0xC0000B0E00000000");
    assertThat(TdxStatus.PAGE_ALREADY_ACCEPTED.isError()).isFalse();
    assertThat(TdxStatus.EPT_WALK_FAILED.isError()).isTrue();
  }
}
