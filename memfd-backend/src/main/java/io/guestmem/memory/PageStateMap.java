package io.guestmem.memory;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * The page-state map of one lease: for every 4 KiB page, {@link PageState} and whether guestmem
 * has allocated it, stored as sorted, coalesced ranges.
 *
 * <p><b>Model.</b> The lease {@code [0, size)} is cut into ranges {@code [start[i], start[i+1])}
 * (the last one ends at {@code size}); {@code start[0] == 0}, starts strictly increase, every
 * start is page-aligned, and two neighbouring ranges never carry the same value (they are merged
 * the moment they would). Memory therefore grows with the number of ranges, never with the number
 * of pages: a range costs one {@code long} and one {@code byte} (plus growth slack), see
 * {@link #retainedBytes()}.
 *
 * <p><b>Value encoding.</b> One byte per range: bit 0 = {@link PageState#SHARED} (clear means
 * PRIVATE), bit 1 = allocated by guestmem on the side the state names (the private backing for a
 * PRIVATE page, the shared backing for a SHARED page). Nothing else is stored: a page is never
 * accounted on both sides.
 *
 * <p><b>Cost.</b> The two arrays are a gap buffer: flat primitive arrays with one hole that
 * follows the last edit. Lookup is a binary search, O(log n). {@link #assign} splits at most two
 * ranges and merges with at most two neighbours, then moves the gap to the edit: O(log n + k + d)
 * where k is the number of ranges in the window and d the distance (in ranges) from the previous
 * edit, a {@code memmove}. Conversions that walk a lease in order (MapGPA chunks, PSC batches)
 * therefore cost O(log n) however many ranges the map holds.
 *
 * <p>Not thread-safe: the engine guards each map with its lease's monitor.
 */
public final class PageStateMap {
  /** The page size every offset and length must be a multiple of. */
  public static final long PAGE_SIZE = 4096;

  static final int SHARED_BIT = 1;
  static final int ALLOCATED_BIT = 2;

  /** Bytes of one object header plus alignment on a 64-bit JVM with compressed oops (upper bound). */
  private static final long OBJECT_HEADER = 16;
  /** Bytes of an array header on a 64-bit JVM (upper bound: mark, klass, length, padding). */
  private static final long ARRAY_HEADER = 24;

  private final long size;
  /** Physical storage; logical range i lives at {@link #phys(int)}. */
  private long[] starts;
  private byte[] values;
  /** Logical number of ranges. */
  private int count;
  /** The gap: physical slots [gapStart, gapStart + gapLen) are unused. */
  private int gapStart;
  private int gapLen;
  private long allocatedPrivate;
  private long allocatedShared;

  /** A map of {@code size} bytes, all PRIVATE and unallocated. */
  public PageStateMap(long size) {
    if (size <= 0 || size % PAGE_SIZE != 0) {
      throw new IllegalArgumentException("size must be a positive multiple of 4096: " + size);
    }
    this.size = size;
    this.starts = new long[4];
    this.values = new byte[4];
    this.count = 1;
    this.gapStart = 1;
    this.gapLen = 3;
  }

  private PageStateMap(long size, long[] starts, byte[] values, int count) {
    this.size = size;
    this.starts = starts;
    this.values = values;
    this.count = count;
    this.gapStart = count;
    this.gapLen = starts.length - count;
    for (int i = 0; i < count; i++) {
      account(values[i], end(i) - starts[i]);
    }
  }

  private int phys(int i) {
    return i < gapStart ? i : i + gapLen;
  }

  private long startOf(int i) {
    return starts[phys(i)];
  }

  private int valueOf(int i) {
    return values[phys(i)];
  }

  /** Encodes a state and an allocation flag as the one-byte range value. */
  static int encode(PageState state, boolean allocated) {
    return (state == PageState.SHARED ? SHARED_BIT : 0) | (allocated ? ALLOCATED_BIT : 0);
  }

  static PageState stateOf(int value) {
    return (value & SHARED_BIT) != 0 ? PageState.SHARED : PageState.PRIVATE;
  }

  static boolean allocatedOf(int value) {
    return (value & ALLOCATED_BIT) != 0;
  }

  public long size() {
    return size;
  }

  /** Number of ranges (at least 1). */
  public int rangeCount() {
    return count;
  }

  /** Bytes that guestmem allocated on the private backing (pages currently PRIVATE). */
  public long allocatedPrivateBytes() {
    return allocatedPrivate;
  }

  /** Bytes that guestmem allocated on the shared backing (pages currently SHARED). */
  public long allocatedSharedBytes() {
    return allocatedShared;
  }

  public PageState stateAt(long offset) {
    return stateOf(valueOf(indexOf(checkOffset(offset))));
  }

  public boolean allocatedAt(long offset) {
    return allocatedOf(valueOf(indexOf(checkOffset(offset))));
  }

  private long checkOffset(long offset) {
    if (offset < 0 || offset >= size) {
      throw new IndexOutOfBoundsException("offset " + offset + " outside [0, " + size + ")");
    }
    return offset;
  }

  private long end(int i) {
    return i + 1 < count ? startOf(i + 1) : size;
  }

  /** Index of the range containing {@code offset} (binary search). */
  private int indexOf(long offset) {
    int lo = 0;
    int hi = count - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (startOf(mid) <= offset) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  private void account(int value, long bytes) {
    if (allocatedOf(value)) {
      if (stateOf(value) == PageState.SHARED) {
        allocatedShared += bytes;
      } else {
        allocatedPrivate += bytes;
      }
    }
  }

  /** Sets every page of {@code [from, to)} to {@code state}, keeping or clearing allocation as given. */
  public void set(long from, long to, PageState state, boolean allocated) {
    int v = encode(state, allocated);
    assign(from, to, old -> v);
  }

  /**
   * Replaces the value of every page in {@code [from, to)} by {@code f(old value)}, splitting the
   * ranges at the window's edges and merging equal neighbours afterwards. {@code from} and
   * {@code to} must be page-aligned with {@code 0 <= from < to <= size}; {@code f} must return a
   * value in {@code [0, 3]}.
   */
  public void assign(long from, long to, IntUnaryOperator f) {
    if (from < 0 || to > size || from >= to || from % PAGE_SIZE != 0 || to % PAGE_SIZE != 0) {
      throw new IllegalArgumentException("bad window [" + from + ", " + to + ") for size " + size);
    }
    int i0 = indexOf(from);
    int i1 = indexOf(to - 1);
    // Widen the window by one neighbour on each side so that merging is local to it.
    int lo = i0 > 0 ? i0 - 1 : i0;
    int hi = i1 + 1 < count ? i1 + 1 : i1;
    int cap = (hi - lo + 1) + 2;
    long[] ns = new long[cap];
    byte[] nv = new byte[cap];
    int n = 0;
    for (int i = lo; i <= hi; i++) {
      long s = startOf(i);
      long e = end(i);
      int old = valueOf(i);
      account(old, -(e - s));
      // Up to three pieces per range: before the window, inside it, after it.
      if (s < from) {
        n = push(ns, nv, n, s, old);
      }
      long is = Math.max(s, from);
      long ie = Math.min(e, to);
      if (is < ie) {
        int nvv = f.applyAsInt(old);
        if (nvv < 0 || nvv > 3) {
          throw new IllegalArgumentException("range value out of [0, 3]: " + nvv);
        }
        n = push(ns, nv, n, is, nvv);
      }
      if (e > to) {
        n = push(ns, nv, n, Math.max(to, s), old);
      }
    }
    long windowEnd = end(hi);
    // Re-account the rebuilt window.
    for (int k = 0; k < n; k++) {
      long e = k + 1 < n ? ns[k + 1] : windowEnd;
      account(nv[k], e - ns[k]);
    }
    splice(lo, hi, ns, nv, n);
  }

  /** Appends a piece, merging it into the previous one when the values are equal. */
  private static int push(long[] ns, byte[] nv, int n, long start, int value) {
    if (n > 0 && nv[n - 1] == value) {
      return n;
    }
    ns[n] = start;
    nv[n] = (byte) value;
    return n + 1;
  }

  /** Replaces ranges {@code [lo, hi]} by the {@code n} pieces given, at the gap. */
  private void splice(int lo, int hi, long[] ns, byte[] nv, int n) {
    moveGap(lo);
    int removed = hi - lo + 1;
    gapLen += removed; // logical lo..hi sat right after the gap
    count -= removed;
    if (gapLen < n) {
      int cap = starts.length;
      int newCap = Math.max(count + n + 4, cap + (cap >> 1));
      long[] s2 = new long[newCap];
      byte[] v2 = new byte[newCap];
      int tail = cap - (gapStart + gapLen);
      System.arraycopy(starts, 0, s2, 0, gapStart);
      System.arraycopy(values, 0, v2, 0, gapStart);
      System.arraycopy(starts, gapStart + gapLen, s2, newCap - tail, tail);
      System.arraycopy(values, gapStart + gapLen, v2, newCap - tail, tail);
      starts = s2;
      values = v2;
      gapLen = newCap - tail - gapStart;
    }
    System.arraycopy(ns, 0, starts, gapStart, n);
    System.arraycopy(nv, 0, values, gapStart, n);
    gapStart += n;
    gapLen -= n;
    count += n;
    if (starts.length > 64 && count < starts.length / 4) {
      compact(Math.max(count * 2, 4));
    }
  }

  /** Moves the gap so that it starts at logical index {@code at}. */
  private void moveGap(int at) {
    if (at < gapStart) {
      int k = gapStart - at;
      System.arraycopy(starts, at, starts, at + gapLen, k);
      System.arraycopy(values, at, values, at + gapLen, k);
    } else if (at > gapStart) {
      int k = at - gapStart;
      System.arraycopy(starts, gapStart + gapLen, starts, gapStart, k);
      System.arraycopy(values, gapStart + gapLen, values, gapStart, k);
    }
    gapStart = at;
  }

  /** Rebuilds the arrays at {@code newCap} slots with the gap at the end. */
  private void compact(int newCap) {
    long[] s2 = new long[newCap];
    byte[] v2 = new byte[newCap];
    System.arraycopy(starts, 0, s2, 0, gapStart);
    System.arraycopy(values, 0, v2, 0, gapStart);
    int tail = count - gapStart;
    System.arraycopy(starts, gapStart + gapLen, s2, gapStart, tail);
    System.arraycopy(values, gapStart + gapLen, v2, gapStart, tail);
    starts = s2;
    values = v2;
    gapStart = count;
    gapLen = newCap - count;
  }

  /** Every range, in order. */
  public List<StateRange> ranges() {
    return ranges(0, size);
  }

  /** The ranges overlapping {@code [from, to)}, clipped to it, in order. */
  public List<StateRange> ranges(long from, long to) {
    return ranges(from, to, Integer.MAX_VALUE);
  }

  /** At most {@code max} of the ranges overlapping {@code [from, to)}, clipped to it, in order. */
  public List<StateRange> ranges(long from, long to, int max) {
    List<StateRange> out = new ArrayList<>();
    if (from >= to || max <= 0 || from >= size) {
      return out;
    }
    for (int i = indexOf(Math.max(0, from)); i < count && startOf(i) < to && out.size() < max; i++) {
      long s = Math.max(startOf(i), from);
      long e = Math.min(end(i), to);
      if (s < e) {
        int v = valueOf(i);
        out.add(new StateRange(new ByteRange(s, e - s), stateOf(v), allocatedOf(v)));
      }
    }
    return out;
  }

  /** Bytes in {@code [from, to)} whose value satisfies {@code (value & mask) == match}. */
  public long bytesMatching(long from, long to, int mask, int match) {
    long total = 0;
    for (int i = indexOf(Math.max(0, from)); i < count && startOf(i) < to; i++) {
      if ((valueOf(i) & mask) == match) {
        total += Math.min(end(i), to) - Math.max(startOf(i), from);
      }
    }
    return total;
  }

  /** True if any page in {@code [from, to)} is in {@code state}. */
  public boolean anyIn(long from, long to, PageState state) {
    return bytesMatching(from, to, SHARED_BIT, encode(state, false)) > 0;
  }

  /**
   * Heap bytes retained by this map, computed from the structure itself: object header and
   * fields, plus both arrays at their current capacity. This is what the 1 TiB bound is measured
   * with; it is an upper bound for a 64-bit HotSpot JVM with compressed oops.
   */
  public long retainedBytes() {
    long fields = OBJECT_HEADER + 8 /* size */ + 4 + 4 /* two refs */ + 4 + 4 + 4 /* count, gap */ + 16 /* counters */;
    return fields + ARRAY_HEADER + 8L * starts.length + ARRAY_HEADER + values.length;
  }

  /** Capacity of the backing arrays (ranges storable without growing). */
  public int capacity() {
    return starts.length;
  }

  /** A deep copy (compacted: the copy's gap is at its end). */
  public PageStateMap copy() {
    long[] s2 = new long[Math.max(4, count)];
    byte[] v2 = new byte[Math.max(4, count)];
    for (int i = 0; i < count; i++) {
      s2[i] = startOf(i);
      v2[i] = (byte) valueOf(i);
    }
    return new PageStateMap(size, s2, v2, count);
  }

  /**
   * Compact binary form for snapshots: {@code count}, then {@code count} × (start, value).
   * Read back with {@link #fromSnapshot(long, byte[])}.
   */
  public byte[] toSnapshot() {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 + count * 9);
    b.putInt(count);
    for (int i = 0; i < count; i++) {
      b.putLong(startOf(i));
      b.put((byte) valueOf(i));
    }
    return b.array();
  }

  /** Rebuilds a map from {@link #toSnapshot()}, checking every invariant. */
  public static PageStateMap fromSnapshot(long size, byte[] snapshot) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(snapshot);
    if (snapshot.length < 4) {
      throw new IllegalArgumentException("snapshot truncated at offset 0");
    }
    int n = b.getInt();
    if (n < 1 || snapshot.length != 4 + 9L * n) {
      throw new IllegalArgumentException("snapshot length " + snapshot.length + " does not hold " + n + " ranges");
    }
    long[] s = new long[Math.max(4, n)];
    byte[] v = new byte[Math.max(4, n)];
    for (int i = 0; i < n; i++) {
      s[i] = b.getLong();
      v[i] = b.get();
      boolean ok = (i == 0 ? s[i] == 0 : s[i] > s[i - 1] && v[i] != v[i - 1])
          && s[i] % PAGE_SIZE == 0 && s[i] < size && v[i] >= 0 && v[i] <= 3;
      if (!ok) {
        throw new IllegalArgumentException("snapshot range " + i + " at offset " + (4 + 9 * i) + " breaks the map invariants");
      }
    }
    return new PageStateMap(size, s, v, n);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof PageStateMap)) {
      return false;
    }
    PageStateMap m = (PageStateMap) o;
    if (m.size != size || m.count != count) {
      return false;
    }
    for (int i = 0; i < count; i++) {
      if (m.startOf(i) != startOf(i) || m.valueOf(i) != valueOf(i)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = Long.hashCode(size) * 31 + count;
    for (int i = 0; i < count; i++) {
      h = h * 31 + Long.hashCode(startOf(i)) * 7 + valueOf(i);
    }
    return h;
  }

  @Override
  public String toString() {
    return "PageStateMap{size=" + size + ", ranges=" + count + "}";
  }
}
