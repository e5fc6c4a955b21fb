package io.guestmem.memory;

/**
 * What a VMM asks for when it opens a lease.
 *
 * @param size    bytes of guest memory; a positive multiple of 4 KiB, at most the configured maximum
 * @param mode    OWNED (guestmem creates the private backing) or ATTACHED (the VMM hands it over)
 * @param owner   the VMM process
 * @param teeKind a label for the confidential-computing technology, e.g. {@code "tdx"}, {@code "snp"},
 *                {@code "none"}; recorded and reported, never interpreted here
 */
public record LeaseRequest(long size, LeaseMode mode, Owner owner, String teeKind) {
  public LeaseRequest {
    if (mode == null || owner == null || teeKind == null) {
      throw new NullPointerException("mode, owner and teeKind are required");
    }
  }

  /** An OWNED lease of {@code size} bytes for this JVM (tests, emulators). */
  public static LeaseRequest owned(long size, String teeKind) {
    return new LeaseRequest(size, LeaseMode.OWNED, Owner.self(), teeKind);
  }
}
