package io.guestmem.snp.emu;

import java.util.HashMap;
import java.util.Map;

/**
 * The Reverse Map Table of one emulated guest's memory, and the three instructions that change it:
 * the hypervisor's {@code RMPUPDATE} and {@code PSMASH}, and the guest's {@code PVALIDATE}
 * (AMD64 APM vol. 3, "RMPUPDATE", "PSMASH", "PVALIDATE").
 *
 * <p><b>Model.</b> A real RMP is indexed by system physical page. Each emulated guest is backed by
 * its own lease whose offsets are the guest's physical addresses, so this table is indexed by
 * {@code gpa >> 12} of that lease and has one entry per 4 KiB page; a 2 MiB RMP page is 512
 * entries that all say {@code SIZE_2M}. Entries not stored are {@link RmpEntry#HYPERVISOR}.
 *
 * <pre>
 * state    assigned validated  reached by
 * HV          0        -       initial; RMPUPDATE(unassign); PSC to shared
 * GUEST       1        0       RMPUPDATE(assign); PSC to private; PVALIDATE(rescind)
 * VALID       1        1       PVALIDATE(validate); SNP_LAUNCH_UPDATE
 * FIRMWARE    1        -       immutable: RMPUPDATE on it fails FAIL_PERMISSION
 *
 * instruction          from            to        result / error
 * RMPUPDATE assign     HV|GUEST|VALID  GUEST     validated is always cleared (the hypervisor
 * RMPUPDATE unassign   GUEST|VALID     HV          can never make a page valid)
 *   any                FIRMWARE        -         FAIL_PERMISSION (2)
 *   2M not aligned / out of range      -         FAIL_INPUT (1)
 *   4K inside an assigned 2M page, or 2M over an assigned 4K page  FAIL_OVERLAP (4)
 * PSMASH               2M GUEST|VALID  512 x 4K  same validated bit; not 2M-aligned FAIL_INPUT (1);
 *                                                not an assigned 2M page FAIL_BADADDR (4)
 * PVALIDATE validate   GUEST           VALID     SUCCESS
 *                      VALID           VALID     SUCCESS with CF=1: "no update" (double validation)
 * PVALIDATE rescind    VALID           GUEST     SUCCESS;  GUEST -> CF=1 no update
 *   size differs from the RMP page size          FAIL_SIZEMISMATCH (6)
 *   unaligned / out of range                     FAIL_INPUT (1)
 *   not assigned to this ASID at this GPA        #NPF: the access faults to the hypervisor
 * </pre>
 *
 * Every operation checks all its guards before touching any entry; a failed operation changes
 * nothing. Not thread-safe: the owning {@link SnpFirmware} serializes access.
 */
public final class Rmp {
  /** RMPUPDATE / PSMASH return codes (RAX). */
  public static final int SUCCESS = 0;
  public static final int FAIL_INPUT = 1;
  public static final int FAIL_PERMISSION = 2;
  public static final int FAIL_INUSE = 3;
  public static final int FAIL_OVERLAP = 4;
  /** PSMASH's name for code 4. */
  public static final int FAIL_BADADDR = 4;
  /** PVALIDATE's size-mismatch code. */
  public static final int FAIL_SIZEMISMATCH = 6;

  /** What PVALIDATE did. */
  public enum PvalidateResult {
    /** RAX = 0, CF = 0: the validated bit changed. */
    SUCCESS(0),
    /** RAX = 0, CF = 1: the validated bit already had the requested value (e.g. double validation). */
    NO_UPDATE(0),
    /** RAX = 1. */
    FAIL_INPUT(1),
    /** RAX = 6: the PVALIDATE size is not the RMP page size. */
    FAIL_SIZEMISMATCH(6),
    /** The page is not this guest's at this GPA: a nested page fault to the hypervisor. */
    NESTED_PAGE_FAULT(-1);

    private final int rax;

    PvalidateResult(int rax) {
      this.rax = rax;
    }

    public int rax() {
      return rax;
    }

    public boolean carryFlag() {
      return this == NO_UPDATE;
    }
  }

  private final long pages;
  private final Map<Long, RmpEntry> entries = new HashMap<>();

  /** An RMP for {@code bytes} of guest memory, all hypervisor-owned. */
  public Rmp(long bytes) {
    this.pages = bytes / 4096;
  }

