package io.guestmem.snp.emu;

/**
 * One Reverse Map Table entry, per 4 KiB page (AMD64 APM vol. 2 §15.36.3, "Reverse Map Table").
 * Pages of a 2 MiB RMP page each carry {@code pageSize = SIZE_2M}.
 *
 * @param assigned owned by a guest (or firmware) rather than the hypervisor
 * @param validated the guest has PVALIDATEd it (only meaningful when assigned)
 * @param asid owning guest's ASID (0 = hypervisor / firmware)
 * @param gpa the guest physical address the page is mapped at, 4 KiB aligned
 * @param pageSize the RMP page size
 * @param immutable firmware-owned; the hypervisor cannot RMPUPDATE it
 * @param vmsa the page holds a VMSA
 */
public record RmpEntry(boolean assigned, boolean validated, int asid, long gpa, PageSize pageSize,
    boolean immutable, boolean vmsa) {

  /** A hypervisor-owned (shared) page. */
  public static final RmpEntry HYPERVISOR = new RmpEntry(false, false, 0, 0, PageSize.SIZE_4K, false, false);

  RmpEntry withValidated(boolean v) {
    return new RmpEntry(assigned, v, asid, gpa, pageSize, immutable, vmsa);
  }
}
