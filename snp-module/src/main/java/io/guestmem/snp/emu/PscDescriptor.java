package io.guestmem.snp.emu;

import java.util.ArrayList;
import java.util.List;

/**
 * The Page State Change descriptor a guest places in the GHCB shared buffer for the PSC NAE event
 * (AMD GHCB spec 56421, "SNP Page State Change"; Linux {@code struct snp_psc_desc}):
 *
 * <pre>
 * header  0x00 u16 CUR_ENTRY   first entry still to process (updated by the hypervisor)
 *         0x02 u16 END_ENTRY   last entry to process (inclusive)
 *         0x04 u32 reserved
 * entry   u64 at 0x08 + 8*i:
 *         [11:0]  CUR_PAGE   pages of this entry already done (updated by the hypervisor)
 *         [51:12] GFN
 *         [55:52] OPERATION  1 private, 2 shared, 3 PSMASH, 4 UNSMASH
 *         [56]    PAGE_SIZE  0 = 4 KiB, 1 = 2 MiB
 *         [63:57] reserved
 * </pre>
 *
 * At most {@value #MAX_ENTRIES} entries. This value is a plain container; the hypervisor
 * ({@link GhcbPageStateChange}) validates it.
 */
public record PscDescriptor(int curEntry, int endEntry, long reserved, List<Long> entries) {
  public static final int MAX_ENTRIES = 253;
  public static final int OP_PRIVATE = 1;
  public static final int OP_SHARED = 2;
  public static final int OP_PSMASH = 3;
  public static final int OP_UNSMASH = 4;

  public PscDescriptor {
    entries = List.copyOf(entries);
  }

  /** One entry's u64. */
  public static long entry(int curPage, long gfn, int operation, PageSize size) {
    return (curPage & 0xFFFL) | (gfn & ((1L << 40) - 1)) << 12 | (long) (operation & 0xF) << 52
        | (size == PageSize.SIZE_2M ? 1L << 56 : 0);
  }

  /** A descriptor covering all of {@code entries}: CUR_ENTRY 0, END_ENTRY n-1. */
  public static PscDescriptor of(List<Long> entries) {
    return new PscDescriptor(0, entries.size() - 1, 0, entries);
  }

  public static int curPage(long e) {
    return (int) (e & 0xFFF);
  }

  public static long gfn(long e) {
    return (e >>> 12) & ((1L << 40) - 1);
  }

  public static int operation(long e) {
    return (int) ((e >>> 52) & 0xF);
  }

  public static PageSize pageSize(long e) {
    return ((e >>> 56) & 1) == 1 ? PageSize.SIZE_2M : PageSize.SIZE_4K;
  }

  public static long reservedBits(long e) {
    return e >>> 57;
  }

  public byte[] toBytes() {
    byte[] b = new byte[8 + 8 * entries.size()];
    IdBlock.put(b, 0, curEntry, 2);
    IdBlock.put(b, 2, endEntry, 2);
    IdBlock.put(b, 4, reserved, 4);
    for (int i = 0; i < entries.size(); i++) {
      IdBlock.put(b, 8 + 8 * i, entries.get(i), 8);
    }
    return b;
  }

  /** Reads a descriptor; the buffer must be 8 + 8n bytes with n at most {@value #MAX_ENTRIES}. */
  public static PscDescriptor fromBytes(byte[] b) {
    if (b.length < 8 || (b.length - 8) % 8 != 0 || (b.length - 8) / 8 > MAX_ENTRIES) {
      throw new IllegalArgumentException("a PSC descriptor is 8 + 8n bytes, n <= 253");
    }
    List<Long> es = new ArrayList<>();
    for (int off = 8; off < b.length; off += 8) {
      es.add(IdBlock.get(b, off, 8));
    }
    return new PscDescriptor((int) IdBlock.get(b, 0, 2), (int) IdBlock.get(b, 2, 2), IdBlock.get(b, 4, 4), es);
  }
}
