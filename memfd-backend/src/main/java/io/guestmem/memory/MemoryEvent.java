package io.guestmem.memory;

import java.time.Instant;
import java.util.List;

/**
 * Something the engine acknowledged, in journal order ({@code seq} increases strictly across the
 * whole engine). Listeners see an event only after its journal record is durable.
 *
 * @param to    the target state for {@link Kind#CONVERTED}, otherwise null
 * @param ranges the ranges the request named (for ALLOCATED: the ranges actually allocated)
 */
public record MemoryEvent(long seq, Instant time, String leaseId, Kind kind, List<ByteRange> ranges, PageState to) {
  public enum Kind { LEASE_OPENED, FD_ATTACHED, CONVERTED, ALLOCATED, DISCARDED, LEASE_CLOSED, LEASE_ORPHANED, LEASE_READOPTED }

  public MemoryEvent {
    ranges = List.copyOf(ranges);
  }
}
