package io.guestmem.snp.emu;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.PageState;
import io.guestmem.snp.abi.Bytes;
import io.guestmem.snp.abi.GuestPolicy;
import io.guestmem.snp.abi.SnpProduct;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Page State Change: conversions go through the memory, the RMP follows only on success. */
class GhcbPageStateChangeTest {
  SnpFirmware fw;
  RecordingMemory mem;
  int h;
  final List<String> log = new ArrayList<>();

  @BeforeEach
  void runningGuestWithValidatedPages() {
    fw = TestKds.firmware(SnpProduct.MILAN);
    mem = new RecordingMemory(4L * 1024 * 1024);
    h = fw.launchStart(mem, GuestPolicy.of(0, 0, GuestPolicy.SMT)).handle();
    fw.launchFinish(h, Optional.empty(), Optional.empty(), false, Bytes.zeros(32));
    for (long gpa = 0x1000; gpa <= 0x4000; gpa += 0x1000) {
      assertThat(fw.rmpUpdate(h, gpa, PageSize.SIZE_4K, true)).isEqualTo(Rmp.SUCCESS);
      assertThat(fw.pvalidate(h, gpa, PageSize.SIZE_4K, true)).isEqualTo(Rmp.PvalidateResult.SUCCESS);
    }
  }

  GhcbPageStateChange psc(int perExit) {
    return new GhcbPageStateChange(fw, h, perExit, log::add);
  }

  RmpEntry rmp(long gpa) {
    return fw.rmpEntry(h, gpa).orElseThrow();
  }

  @Test
  void msrRequest_encodesGfnAndOperation() {
    long v = GhcbPageStateChange.msrRequest(0x12345000L, PscDescriptor.OP_SHARED);
    assertThat(v & 0xFFF).isEqualTo(0x014);
    assertThat((v >>> 12) & ((1L << 40) - 1)).isEqualTo(0x12345);
    assertThat((v >>> 52) & 0xF).isEqualTo(2);
  }

  @Test
  void msrToShared_convertsMemory_thenUnassignsTheRmpEntry_clearingValidated() throws Exception {
    long resp = psc(1).msrProtocol(GhcbPageStateChange.msrRequest(0x2000, PscDescriptor.OP_SHARED));
    assertThat(resp & 0xFFF).isEqualTo(0x015);
    assertThat(GhcbPageStateChange.msrError(resp)).isZero();
    assertThat(mem.stateAt(0x2000)).isEqualTo(PageState.SHARED);
    assertThat(mem.conversions).containsExactly(
        new RecordingMemory.Conversion(List.of(new ByteRange(0x2000, 0x1000)), PageState.SHARED));
    assertThat(rmp(0x2000)).isEqualTo(RmpEntry.HYPERVISOR);
    assertThat(fw.pvalidate(h, 0x2000, PageSize.SIZE_4K, true)).as("a shared page cannot be validated")
        .isEqualTo(Rmp.PvalidateResult.NESTED_PAGE_FAULT);
  }

  @Test
  void msrBackToPrivate_assignsUnvalidated_soTheGuestMustPvalidateAgain() throws Exception {
    psc(1).msrProtocol(GhcbPageStateChange.msrRequest(0x2000, PscDescriptor.OP_SHARED));
    long resp = psc(1).msrProtocol(GhcbPageStateChange.msrRequest(0x2000, PscDescriptor.OP_PRIVATE));
    assertThat(GhcbPageStateChange.msrError(resp)).isZero();
    assertThat(mem.stateAt(0x2000)).isEqualTo(PageState.PRIVATE);
    assertThat(rmp(0x2000).assigned()).isTrue();
    assertThat(rmp(0x2000).validated()).isFalse();
    assertThat(fw.pvalidate(h, 0x2000, PageSize.SIZE_4K, true)).isEqualTo(Rmp.PvalidateResult.SUCCESS);
  }

  @Test
  void rmpUpdateAssign_ofASharedPage_failsInput() throws Exception {
    psc(1).msrProtocol(GhcbPageStateChange.msrRequest(0x2000, PscDescriptor.OP_SHARED));
    assertThat(fw.rmpUpdate(h, 0x2000, PageSize.SIZE_4K, true)).isEqualTo(Rmp.FAIL_INPUT);
    assertThat(rmp(0x2000)).isEqualTo(RmpEntry.HYPERVISOR);
  }

  @Test
  void msrRefusedByMemory_returnsAnError_andTheRmpIsUnchanged() throws Exception {
    mem.refuseNextConversion(MemoryException.Reason.RANGE_BUSY);
    RmpEntry before = rmp(0x2000);
    long resp = psc(1).msrProtocol(GhcbPageStateChange.msrRequest(0x2000, PscDescriptor.OP_SHARED));
    assertThat(GhcbPageStateChange.msrError(resp)).isEqualTo(GhcbPageStateChange.MSR_ERROR_CONVERSION_REFUSED);
    assertThat(rmp(0x2000)).isEqualTo(before);
    assertThat(rmp(0x2000).validated()).isTrue();
    assertThat(mem.stateAt(0x2000)).isEqualTo(PageState.PRIVATE);
    assertThat(log).anyMatch(l -> l.contains("RANGE_BUSY") && l.contains("RMP unchanged"));
  }

