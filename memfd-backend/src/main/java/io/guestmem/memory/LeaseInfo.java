package io.guestmem.memory;

import java.util.List;

/**
 * A snapshot of one lease.
 *
 * @param allocatedPrivateBytes bytes guestmem allocated on the private backing (pages now PRIVATE)
 * @param allocatedSharedBytes  bytes guestmem allocated on the shared backing (pages now SHARED);
 *                              a page is counted on one side only
 * @param ranges                the page-state map, coalesced
 * @param backend               {@code kvm}, {@code secretmem} or {@code emulated}
 */
public record LeaseInfo(
    String id,
    String backend,
    LeaseMode mode,
    Owner owner,
    String teeKind,
    long size,
    LeaseStatus status,
    long allocatedPrivateBytes,
    long allocatedSharedBytes,
    List<StateRange> ranges) {

  public LeaseInfo {
    ranges = List.copyOf(ranges);
  }

  /** Bytes in {@code state}. */
  public long bytesIn(PageState state) {
    return ranges.stream().filter(r -> r.state() == state).mapToLong(r -> r.range().length()).sum();
  }
}
