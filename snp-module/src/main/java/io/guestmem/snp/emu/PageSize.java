package io.guestmem.snp.emu;

/** An RMP / PVALIDATE / PSC page size. */
public enum PageSize {
  SIZE_4K(4096L),
  SIZE_2M(2L * 1024 * 1024);

  private final long bytes;

  PageSize(long bytes) {
    this.bytes = bytes;
  }

  public long bytes() {
    return bytes;
  }

  /** 4 KiB pages in one page of this size. */
  public int pages() {
    return (int) (bytes / 4096);
  }
}