  @Test
  void msrMalformed_isRefusedWithoutTouchingMemory() {
    assertThat(GhcbPageStateChange.msrError(psc(1).msrProtocol(GhcbPageStateChange.msrRequest(0x2000, 3))))
        .isEqualTo(GhcbPageStateChange.MSR_ERROR_INVALID_REQUEST);
    assertThat(GhcbPageStateChange.msrError(psc(1).msrProtocol(
        GhcbPageStateChange.msrRequest(0x2000, 2) | 1L << 60))).isEqualTo(GhcbPageStateChange.MSR_ERROR_INVALID_REQUEST);
    assertThat(GhcbPageStateChange.msrError(psc(1).msrProtocol(
        GhcbPageStateChange.msrRequest(8L * 1024 * 1024, 2)))).isEqualTo(GhcbPageStateChange.MSR_ERROR_INVALID_REQUEST);
    assertThat(mem.conversions).isEmpty();
  }

  @Test
  void descriptor_processesEntriesInOrder_withCurEntryProgressAcrossEarlyReturns() throws Exception {
    PscDescriptor d = PscDescriptor.of(List.of(
        PscDescriptor.entry(0, 1, PscDescriptor.OP_SHARED, PageSize.SIZE_4K),
        PscDescriptor.entry(0, 2, PscDescriptor.OP_SHARED, PageSize.SIZE_4K),
        PscDescriptor.entry(0, 3, PscDescriptor.OP_SHARED, PageSize.SIZE_4K)));
    GhcbPageStateChange.PscResult r1 = psc(2).descriptor(d);
    assertThat(r1.swExitInfo2()).isZero();
    assertThat(r1.descriptor().curEntry()).isEqualTo(2);
    assertThat(PscDescriptor.curPage(r1.descriptor().entries().get(0))).isEqualTo(1);
    assertThat(mem.stateAt(0x3000)).isEqualTo(PageState.PRIVATE);
    GhcbPageStateChange.PscResult r2 = psc(2).descriptor(PscDescriptor.fromBytes(r1.descriptor().toBytes()));
    assertThat(r2.swExitInfo2()).isZero();
    assertThat(r2.descriptor().curEntry()).isEqualTo(3).isGreaterThan(r2.descriptor().endEntry());
    assertThat(mem.stateAt(0x1000)).isEqualTo(PageState.SHARED);
    assertThat(mem.stateAt(0x3000)).isEqualTo(PageState.SHARED);
    assertThat(mem.conversions).hasSize(3);
    assertThat(rmp(0x3000)).isEqualTo(RmpEntry.HYPERVISOR);
  }

  @Test
  void descriptor_invalidHeader_changesNothing() {
    List<Long> one = List.of(PscDescriptor.entry(0, 1, PscDescriptor.OP_SHARED, PageSize.SIZE_4K));
    for (PscDescriptor bad : List.of(new PscDescriptor(1, 0, 0, one), new PscDescriptor(0, 1, 0, one),
        new PscDescriptor(0, 253, 0, one))) {
      GhcbPageStateChange.PscResult r = psc(253).descriptor(bad);
      assertThat(r.swExitInfo2()).isEqualTo(GhcbPageStateChange.PSC_ERROR_INVALID_HDR).isEqualTo((1L << 32) | 1);
      assertThat(r.descriptor()).isEqualTo(bad);
    }
    assertThat(mem.conversions).isEmpty();
  }

  @Test
  void descriptor_invalidEntry_stopsThere_earlierEntriesStayDone() throws Exception {
    long good = PscDescriptor.entry(0, 1, PscDescriptor.OP_SHARED, PageSize.SIZE_4K);
    List<Long> badEntries = List.of(
        PscDescriptor.entry(0, 2, PscDescriptor.OP_PSMASH, PageSize.SIZE_4K),
        PscDescriptor.entry(0, 2, 7, PageSize.SIZE_4K),
        PscDescriptor.entry(0, 2, PscDescriptor.OP_SHARED, PageSize.SIZE_4K) | 1L << 60,
        PscDescriptor.entry(0, 0x201, PscDescriptor.OP_SHARED, PageSize.SIZE_2M),
        PscDescriptor.entry(2, 2, PscDescriptor.OP_SHARED, PageSize.SIZE_4K),
        PscDescriptor.entry(0, 0x10000, PscDescriptor.OP_SHARED, PageSize.SIZE_4K));
    for (long bad : badEntries) {
      GhcbPageStateChange.PscResult r = psc(253).descriptor(PscDescriptor.of(List.of(good, bad)));
      assertThat(r.swExitInfo2()).as("entry %016x", bad).isEqualTo(GhcbPageStateChange.PSC_ERROR_INVALID_ENTRY);
      assertThat(r.descriptor().curEntry()).isEqualTo(1);
      assertThat(mem.stateAt(0x2000)).isEqualTo(PageState.PRIVATE);
      assertThat(rmp(0x2000).validated()).isTrue();
    }
    assertThat(mem.stateAt(0x1000)).isEqualTo(PageState.SHARED);
  }

