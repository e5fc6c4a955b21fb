package io.guestmem.snp.emu;

/**
 * SNP_LAUNCH_UPDATE page types (AMD SEV-SNP ABI spec 56860, "PAGE_TYPE"). Only NORMAL and VMSA
 * pages contribute their contents (as SHA-384) to PAGE_INFO.CONTENTS; the others contribute 48
 * zero bytes, but their type and GPA are still measured.
 */
public enum PageType {
  NORMAL(0x01, true),
  VMSA(0x02, true),
  ZERO(0x03, false),
  UNMEASURED(0x04, false),
  SECRETS(0x05, false),
  CPUID(0x06, false);

  private final int code;
  private final boolean contentsMeasured;

  PageType(int code, boolean contentsMeasured) {
    this.code = code;
    this.contentsMeasured = contentsMeasured;
  }

  public int code() {
    return code;
  }

  public boolean contentsMeasured() {
    return contentsMeasured;
  }
}
