package io.guestmem.vectors.format;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One operation on a lease and what it must give. {@code expect} is {@code ok} or the name of a
 * {@code io.guestmem.memory.MemoryException.Reason} (e.g. {@code UNALIGNED}). Operations:
 *
 * <ul>
 *   <li>{@code convert} {@code ranges} {@code to} PRIVATE|SHARED; {@code allocate}, {@code discard} {@code ranges};
 *   <li>{@code state}: the page at {@code offset} must be in {@code state};
 *   <li>{@code info}: the lease snapshot must have the given byte counts (each optional):
 *       {@code privateBytes}, {@code sharedBytes}, {@code allocatedPrivateBytes},
 *       {@code allocatedSharedBytes}, and {@code rangeCount} coalesced ranges;
 *   <li>{@code map}: map {@code ranges[0]} for host I/O (kept open until {@code unmap});
 *   <li>{@code write} / {@code read}: {@code hex} bytes at lease {@code offset} through the open mapping
 *       ({@code read} compares);
 *   <li>{@code unmap}; {@code release}.
 * </ul>
 */
public record MemoryStep(
    Op op, List<long[]> ranges, Optional<String> to, long offset, Optional<String> state, Optional<String> hex,
    java.util.Map<String, Long> info, String expect) {
  /** The operations. */
  public enum Op {
    CONVERT, ALLOCATE, DISCARD, STATE, INFO, MAP, WRITE, READ, UNMAP, RELEASE;

    public String jsonName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public static final List<String> INFO_KEYS = List.of("privateBytes", "sharedBytes", "allocatedPrivateBytes",
      "allocatedSharedBytes", "rangeCount");

  public MemoryStep {
    Objects.requireNonNull(op);
    ranges = ranges.stream().map(long[]::clone).toList();
    info = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(info));
    Objects.requireNonNull(expect);
  }

  @Override
  public List<long[]> ranges() {
    return ranges.stream().map(long[]::clone).toList();
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(op.jsonName());
    for (long[] r : ranges) {
      sb.append(String.format(" [0x%x,+0x%x)", r[0], r[1]));
    }
    to.ifPresent(t -> sb.append(" -> ").append(t));
    if (op == Op.STATE || op == Op.WRITE || op == Op.READ) {
      sb.append(String.format(" @0x%x", offset));
    }
    return sb.toString();
  }
}
