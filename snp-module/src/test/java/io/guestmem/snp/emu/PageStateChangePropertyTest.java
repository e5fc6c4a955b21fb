package io.guestmem.snp.emu;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.memory.MemoryException;
import io.guestmem.memory.PageState;
import io.guestmem.snp.abi.Bytes;
import io.guestmem.snp.abi.GuestPolicy;
import io.guestmem.snp.abi.SnpProduct;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Random guest behaviour (MSR requests, descriptors with valid and garbage entries, PVALIDATEs,
 * refused conversions) never breaks the invariant that ties the RMP to the memory: a SHARED page is
 * never assigned in the RMP, and an assigned page is always PRIVATE. Nothing escapes as an
 * unchecked exception.
 */
class PageStateChangePropertyTest {
  static final long PAGES = 1024; // 4 MiB: two 2 MiB pages

  @Property(tries = 60)
  void rmpFollowsMemory_underRandomRequests(@ForAll @Size(max = 40) List<@IntRange(min = 0, max = Integer.MAX_VALUE) Integer> script)
      throws MemoryException {
    SnpFirmware fw = TestKds.firmware(SnpProduct.MILAN);
    RecordingMemory mem = new RecordingMemory(PAGES * 4096);
    int h = fw.launchStart(mem, GuestPolicy.of(0, 0, GuestPolicy.SMT)).handle();
    fw.launchFinish(h, Optional.empty(), Optional.empty(), false, Bytes.zeros(32));
    for (int s : script) {
      long gfn = (s >>> 4) % (PAGES + 8);
      switch (s & 0xF) {
        case 0, 1 -> fw.rmpUpdate(h, gfn << 12, PageSize.SIZE_4K, true);
        case 2 -> fw.pvalidate(h, gfn << 12, PageSize.SIZE_4K, (s & 0x100) != 0);
        case 3 -> fw.pvalidate(h, (gfn & ~511L) << 12, PageSize.SIZE_2M, true);
        case 4, 5 -> new GhcbPageStateChange(fw, h, 1, l -> { })
            .msrProtocol(GhcbPageStateChange.msrRequest(gfn << 12, 1 + (s >>> 30 & 1)));
        case 6 -> {
          mem.refuseNextConversion(MemoryException.Reason.RANGE_BUSY);
          new GhcbPageStateChange(fw, h, 1, l -> { })
              .msrProtocol(GhcbPageStateChange.msrRequest(gfn << 12, 1 + (s >>> 30 & 1)));
          mem.refuseNextConversion(null);
        }
        case 7 -> fw.psmash(h, (gfn & ~511L) << 12);
        default -> {
          List<Long> entries = new ArrayList<>();
          int n = 1 + (s >>> 8) % 4;
          for (int i = 0; i < n; i++) {
            long raw = Integer.toUnsignedLong(Integer.rotateLeft(s, 7 * i + 3)) * 0x9E3779B97F4A7C15L;
            boolean garbage = (s & 0x8) != 0 && i == n - 1;
            PageSize size = ((raw >>> 3) & 3) == 0 ? PageSize.SIZE_2M : PageSize.SIZE_4K;
            long g = size == PageSize.SIZE_2M ? ((raw >>> 8) % 2) * 512 : (raw >>> 8) % PAGES;
            entries.add(garbage ? raw : PscDescriptor.entry(0, g, 1 + (int) ((raw >>> 5) & 1), size));
          }
          PscDescriptor d = PscDescriptor.of(entries);
          GhcbPageStateChange psc = new GhcbPageStateChange(fw, h, 2, l -> { });
          for (int exit = 0; exit < 8 && d.curEntry() <= d.endEntry(); exit++) {
            GhcbPageStateChange.PscResult r = psc.descriptor(d);
            d = r.descriptor();
            if (r.swExitInfo2() != 0) {
              break;
            }
          }
        }
      }
      assertInvariant(fw, h, mem);
    }
  }

  static void assertInvariant(SnpFirmware fw, int h, RecordingMemory mem) throws MemoryException {
    for (long p = 0; p < PAGES; p++) {
      RmpEntry e = fw.rmpEntry(h, p << 12).orElseThrow();
      PageState s = mem.stateAt(p << 12);
      if (e.assigned()) {
        assertThat(s).as("assigned page 0x%x", p << 12).isEqualTo(PageState.PRIVATE);
      }
      if (s == PageState.SHARED) {
        assertThat(e.assigned()).as("shared page 0x%x", p << 12).isFalse();
      }
      if (e.validated()) {
        assertThat(e.assigned()).isTrue();
      }
    }
  }
}
