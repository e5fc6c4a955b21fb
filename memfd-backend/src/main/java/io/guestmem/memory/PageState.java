package io.guestmem.memory;

/** The state of a 4 KiB guest page: who may use it. */
public enum PageState {
  /** Guest-only: backed by the private backing (guest_memfd); host userspace never maps it. */
  PRIVATE,
  /** Shared with the host: backed by the shared memfd the VMM maps. */
  SHARED
}
