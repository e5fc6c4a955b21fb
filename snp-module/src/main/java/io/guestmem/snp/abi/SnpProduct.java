package io.guestmem.snp.abi;

import java.util.Locale;
import java.util.Optional;

/**
 * The AMD EPYC generations that run SEV-SNP guests, with what differs per product: the KDS path
 * name, the {@link TcbVersion.Layout}, the hwID length in VCEKs and KDS URLs, and the CPUID
 * family/model ranges an ATTESTATION_REPORT v3+ identifies the product by (evidence-formats.md
 * §1.4, §1.5).
 */
public enum SnpProduct {
  /** Zen 3 (family 0x19, models 0x00–0x0F). */
  MILAN("Milan", 0x19, TcbVersion.Layout.MILAN_GENOA, 64),
  /** Zen 4 (family 0x19, models 0x10–0x1F and 0xA0–0xAF, the latter Siena). */
  GENOA("Genoa", 0x19, TcbVersion.Layout.MILAN_GENOA, 64),
  /** Zen 5 (family 0x1A, models 0x00–0x11); TCB_VERSION has FMC first, hwID is 8 bytes. */
  TURIN("Turin", 0x1A, TcbVersion.Layout.TURIN, 8);

  private final String kdsName;
  private final int cpuidFamily;
  private final TcbVersion.Layout tcbLayout;
  private final int hwIdLength;

  SnpProduct(String kdsName, int cpuidFamily, TcbVersion.Layout tcbLayout, int hwIdLength) {
    this.kdsName = kdsName;
    this.cpuidFamily = cpuidFamily;
    this.tcbLayout = tcbLayout;
    this.hwIdLength = hwIdLength;
  }

  /** The name in KDS URLs and in the VCEK productName extension: {@code Milan}, {@code Genoa}, {@code Turin}. */
  public String kdsName() {
    return kdsName;
  }

  /** CPUID extended family + family (the report's CPUID_FAM_ID). */
  public int cpuidFamily() {
    return cpuidFamily;
  }

  public TcbVersion.Layout tcbLayout() {
    return tcbLayout;
  }

  /** Bytes of CHIP_ID that identify the chip (64, or 8 on Turin) — the hwID in VCEKs and KDS URLs. */
  public int hwIdLength() {
    return hwIdLength;
  }

  /**
   * The product for a report's CPUID_FAM_ID / CPUID_MOD_ID (v3+), or empty for combinations this
   * library does not know (a new generation must not silently get an old TCB layout).
   */
  public static Optional<SnpProduct> fromCpuid(int familyId, int modelId) {
    if (familyId == 0x19) {
      if (modelId >= 0x00 && modelId <= 0x0F) {
        return Optional.of(MILAN);
      }
      if ((modelId >= 0x10 && modelId <= 0x1F) || (modelId >= 0xA0 && modelId <= 0xAF)) {
        return Optional.of(GENOA);
      }
    } else if (familyId == 0x1A && modelId >= 0x00 && modelId <= 0x11) {
      return Optional.of(TURIN);
    }
    return Optional.empty();
  }

  /**
   * The product named by a VCEK/VLEK productName extension ({@code Milan-B0}, {@code Genoa},
   * {@code Turin-B0}…: the part before the first '-'), or by a KDS path name; case-insensitive.
   */
  public static Optional<SnpProduct> fromName(String productName) {
    String base = productName;
    int dash = base.indexOf('-');
    if (dash >= 0) {
      base = base.substring(0, dash);
    }
    for (SnpProduct p : values()) {
      if (p.kdsName.toLowerCase(Locale.ROOT).equals(base.toLowerCase(Locale.ROOT))) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
