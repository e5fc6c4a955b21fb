package io.guestmem.memory;

/**
 * One range of a lease's page-state map: every page in {@code range} is in {@code state}, and
 * {@code allocated} says whether guestmem allocated it on that state's backing.
 */
public record StateRange(ByteRange range, PageState state, boolean allocated) {
  public StateRange {
    if (range == null || state == null) {
      throw new NullPointerException("range and state are required");
    }
  }
}
