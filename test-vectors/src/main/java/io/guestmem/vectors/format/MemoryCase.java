package io.guestmem.vectors.format;

import java.util.List;
import java.util.Objects;

/**
 * A sequence of operations on one fresh OWNED lease of {@code leaseSize} bytes, run on each of
 * {@code backends} ({@code emulated}, {@code kvm}) that the host has; every step must give its
 * expected outcome, in order.
 */
public record MemoryCase(String id, String comment, List<String> tags, long leaseSize, List<String> backends,
    List<MemoryStep> steps) implements VectorCase {
  public static final List<String> BACKENDS = List.of("emulated", "kvm");

  public MemoryCase {
    Objects.requireNonNull(id);
    Objects.requireNonNull(comment);
    tags = List.copyOf(tags);
    backends = List.copyOf(backends);
    steps = List.copyOf(steps);
  }
}
