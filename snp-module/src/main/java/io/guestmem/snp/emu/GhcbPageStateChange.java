package io.guestmem.snp.emu;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.PageState;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The hypervisor's side of a guest's Page State Change requests (AMD GHCB spec 56421 §2.3.1 "SNP
 * Page State Change" MSR protocol, and the PSC NAE event {@code 0x8000_0010}), as KVM handles
 * them: every accepted change is first performed on the guest's memory through
 * {@link io.guestmem.memory.ConvertibleMemory#convert} — exactly what a VMM does after the exit —
 * and the RMP follows (RMPUPDATE, with PSMASH where a 2 MiB page is split) <b>only if the
 * conversion succeeded</b>. A refused conversion leaves memory and RMP as they were.
 *
 * <p>What the guest sees:
 * <pre>
 * MSR protocol  request  [11:0] 0x014, [51:12] GFN, [55:52] 1 private | 2 shared, [63:56] 0
 *               response [11:0] 0x015, [63:32] error: 0 success, 1 invalid request, 2 conversion refused
 * PSC NAE       SW_EXITINFO2: 0 (entries processed up to CUR_ENTRY; the guest re-issues while
 *               CUR_ENTRY <= END_ENTRY), (1&lt;&lt;32)|1 invalid header, (1&lt;&lt;32)|2 invalid entry,
 *               0x100&lt;&lt;32 generic (conversion refused)
 * </pre>
 *
 * Descriptor processing: the header is refused if {@code CUR_ENTRY > END_ENTRY}, END_ENTRY ≥ 253
 * or beyond the buffer. Entries run in order from CUR_ENTRY; an entry is refused (and processing
 * stops there, earlier entries stay done) if a reserved bit is set, the operation is not 1 or 2
 * (PSMASH/UNSMASH requests are not supported, as in KVM), a 2 MiB GFN is unaligned, CUR_PAGE
 * exceeds the entry's pages, or the range leaves the lease. After each entry CUR_PAGE is set to
 * the entry's page count and CUR_ENTRY advances; with {@code maxEntriesPerExit} the hypervisor
 * returns early, as a real one may, and the guest re-issues.
 *
 * <p>RMP effect: to shared — each page becomes hypervisor-owned (a 2 MiB RMP page partly affected
 * is PSMASHed first), which clears its validated bit; to private — pages not already this guest's
 * are assigned (a whole 2 MiB entry over hypervisor pages as one 2 MiB RMP page, else 4 KiB),
 * unvalidated: the guest must PVALIDATE them. Pages already in the requested state are left as
 * they are.
 */
public final class GhcbPageStateChange {
  public static final int MSR_PSC_REQUEST = 0x014;
  public static final int MSR_PSC_RESPONSE = 0x015;
  public static final long MSR_ERROR_INVALID_REQUEST = 1;
  public static final long MSR_ERROR_CONVERSION_REFUSED = 2;
  public static final long PSC_ERROR_INVALID_HDR = (1L << 32) | 1;
  public static final long PSC_ERROR_INVALID_ENTRY = (1L << 32) | 2;
  public static final long PSC_ERROR_GENERIC = 0x100L << 32;

  /** The descriptor after the exit and SW_EXITINFO2. */
  public record PscResult(PscDescriptor descriptor, long swExitInfo2) {}

  private final SnpFirmware firmware;
  private final int handle;
  private final int maxEntriesPerExit;
  private final Consumer<String> log;

  /**
   * @param maxEntriesPerExit entries processed per exit before returning early (≥ 1; use
   *     {@link PscDescriptor#MAX_ENTRIES} to process all)
   * @param log receives one line per conversion and per refusal
   */
  public GhcbPageStateChange(SnpFirmware firmware, int handle, int maxEntriesPerExit, Consumer<String> log) {
    if (maxEntriesPerExit < 1) {
      throw new IllegalArgumentException("maxEntriesPerExit >= 1");
    }
    this.firmware = firmware;
    this.handle = handle;
    this.maxEntriesPerExit = maxEntriesPerExit;
    this.log = log;
  }

  /** The GHCB MSR value a guest writes to request one page's change. */
  public static long msrRequest(long gpa, int operation) {
    return MSR_PSC_REQUEST | ((gpa >>> 12) & ((1L << 40) - 1)) << 12 | (long) (operation & 0xF) << 52;
  }

  /** The error field of an MSR response, or -1 if it is not a PSC response. */
  public static long msrError(long response) {
    return (response & 0xFFF) == MSR_PSC_RESPONSE ? response >>> 32 : -1;
  }

  /** Handles a VMGEXIT with the GHCB MSR holding a PSC request; returns the MSR response. */
  public long msrProtocol(long ghcbMsr) {
    if ((ghcbMsr & 0xFFF) != MSR_PSC_REQUEST || (ghcbMsr >>> 56) != 0) {
      return respond(MSR_ERROR_INVALID_REQUEST);
    }
    long gfn = (ghcbMsr >>> 12) & ((1L << 40) - 1);
    int op = (int) ((ghcbMsr >>> 52) & 0xF);
    if (op != PscDescriptor.OP_PRIVATE && op != PscDescriptor.OP_SHARED) {
      return respond(MSR_ERROR_INVALID_REQUEST);
    }
    EntryOutcome o = firmware.withGuest(handle, g -> g == null ? EntryOutcome.INVALID
        : change(g, gfn << 12, 1, op == PscDescriptor.OP_PRIVATE ? PageState.PRIVATE : PageState.SHARED, false));
    return respond(switch (o) {
      case DONE -> 0;
      case INVALID -> MSR_ERROR_INVALID_REQUEST;
      case REFUSED -> MSR_ERROR_CONVERSION_REFUSED;
    });
  }

  private static long respond(long error) {
    return MSR_PSC_RESPONSE | error << 32;
  }

  /** Handles a PSC NAE event on {@code descriptor}. */
  public PscResult descriptor(PscDescriptor d) {
    if (d.curEntry() > d.endEntry() || d.endEntry() >= PscDescriptor.MAX_ENTRIES || d.endEntry() >= d.entries().size()) {
      log.accept(String.format("PSC: invalid header cur_entry=%d end_entry=%d (%d entries)", d.curEntry(),
          d.endEntry(), d.entries().size()));
      return new PscResult(d, PSC_ERROR_INVALID_HDR);
    }
    List<Long> entries = new ArrayList<>(d.entries());
    int cur = d.curEntry();
    int processed = 0;
    long result = 0;
    while (cur <= d.endEntry() && processed < maxEntriesPerExit) {
      long e = entries.get(cur);
      int op = PscDescriptor.operation(e);
      PageSize size = PscDescriptor.pageSize(e);
      int npages = size.pages();
      long gfn = PscDescriptor.gfn(e);
      int curPage = PscDescriptor.curPage(e);
      if (PscDescriptor.reservedBits(e) != 0 || (op != PscDescriptor.OP_PRIVATE && op != PscDescriptor.OP_SHARED)
          || curPage > npages || gfn % npages != 0) {
        log.accept(String.format("PSC: entry %d invalid (0x%016x)", cur, e));
        result = PSC_ERROR_INVALID_ENTRY;
        break;
      }
      if (curPage < npages) {
        long gpa = (gfn + curPage) << 12;
        int pages = npages - curPage;
        boolean whole2m = size == PageSize.SIZE_2M && curPage == 0;
        PageState to = op == PscDescriptor.OP_PRIVATE ? PageState.PRIVATE : PageState.SHARED;
        EntryOutcome o = firmware.withGuest(handle, g -> g == null ? EntryOutcome.INVALID
            : change(g, gpa, pages, to, whole2m));
        if (o == EntryOutcome.INVALID) {
          log.accept(String.format("PSC: entry %d invalid (range outside the guest)", cur));
          result = PSC_ERROR_INVALID_ENTRY;
          break;
        }
        if (o == EntryOutcome.REFUSED) {
          result = PSC_ERROR_GENERIC;
          break;
        }
      }
      entries.set(cur, (e & ~0xFFFL) | npages);
      cur++;
      processed++;
    }
    return new PscResult(new PscDescriptor(cur, d.endEntry(), d.reserved(), entries), result);
  }

  private enum EntryOutcome {
    DONE, INVALID, REFUSED
  }

  /**
   * Converts {@code pages} pages at {@code gpa} to {@code to} and makes the RMP follow. Runs under
   * the firmware's lock; guards first, then the conversion, then the RMP.
   */
  private EntryOutcome change(SnpFirmware.Guest g, long gpa, int pages, PageState to, boolean whole2m) {
    long bytes = (long) pages << 12;
    if (gpa < 0 || gpa + bytes > g.memory.size() || pages <= 0) {
      return EntryOutcome.INVALID;
    }
    // Guard: the RMP change must be possible before memory is touched (no firmware pages).
    for (long p = gpa; p < gpa + bytes; p += 4096) {
      if (g.rmp.entry(p).immutable()) {
        log.accept(String.format("PSC: [0x%x, +0x%x) holds a firmware page: refused", gpa, bytes));
        return EntryOutcome.REFUSED;
      }
    }
    try {
      g.memory.convert(List.of(new ByteRange(gpa, bytes)), to);
    } catch (MemoryException e) {
      log.accept(String.format("PSC: conversion of [0x%x, +0x%x) to %s refused by memory: %s (%s); RMP unchanged",
          gpa, bytes, to, e.reason(), e.getMessage()));
      return EntryOutcome.REFUSED;
    }
    if (to == PageState.SHARED) {
      for (long p = gpa; p < gpa + bytes; ) {
        RmpEntry e = g.rmp.entry(p);
        if (e.assigned() && e.pageSize() == PageSize.SIZE_2M) {
          long base = p & ~(PageSize.SIZE_2M.bytes() - 1);
          if (base >= gpa && base + PageSize.SIZE_2M.bytes() <= gpa + bytes) {
            expect(g.rmp.rmpUpdate(base, PageSize.SIZE_2M, false, g.asid), "RMPUPDATE 2M unassign");
            p = base + PageSize.SIZE_2M.bytes();
            continue;
          }
          expect(g.rmp.psmash(base), "PSMASH");
        }
        if (g.rmp.entry(p).assigned()) {
          expect(g.rmp.rmpUpdate(p, PageSize.SIZE_4K, false, g.asid), "RMPUPDATE 4K unassign");
        }
        p += 4096;
      }
    } else {
      boolean allHypervisor = true;
      for (long p = gpa; p < gpa + bytes; p += 4096) {
        allHypervisor &= !g.rmp.entry(p).assigned();
      }
      if (whole2m && allHypervisor) {
        expect(g.rmp.rmpUpdate(gpa, PageSize.SIZE_2M, true, g.asid), "RMPUPDATE 2M assign");
      } else {
        for (long p = gpa; p < gpa + bytes; p += 4096) {
          // Each guest has its own RMP, so an assigned page here is already this guest's.
          if (!g.rmp.entry(p).assigned()) {
            expect(g.rmp.rmpUpdate(p, PageSize.SIZE_4K, true, g.asid), "RMPUPDATE 4K assign");
          }
        }
      }
    }
    log.accept(String.format("PSC: [0x%x, +0x%x) -> %s: converted, RMP updated", gpa, bytes, to));
    return EntryOutcome.DONE;
  }

  private static void expect(int rax, String what) {
    if (rax != Rmp.SUCCESS) {
      throw new IllegalStateException(what + " failed with " + rax + " after its guards passed");
    }
  }
}
