package io.guestmem.tdx.emu;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Secure-EPT states as a range map over page numbers: sorted, coalesced, non-FREE intervals only,
 * so a terabyte TD costs nothing until pages are mapped. Not thread-safe; the owning {@link
 * EmulatedTd} guards it.
 */
final class SeptMap {
  private record Run(long end, SeptState state) {}

  private final TreeMap<Long, Run> runs = new TreeMap<>();

  SeptState get(long page) {
    Map.Entry<Long, Run> e = runs.floorEntry(page);
    return e != null && page < e.getValue().end ? e.getValue().state : SeptState.FREE;
  }

  /** Sets pages {@code [from, to)} to {@code state}. */
  void set(long from, long to, SeptState state) {
    if (from >= to) {
      return;
    }
    // Split runs that straddle the boundaries, then drop everything inside.
    split(from);
    split(to);
    runs.subMap(from, true, to, false).clear();
    if (state != SeptState.FREE) {
      runs.put(from, new Run(to, state));
    }
    coalesce(from);
    coalesce(to);
  }

  private void split(long at) {
    Map.Entry<Long, Run> e = runs.lowerEntry(at);
    if (e != null && e.getValue().end > at) {
      Run r = e.getValue();
      runs.put(e.getKey(), new Run(at, r.state));
      runs.put(at, new Run(r.end, r.state));
    }
  }

  private void coalesce(long at) {
    Map.Entry<Long, Run> right = runs.ceilingEntry(at);
    Map.Entry<Long, Run> left = runs.lowerEntry(at);
    if (left != null && right != null && left.getValue().end == right.getKey() && left.getValue().state == right.getValue().state) {
      runs.remove(right.getKey());
      runs.put(left.getKey(), new Run(right.getValue().end, left.getValue().state));
    }
  }

  /** The non-FREE intervals, as {@code [from, to, state]} triples for logs and tests. */
  List<String> describe() {
    List<String> out = new ArrayList<>();
    runs.forEach((k, v) -> out.add(String.format("[0x%x, 0x%x) %s", k * EmulatedTd.PAGE_SIZE, v.end * EmulatedTd.PAGE_SIZE, v.state)));
    return out;
  }

  /** Number of pages in {@code state} (FREE is not counted). */
  long count(SeptState state) {
    long n = 0;
    for (var e : runs.entrySet()) {
      if (e.getValue().state == state) {
        n += e.getValue().end - e.getKey();
      }
    }
    return n;
  }
}