  public long pages() {
    return pages;
  }

  public RmpEntry entry(long gpa) {
    return entries.getOrDefault(gpa >>> 12, RmpEntry.HYPERVISOR);
  }

  private boolean inRange(long gpa, PageSize size) {
    return gpa >= 0 && (gpa & (size.bytes() - 1)) == 0 && (gpa >>> 12) + size.pages() <= pages;
  }

  /**
   * RMPUPDATE: makes the page at {@code gpa} (of {@code size}) assigned to {@code asid} at
   * {@code gpa}, or hypervisor-owned when {@code assign} is false. Returns the RAX code.
   */
  public int rmpUpdate(long gpa, PageSize size, boolean assign, int asid) {
    if (!inRange(gpa, size) || (assign && asid <= 0)) {
      return FAIL_INPUT;
    }
    long first = gpa >>> 12;
    for (long p = first; p < first + size.pages(); p++) {
      RmpEntry e = entries.getOrDefault(p, RmpEntry.HYPERVISOR);
      if (e.immutable()) {
        return FAIL_PERMISSION;
      }
      if (e.assigned() && e.pageSize() != size) {
        return FAIL_OVERLAP;
      }
    }
    for (long p = first; p < first + size.pages(); p++) {
      if (assign) {
        entries.put(p, new RmpEntry(true, false, asid, p << 12, size, false, false));
      } else {
        entries.remove(p);
      }
    }
    return SUCCESS;
  }

  /** Marks a page firmware-owned and immutable (what the firmware does to its own pages). */
  void makeFirmwarePage(long gpa) {
    entries.put(gpa >>> 12, new RmpEntry(true, false, 0, gpa, PageSize.SIZE_4K, true, false));
  }

  /** Used by SNP_LAUNCH_UPDATE: the page becomes assigned and validated in one firmware step. */
  void launchAssign(long gpa, int asid, boolean vmsa) {
    entries.put(gpa >>> 12, new RmpEntry(true, true, asid, gpa, PageSize.SIZE_4K, false, vmsa));
  }

  /** PSMASH: splits the assigned 2 MiB page at {@code gpa} into 512 4 KiB entries. Returns RAX. */
  public int psmash(long gpa) {
    if (!inRange(gpa, PageSize.SIZE_2M)) {
      return FAIL_INPUT;
    }
    long first = gpa >>> 12;
    RmpEntry head = entries.getOrDefault(first, RmpEntry.HYPERVISOR);
    if (!head.assigned() || head.pageSize() != PageSize.SIZE_2M) {
      return FAIL_BADADDR;
    }
    if (head.immutable()) {
      return FAIL_PERMISSION;
    }
    for (long p = first; p < first + 512; p++) {
      RmpEntry e = entries.get(p);
      entries.put(p, new RmpEntry(true, e.validated(), e.asid(), p << 12, PageSize.SIZE_4K, false, e.vmsa()));
    }
    return SUCCESS;
  }

  /** PVALIDATE by the guest with {@code asid}: sets ({@code validate}) or clears the validated bit. */
  public PvalidateResult pvalidate(int asid, long gpa, PageSize size, boolean validate) {
    if (!inRange(gpa, size)) {
      return PvalidateResult.FAIL_INPUT;
    }
    long first = gpa >>> 12;
    RmpEntry head = entries.getOrDefault(first, RmpEntry.HYPERVISOR);
    if (!head.assigned() || head.immutable() || head.asid() != asid || head.gpa() != gpa) {
      return PvalidateResult.NESTED_PAGE_FAULT;
    }
    if (head.pageSize() != size) {
      return PvalidateResult.FAIL_SIZEMISMATCH;
    }
    if (head.validated() == validate) {
      return PvalidateResult.NO_UPDATE;
    }
    for (long p = first; p < first + size.pages(); p++) {
      entries.put(p, entries.get(p).withValidated(validate));
    }
    return PvalidateResult.SUCCESS;
  }

  /** Number of assigned pages (4 KiB units), and of those validated: for logs and tests. */
  public long assignedPages() {
    return entries.values().stream().filter(RmpEntry::assigned).count();
  }

  public long validatedPages() {
    return entries.values().stream().filter(RmpEntry::validated).count();
  }
}