  @Test
  void descriptor_memoryRefusal_isGenericError_rmpFollowsOnlyTheDoneEntries() throws Exception {
    PscDescriptor d = PscDescriptor.of(List.of(
        PscDescriptor.entry(0, 1, PscDescriptor.OP_SHARED, PageSize.SIZE_4K),
        PscDescriptor.entry(0, 2, PscDescriptor.OP_SHARED, PageSize.SIZE_4K)));
    GhcbPageStateChange.PscResult r1 = psc(1).descriptor(d);
    mem.refuseNextConversion(MemoryException.Reason.QUOTA_EXCEEDED);
    GhcbPageStateChange.PscResult r2 = psc(253).descriptor(r1.descriptor());
    assertThat(r2.swExitInfo2()).isEqualTo(GhcbPageStateChange.PSC_ERROR_GENERIC).isEqualTo(0x100L << 32);
    assertThat(r2.descriptor().curEntry()).isEqualTo(1);
    assertThat(rmp(0x1000)).isEqualTo(RmpEntry.HYPERVISOR);
    assertThat(rmp(0x2000).assigned()).isTrue();
    assertThat(rmp(0x2000).validated()).isTrue();
    assertThat(mem.stateAt(0x2000)).isEqualTo(PageState.PRIVATE);
    GhcbPageStateChange.PscResult retry = psc(253).descriptor(r2.descriptor());
    assertThat(retry.swExitInfo2()).isZero();
    assertThat(rmp(0x2000)).isEqualTo(RmpEntry.HYPERVISOR);
  }

  @Test
  void descriptor_2mEntries_toPrivateAssignA2mRmpPage_andToSharedUnassignIt() throws Exception {
    mem.convert(List.of(new ByteRange(0x200000, 0x200000)), PageState.SHARED);
    GhcbPageStateChange.PscResult r = psc(253).descriptor(PscDescriptor.of(List.of(
        PscDescriptor.entry(0, 0x200, PscDescriptor.OP_PRIVATE, PageSize.SIZE_2M))));
    assertThat(r.swExitInfo2()).isZero();
    assertThat(PscDescriptor.curPage(r.descriptor().entries().get(0))).isEqualTo(512);
    assertThat(rmp(0x3FF000).pageSize()).isEqualTo(PageSize.SIZE_2M);
    assertThat(fw.pvalidate(h, 0x200000, PageSize.SIZE_2M, true)).isEqualTo(Rmp.PvalidateResult.SUCCESS);

    // Half of it to shared by a partially completed 2M entry: the hypervisor PSMASHes first.
    GhcbPageStateChange.PscResult half = psc(253).descriptor(PscDescriptor.of(List.of(
        PscDescriptor.entry(256, 0x200, PscDescriptor.OP_SHARED, PageSize.SIZE_2M))));
    assertThat(half.swExitInfo2()).isZero();
    assertThat(mem.stateAt(0x2FF000)).isEqualTo(PageState.PRIVATE);
    assertThat(mem.stateAt(0x300000)).isEqualTo(PageState.SHARED);
    assertThat(rmp(0x2FF000).pageSize()).isEqualTo(PageSize.SIZE_4K);
    assertThat(rmp(0x2FF000).validated()).isTrue();
    assertThat(rmp(0x300000)).isEqualTo(RmpEntry.HYPERVISOR);
  }

  @Test
  void firmwarePageInTheRange_isRefusedBeforeMemoryIsTouched() throws Exception {
    fw.withGuest(h, g -> {
      g.rmp.makeFirmwarePage(0x8000);
      return null;
    });
    GhcbPageStateChange.PscResult r = psc(253).descriptor(PscDescriptor.of(List.of(
        PscDescriptor.entry(0, 8, PscDescriptor.OP_SHARED, PageSize.SIZE_4K))));
    assertThat(r.swExitInfo2()).isEqualTo(GhcbPageStateChange.PSC_ERROR_GENERIC);
    assertThat(mem.conversions).isEmpty();
    assertThat(rmp(0x8000).immutable()).isTrue();
    assertThat(mem.stateAt(0x8000)).isEqualTo(PageState.PRIVATE);
  }

  @Test
  void descriptorBytes_roundTrip() {
    PscDescriptor d = new PscDescriptor(1, 2, 0, List.of(
        PscDescriptor.entry(3, 0x12345, PscDescriptor.OP_PRIVATE, PageSize.SIZE_2M), 0L, -1L));
    byte[] b = d.toBytes();
    assertThat(b).hasSize(8 + 24);
    assertThat(PscDescriptor.fromBytes(b)).isEqualTo(d);
    long e = d.entries().get(0);
    assertThat(PscDescriptor.curPage(e)).isEqualTo(3);
    assertThat(PscDescriptor.gfn(e)).isEqualTo(0x12345);
    assertThat(PscDescriptor.operation(e)).isEqualTo(1);
    assertThat(PscDescriptor.pageSize(e)).isEqualTo(PageSize.SIZE_2M);
  }
}
