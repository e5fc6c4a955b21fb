package io.guestmem.memory;

import io.guestmem.memory.MemoryException.Reason;
import io.guestmem.memory.backend.Backing;
import io.guestmem.memory.backend.FileId;
import io.guestmem.memory.backend.MappedRegion;
import io.guestmem.memory.backend.PrivateBacking;
import io.guestmem.memory.backend.SharedBacking;
import io.guestmem.memory.journal.Journal;
import io.guestmem.memory.journal.JournalRecord;
import io.guestmem.memory.sys.Errno;
import io.guestmem.memory.sys.ErrnoException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.IntUnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's lease. Every mutating request follows the same ladder, and unwinds it in reverse
 * if a later step fails:
 *
 * <ol>
 *   <li>guards: status, then arguments (alignment, bounds, overlap) — nothing touched yet;
 *   <li>range locks on the request's ranges (overlapping requests wait, FIFO);
 *   <li>under the lease monitor: re-check status and busy mappings, read what will change;
 *   <li>journal record committed (JOURNAL_FAILED: nothing changed);
 *   <li>memory attributes, where guestmem owns a VM that has them (failure: attributes reverted,
 *       record retracted);
 *   <li>page-state map updated under the monitor;
 *   <li>the side that is no longer valid is punched (failure: map reverted, record retracted;
 *       a punch of a validated range does not fail in practice, but if the kernel refused one
 *       midway, the pages already punched would read as zeros under their restored state);
 *   <li>event published, range locks released, call returns = acknowledged.
 * </ol>
 *
 * <p>{@link #tryConvert} climbs the same ladder for a caller that must not wait: it takes its
 * range locks only if nothing queued overlaps them, and its journal record only if the journal is
 * free within a short bound and needs neither fsync nor a checkpoint; otherwise it steps off
 * before step 4, holding and having changed nothing. Snapshots are never taken there: the request
 * that would make one due is declined, so its {@code convert} takes it.
 *
 * <p>Locks: range locks are taken before the lease monitor; the monitor ({@code this}) guards
 * {@code status}, {@code map}, {@code mappings} and the backings' references and is never held
 * across a system call that can block for long (fallocate, mmap) — except {@code munmap} of a
 * mapping being released. The engine's quota lock is never taken while holding the monitor.
 */
final class EngineLease implements Lease {
  private static final Logger LOG = LoggerFactory.getLogger(EngineLease.class);

  /** Most ranges one request may carry. */
  static final int MAX_BATCH = 65_536;
  /** Most ranges {@link #tryConvert} converts without handing the request back (one journal row of ≤ 1 KiB). */
  static final int INLINE_MAX_RANGES = 64;
  /** Most bytes {@link #tryConvert} converts: bounds the hole punches (a 2 MiB punch frees at most one huge page's worth). */
  static final long INLINE_MAX_BYTES = 2L << 20;
  /**
   * Page-state records of one lease between two snapshots of its map (at least; see
   * {@link #maybeSnapshot()}): bounds what recovery replays after a crash (a clean close
   * snapshots every lease anyway).
   */
  static final int SNAPSHOT_EVERY = 4096;
  /** Map size (ranges) at the last snapshot, scaling the interval; guarded by the range lock on the whole lease. */
  private volatile int rangesAtSnapshot;
  /** Whether the last snapshot attempt failed (logged once per streak); guarded by the whole-lease range lock. */
  private boolean snapshotFailing;
  private final java.util.concurrent.atomic.AtomicInteger sinceSnapshot = new java.util.concurrent.atomic.AtomicInteger();

  private final MemoryEngine engine;
  private final String id;
  private final long size;
  private final LeaseMode mode;
  private final Owner owner;
  private final String teeKind;
  private final RangeLocks locks = new RangeLocks();

  private LeaseStatus status; // guarded by this
  private final PageStateMap map; // guarded by this
  private PrivateBacking priv; // guarded by this
  private SharedBacking shared; // guarded by this
  private final List<Mapping> mappings = new ArrayList<>(); // guarded by this
  /** Allocated bytes (private + shared) as in the map; written under this, read by the quota check. */
  private volatile long allocatedTotal;
  /** In-flight quota reservations; guarded by the engine's quota lock. */
  long reserved;
  /** Whether {@link #allocatedTotal} is part of the engine's host counter (not for orphaned leases). Guarded by this. */
  private boolean counted;
  /** Identities and boot recorded when the lease was opened or attached: what re-adoption must match. */
  private FileId recordedPrivate; // guarded by this
  private final FileId recordedShared;
  private final String recordedBoot;

  EngineLease(MemoryEngine engine, String id, long size, LeaseMode mode, Owner owner, String teeKind,
              LeaseStatus status, PageStateMap map, PrivateBacking priv, SharedBacking shared,
              boolean counted, FileId recordedPrivate, FileId recordedShared, String recordedBoot) {
    this.engine = engine;
    this.id = id;
    this.size = size;
    this.mode = mode;
    this.owner = owner;
    this.teeKind = teeKind;
    this.status = status;
    this.map = map;
    this.priv = priv;
    this.shared = shared;
    this.allocatedTotal = map.allocatedPrivateBytes() + map.allocatedSharedBytes();
    this.counted = counted;
    this.recordedPrivate = recordedPrivate;
    this.recordedShared = recordedShared;
    this.recordedBoot = recordedBoot;
  }

  // ---- the three page-state transitions, shared by live requests and journal replay ----

  static IntUnaryOperator toState(PageState to) {
    int target = PageStateMap.encode(to, false);
    return v -> PageStateMap.stateOf(v) == to ? v : target;
  }

  static final IntUnaryOperator MARK_ALLOCATED = v -> v | PageStateMap.ALLOCATED_BIT;
  static final IntUnaryOperator MARK_DISCARDED = v -> v & ~PageStateMap.ALLOCATED_BIT;

  /** Applies one journal record to a map, exactly as the live request changed it. */
  static void apply(PageStateMap m, JournalRecord r) {
    IntUnaryOperator f;
    switch (r.kind()) {
      case CONVERTED:
        f = toState(r.to());
        break;
      case ALLOCATED:
        f = MARK_ALLOCATED;
        break;
      case DISCARDED:
        f = MARK_DISCARDED;
        break;
      default:
        return; // lifecycle records do not touch page states
    }
    for (ByteRange b : r.ranges()) {
      if (b.length() > 0 && b.end() <= m.size()) {
        m.assign(b.offset(), b.end(), f);
      }
    }
  }

  // ---- guards ----

  private void checkUsable() throws MemoryException {
    switch (status) {
      case CLOSED:
        throw new MemoryException(Reason.LEASE_CLOSED, "lease " + id + " is released");
      case ORPHANED:
        throw new MemoryException(Reason.LEASE_QUARANTINED,
            "lease " + id + " lost its fds across a restart; its recorded states are kept but not proven intact");
      case AWAITING_FD:
        throw new MemoryException(Reason.NOT_ATTACHED, "lease " + id + " is waiting for the VMM's guest_memfd");
      default:
        // OPEN
    }
  }

  /** Sorted copy of the request's ranges, after every argument check. */
  private List<ByteRange> validate(List<ByteRange> ranges) throws MemoryException {
    if (ranges == null || ranges.isEmpty()) {
      throw new MemoryException(Reason.INVALID_ARGUMENT, "no ranges given");
    }
    if (ranges.size() > MAX_BATCH) {
      throw new MemoryException(Reason.INVALID_ARGUMENT, ranges.size() + " ranges in one request; at most " + MAX_BATCH);
    }
    List<ByteRange> sorted = new ArrayList<>(ranges.size());
    for (ByteRange r : ranges) {
      if (r == null) {
        throw new MemoryException(Reason.INVALID_ARGUMENT, "null range");
      }
      if (r.length() == 0) {
        throw new MemoryException(Reason.INVALID_ARGUMENT, "range " + r + " is empty");
      }
      if (r.offset() % PageStateMap.PAGE_SIZE != 0 || r.length() % PageStateMap.PAGE_SIZE != 0) {
        throw new MemoryException(Reason.UNALIGNED, "range " + r + " is not 4 KiB aligned");
      }
      if (r.end() > size) {
        throw new MemoryException(Reason.OUT_OF_RANGE, "range " + r + " ends beyond the lease size 0x" + Long.toHexString(size));
      }
      sorted.add(r);
    }
    sorted.sort(Comparator.comparingLong(ByteRange::offset));
    for (int i = 1; i < sorted.size(); i++) {
      if (sorted.get(i - 1).overlaps(sorted.get(i))) {
        throw new MemoryException(Reason.INVALID_ARGUMENT, "ranges " + sorted.get(i - 1) + " and " + sorted.get(i) + " overlap");
      }
    }
    return sorted;
  }

  private void checkNotMapped(List<ByteRange> rs) throws MemoryException {
    for (Mapping m : mappings) {
      for (ByteRange r : rs) {
        if (m.range.overlaps(r)) {
          throw new MemoryException(Reason.RANGE_BUSY, "range " + r + " overlaps " + m.range
              + ", which guestmem has mapped for host I/O");
        }
      }
    }
  }

  private Backing side(PageState s) {
    return s == PageState.PRIVATE ? priv : shared;
  }

  private void updateAllocated() {
    long now = map.allocatedPrivateBytes() + map.allocatedSharedBytes();
    long delta = now - allocatedTotal;
    allocatedTotal = now;
    if (delta != 0 && counted) {
      engine.adjustHostAllocated(delta);
    }
  }

  private void restore(List<StateRange> before) {
    for (StateRange s : before) {
      map.set(s.range().offset(), s.range().end(), s.state(), s.allocated());
    }
    updateAllocated();
  }

  private static MemoryException syscallFailed(String what, ErrnoException e) {
    Reason r = e.errno() == Errno.ENOMEM || e.errno() == Errno.ENOSPC ? Reason.QUOTA_EXCEEDED : Reason.SYSCALL_FAILED;
    return new MemoryException(r, what + ": " + e.getMessage(), e);
  }

  // ---- ConvertibleMemory ----

  @Override
  public long size() {
    return size;
  }

  @Override
  public PageState stateAt(long offset) throws MemoryException {
    if (offset < 0 || offset >= size) {
      throw new MemoryException(Reason.OUT_OF_RANGE, "offset 0x" + Long.toHexString(offset) + " outside lease of 0x" + Long.toHexString(size));
    }
    synchronized (this) {
      if (status == LeaseStatus.CLOSED) {
        throw new MemoryException(Reason.LEASE_CLOSED, "lease " + id + " is released");
      }
      return map.stateAt(offset);
    }
  }

  @Override
  public void convert(List<ByteRange> ranges, PageState to) throws MemoryException {
    List<ByteRange> rs = checkConversion(ranges, to);
    try (RangeLocks.Ticket t = locks.acquire(rs)) {
      applyConversion(rs, to, false);
    }
    maybeSnapshot();
  }

  @Override
  public boolean tryConvert(List<ByteRange> ranges, PageState to) throws MemoryException {
    List<ByteRange> rs = checkConversion(ranges, to);
    if (rs.size() > INLINE_MAX_RANGES || engine.config().durability() != Durability.PROCESS_CRASH
        || sinceSnapshot.get() + 1 >= snapshotInterval()) {
      return false;
    }
    long bytes = 0;
    for (ByteRange r : rs) {
      bytes += r.length(); // no overflow: disjoint ranges inside the lease
    }
    if (bytes > INLINE_MAX_BYTES) {
      return false;
    }
    RangeLocks.Ticket t = locks.tryAcquire(rs);
    if (t == null) {
      return false;
    }
    try (t) {
      return applyConversion(rs, to, true);
    }
  }

  /** The guards of a conversion: usable lease, known target, valid ranges (sorted copy). */
  private List<ByteRange> checkConversion(List<ByteRange> ranges, PageState to) throws MemoryException {
    if (to == null) {
      throw new MemoryException(Reason.INVALID_ARGUMENT, "unknown target state");
    }
    synchronized (this) {
      checkUsable();
    }
    return validate(ranges);
  }

  /**
   * Steps 3–8 of the ladder for a conversion whose range locks are held. With {@code mustNotWait}
   * it returns false, having changed nothing, if the journal is busy ({@link Journal#tryAppend});
   * otherwise it returns true once the conversion is acknowledged.
   */
  private boolean applyConversion(List<ByteRange> rs, PageState to, boolean mustNotWait) throws MemoryException {
    List<StateRange> changing = new ArrayList<>();
    PrivateBacking p;
    synchronized (this) {
      checkUsable();
      if (to == PageState.PRIVATE) {
        checkNotMapped(rs);
      }
      for (ByteRange r : rs) {
        for (StateRange s : map.ranges(r.offset(), r.end())) {
          if (s.state() != to) {
            changing.add(s);
          }
        }
      }
      p = priv;
    }
    long seq;
    if (mustNotWait) {
      seq = engine.journal().tryAppend(id, MemoryEvent.Kind.CONVERTED, to, rs);
      if (seq == Journal.BUSY) {
        return false;
      }
    } else {
      seq = engine.journal().append(id, MemoryEvent.Kind.CONVERTED, to, rs);
    }
    List<StateRange> attrsDone = new ArrayList<>();
    if (p.setsAttributes()) {
      for (StateRange s : changing) {
        try {
          p.setAttributes(s.range().offset(), s.range().length(), to);
          attrsDone.add(s);
        } catch (ErrnoException e) {
          revertAttributes(p, attrsDone);
          engine.journal().retract(seq);
          throw syscallFailed("KVM_SET_MEMORY_ATTRIBUTES", e);
        }
      }
    }
    synchronized (this) {
      IntUnaryOperator f = toState(to);
      for (ByteRange r : rs) {
        map.assign(r.offset(), r.end(), f);
      }
      updateAllocated();
    }
    // Discard the side that is no longer valid, even where guestmem did not allocate: the
    // guest (private) or the VMM (shared) may have faulted pages in.
    for (StateRange s : changing) {
      try {
        side(s.state()).discard(s.range().offset(), s.range().length());
      } catch (ErrnoException e) {
        synchronized (this) {
          restore(changing);
        }
        revertAttributes(p, attrsDone);
        engine.journal().retract(seq);
        throw syscallFailed("discard of " + s.range() + " on the " + s.state().name().toLowerCase() + " side", e);
      }
    }
    engine.publish(new MemoryEvent(seq, Instant.now(), id, MemoryEvent.Kind.CONVERTED, rs, to));
    sinceSnapshot.incrementAndGet();
    return true;
  }

  /** Records between snapshots: {@code max(SNAPSHOT_EVERY, 2 × ranges at the last snapshot)}. */
  private int snapshotInterval() {
    return Math.max(SNAPSHOT_EVERY, 2 * rangesAtSnapshot);
  }

  /**
   * Every {@code max(SNAPSHOT_EVERY, 2 × ranges)} records, stores the map with the journal's last
   * seq. Scaling with the map's size keeps the snapshot's amortized cost per request constant
   * (a snapshot costs O(ranges)) while replay stays bounded by the same number of records. Taken
   * under a range lock on the whole lease, so no request of this lease is between its journal
   * record and its map update: the copy reflects exactly the records up to that seq.
   *
   * <p>Runs after a request has been acknowledged (its record committed, its change applied), so
   * it never fails that request: a snapshot that cannot be written (a full disk) is logged and
   * tried again after the next request. Recovery stays correct without it, only longer.
   */
  private void maybeSnapshot() {
    int every = snapshotInterval();
    if (sinceSnapshot.get() < every) {
      return;
    }
    try (RangeLocks.Ticket t = locks.acquire(List.of(new ByteRange(0, size)))) {
      if (sinceSnapshot.get() < every) {
        return; // another thread took it meanwhile
      }
      PageStateMap copy;
      synchronized (this) {
        if (status != LeaseStatus.OPEN) {
          return;
        }
        copy = map.copy();
      }
      try {
        engine.journal().writeSnapshot(id, engine.journal().lastSeq(), copy.toSnapshot());
      } catch (MemoryException e) {
        if (!snapshotFailing) {
          LOG.warn("lease {}: cannot write its page-state snapshot ({}); the request succeeded, the snapshot is retried", id, e.getMessage());
          snapshotFailing = true;
        }
        return;
      }
      snapshotFailing = false;
      sinceSnapshot.set(0);
      rangesAtSnapshot = copy.rangeCount();
    }
  }

  private static void revertAttributes(PrivateBacking p, List<StateRange> done) {
    for (StateRange s : done) {
      try {
        p.setAttributes(s.range().offset(), s.range().length(), s.state());
      } catch (ErrnoException e) {
        throw new IllegalStateException("cannot restore memory attributes of " + s.range() + ": " + e.getMessage(), e);
      }
    }
  }

  // ---- Lease ----

  @Override
  public String id() {
    return id;
  }

  @Override
  public synchronized LeaseInfo info() {
    return new LeaseInfo(id, engine.backendName(), mode, owner, teeKind, size, status,
        map.allocatedPrivateBytes(), map.allocatedSharedBytes(), map.ranges());
  }

  @Override
  public synchronized List<StateRange> rangePage(long fromOffset, int maxRanges) throws MemoryException {
    if (fromOffset < 0 || maxRanges <= 0) {
      throw new MemoryException(Reason.INVALID_ARGUMENT, "page from " + fromOffset + " of " + maxRanges + " ranges");
    }
    return map.ranges(fromOffset, size, maxRanges);
  }

  @Override
  public synchronized int rangeCount() {
    return map.rangeCount();
  }

  synchronized LeaseStatus status() {
    return status;
  }

  @Override
  public Owner owner() {
    return owner;
  }

  synchronized Optional<FileId> privateFileId() {
    return priv == null ? Optional.empty() : priv.fileId();
  }

  synchronized Optional<FileId> sharedFileId() {
    return shared == null ? Optional.empty() : shared.fileId();
  }

  synchronized String privateKind() {
    return priv == null ? "none" : priv.kind();
  }

  /** The map for snapshots; caller holds no lock (copy taken under the monitor). */
  synchronized PageStateMap mapCopy() {
    return map.copy();
  }

  @Override
  public void attachPrivateFd(int fd) throws MemoryException {
    try (RangeLocks.Ticket t = locks.acquire(List.of(new ByteRange(0, size)))) {
      synchronized (this) {
        if (status == LeaseStatus.CLOSED) {
          throw new MemoryException(Reason.LEASE_CLOSED, "lease " + id + " is released");
        }
        if (status == LeaseStatus.ORPHANED) {
          throw new MemoryException(Reason.LEASE_QUARANTINED, "lease " + id + " is orphaned");
        }
        if (mode != LeaseMode.ATTACHED || status != LeaseStatus.AWAITING_FD) {
          throw new MemoryException(Reason.INVALID_ARGUMENT, "lease " + id + " already has its private backing (" + mode + ")");
        }
      }
      PrivateBacking b = engine.backend().attachPrivate(fd, size);
      try {
        Optional<FileId> fid = b.fileId();
        if (fid.isPresent()) {
          Optional<String> other = engine.leaseHoldingPrivate(fid.get());
          if (other.isPresent()) {
            throw new MemoryException(Reason.BAD_FD, "fd " + fd + " is the private memory of lease " + other.get());
          }
        }
        long seq = engine.journal().changeStatus(id, LeaseStatus.OPEN, MemoryEvent.Kind.FD_ATTACHED, fid.orElse(null));
        synchronized (this) {
          priv = b;
          recordedPrivate = fid.orElse(null);
          status = LeaseStatus.OPEN;
        }
        engine.publish(new MemoryEvent(seq, Instant.now(), id, MemoryEvent.Kind.FD_ATTACHED, List.of(), null));
      } catch (MemoryException e) {
        b.close();
        throw e;
      }
    }
  }

  @Override
  public void allocate(List<ByteRange> ranges) throws MemoryException {
    synchronized (this) {
      checkUsable();
    }
    List<ByteRange> rs = validate(ranges);
    try (RangeLocks.Ticket t = locks.acquire(rs)) {
      List<StateRange> todo = new ArrayList<>();
      synchronized (this) {
        checkUsable();
        for (ByteRange r : rs) {
          for (StateRange s : map.ranges(r.offset(), r.end())) {
            if (!s.allocated()) {
              todo.add(s);
            }
          }
        }
      }
      long needed = todo.stream().mapToLong(s -> s.range().length()).sum();
      if (needed == 0) {
        return; // everything already allocated: nothing to record, nothing counted twice
      }
      engine.reserve(this, needed);
      try {
        List<ByteRange> done = new ArrayList<>();
        ErrnoException failure = null;
        long chunk = engine.config().allocationChunkBytes();
        outer:
        for (StateRange s : todo) {
          Backing b = side(s.state());
          for (long o = s.range().offset(); o < s.range().end(); o += chunk) {
            long len = Math.min(chunk, s.range().end() - o);
            try {
              b.allocate(o, len);
            } catch (ErrnoException e) {
              failure = e;
              break outer;
            }
            addCoalesced(done, new ByteRange(o, len));
          }
        }
        if (!done.isEmpty()) {
          long seq;
          try {
            seq = engine.journal().append(id, MemoryEvent.Kind.ALLOCATED, null, done);
          } catch (MemoryException je) {
            undoAllocation(todo, done);
            throw je;
          }
          synchronized (this) {
            for (ByteRange d : done) {
              map.assign(d.offset(), d.end(), MARK_ALLOCATED);
            }
            updateAllocated();
          }
          engine.publish(new MemoryEvent(seq, Instant.now(), id, MemoryEvent.Kind.ALLOCATED, done, null));
          sinceSnapshot.incrementAndGet();
        }
        if (failure != null) {
          long got = done.stream().mapToLong(ByteRange::length).sum();
          throw syscallFailed("allocation stopped after " + got + " of " + needed + " bytes (progress recorded)", failure);
        }
      } finally {
        engine.unreserve(this, needed);
      }
    }
    maybeSnapshot();
  }

  private static void addCoalesced(List<ByteRange> done, ByteRange r) {
    if (!done.isEmpty() && done.get(done.size() - 1).end() == r.offset()) {
      ByteRange last = done.remove(done.size() - 1);
      done.add(new ByteRange(last.offset(), last.length() + r.length()));
    } else {
      done.add(r);
    }
  }

  /** Frees what a failed-to-record allocation allocated, so the memory matches the journal. */
  private void undoAllocation(List<StateRange> todo, List<ByteRange> done) {
    for (ByteRange d : done) {
      for (StateRange s : todo) {
        long from = Math.max(d.offset(), s.range().offset());
        long to = Math.min(d.end(), s.range().end());
        if (from < to) {
          try {
            side(s.state()).discard(from, to - from);
          } catch (ErrnoException e) {
            throw new IllegalStateException("cannot free unrecorded allocation " + new ByteRange(from, to - from), e);
          }
        }
      }
    }
  }

  @Override
  public void discard(List<ByteRange> ranges) throws MemoryException {
    synchronized (this) {
      checkUsable();
    }
    List<ByteRange> rs = validate(ranges);
    try (RangeLocks.Ticket t = locks.acquire(rs)) {
      List<StateRange> before = new ArrayList<>();
      synchronized (this) {
        checkUsable();
        checkNotMapped(rs);
        for (ByteRange r : rs) {
          before.addAll(map.ranges(r.offset(), r.end()));
        }
      }
      long seq = engine.journal().append(id, MemoryEvent.Kind.DISCARDED, null, rs);
      synchronized (this) {
        for (ByteRange r : rs) {
          map.assign(r.offset(), r.end(), MARK_DISCARDED);
        }
        updateAllocated();
      }
      for (StateRange s : before) {
        try {
          side(s.state()).discard(s.range().offset(), s.range().length());
        } catch (ErrnoException e) {
          synchronized (this) {
            restore(before);
          }
          engine.journal().retract(seq);
          throw syscallFailed("discard of " + s.range(), e);
        }
      }
      engine.publish(new MemoryEvent(seq, Instant.now(), id, MemoryEvent.Kind.DISCARDED, rs, null));
      sinceSnapshot.incrementAndGet();
    }
    maybeSnapshot();
  }

  @Override
  public HostMapping mapShared(ByteRange range) throws MemoryException {
    synchronized (this) {
      checkUsable();
    }
    List<ByteRange> rs = validate(List.of(range));
    try (RangeLocks.Ticket t = locks.acquire(rs)) {
      SharedBacking s;
      synchronized (this) {
        checkUsable();
        if (map.anyIn(range.offset(), range.end(), PageState.PRIVATE)) {
          throw new MemoryException(Reason.RANGE_NOT_SHARED, "range " + range + " has PRIVATE pages; only SHARED memory can be mapped");
        }
        s = shared;
      }
      MappedRegion region;
      try {
        region = s.map(range.offset(), range.length());
      } catch (ErrnoException e) {
        throw syscallFailed("mmap of shared range " + range, e);
      }
      Mapping m = new Mapping(range, region);
      synchronized (this) {
        mappings.add(m);
      }
      return m;
    }
  }

  /** Allocated bytes as in the map, readable without the monitor (quota checks). */
  long allocatedTotal() {
    return allocatedTotal;
  }

  synchronized int openMappings() {
    return mappings.size();
  }

  @Override
  public synchronized OptionalInt sharedFd() {
    return shared == null ? OptionalInt.empty() : shared.fd();
  }

  @Override
  public synchronized OptionalInt privateFd() {
    return priv == null ? OptionalInt.empty() : priv.fd();
  }

  @Override
  public void release() throws MemoryException {
    try (RangeLocks.Ticket t = locks.acquire(List.of(new ByteRange(0, size)))) {
      synchronized (this) {
        if (status == LeaseStatus.CLOSED) {
          throw new MemoryException(Reason.LEASE_CLOSED, "lease " + id + " is already released");
        }
        if (!mappings.isEmpty()) {
          throw new MemoryException(Reason.RANGE_BUSY, "lease " + id + " has " + mappings.size() + " host I/O mapping(s) open");
        }
      }
      long seq = engine.journal().changeStatus(id, LeaseStatus.CLOSED, MemoryEvent.Kind.LEASE_CLOSED, null);
      closeBackings(LeaseStatus.CLOSED);
      engine.forget(this);
      engine.publish(new MemoryEvent(seq, Instant.now(), id, MemoryEvent.Kind.LEASE_CLOSED, List.of(), null));
    }
  }

  @Override
  public void readopt(int privateFd, int sharedFd) throws MemoryException {
    try (RangeLocks.Ticket t = locks.acquire(List.of(new ByteRange(0, size)))) {
      FileId expectPrivate;
      synchronized (this) {
        if (status == LeaseStatus.CLOSED) {
          throw new MemoryException(Reason.LEASE_CLOSED, "lease " + id + " is released");
        }
        if (status != LeaseStatus.ORPHANED) {
          throw new MemoryException(Reason.INVALID_ARGUMENT, "lease " + id + " is " + status + ", not orphaned");
        }
        expectPrivate = recordedPrivate;
      }
      if (recordedBoot != null && recordedBoot.startsWith("other-backend:")) {
        throw new MemoryException(Reason.UNSUPPORTED, "lease " + id + " was recorded on the "
            + recordedBoot.substring("other-backend:".length()) + " backend; this engine runs " + engine.backendName());
      }
      if (!engine.bootId().equals(recordedBoot)) {
        throw new MemoryException(Reason.BAD_FD, "lease " + id + " was recorded in boot " + recordedBoot
            + "; inode identities do not carry across a reboot");
      }
      PrivateBacking p = engine.backend().adoptPrivate(privateFd, size, expectPrivate);
      SharedBacking s;
      try {
        s = engine.backend().adoptShared(sharedFd, size, recordedShared);
      } catch (MemoryException e) {
        p.close();
        throw e;
      }
      long seq;
      try {
        seq = engine.journal().changeStatus(id, LeaseStatus.OPEN, MemoryEvent.Kind.LEASE_READOPTED, null);
      } catch (MemoryException e) {
        p.close();
        s.close();
        throw e;
      }
      synchronized (this) {
        priv = p;
        shared = s;
        status = LeaseStatus.OPEN;
        counted = true;
        engine.adjustHostAllocated(allocatedTotal);
      }
      engine.publish(new MemoryEvent(seq, Instant.now(), id, MemoryEvent.Kind.LEASE_READOPTED, List.of(), null));
    }
  }

  /** Closes the fds and stops counting this lease's memory; used by release and engine shutdown. */
  void closeBackings(LeaseStatus newStatus) {
    PrivateBacking p;
    SharedBacking s;
    List<Mapping> open;
    synchronized (this) {
      status = newStatus;
      p = priv;
      s = shared;
      open = new ArrayList<>(mappings);
      mappings.clear();
      if (counted) {
        engine.adjustHostAllocated(-allocatedTotal);
        counted = false;
      }
    }
    for (Mapping m : open) {
      m.region.close();
    }
    if (p != null) {
      p.close();
    }
    if (s != null) {
      s.close();
    }
  }

  /** A guestmem host I/O mapping of a SHARED range. */
  private final class Mapping implements HostMapping {
    private final ByteRange range;
    private final MappedRegion region;

    Mapping(ByteRange range, MappedRegion region) {
      this.range = range;
      this.region = region;
    }

    @Override
    public ByteRange range() {
      return range;
    }

    private long rel(long offset, int len) {
      if (len < 0 || offset < range.offset() || offset > range.end() - len) { // no overflow: end - len >= 0
        throw new IndexOutOfBoundsException("[0x" + Long.toHexString(offset) + ", +" + len + ") outside mapped " + range);
      }
      return offset - range.offset();
    }

    @Override
    public void read(long offset, byte[] dst) {
      region.read(rel(offset, dst.length), dst);
    }

    @Override
    public void write(long offset, byte[] src) {
      region.write(rel(offset, src.length), src);
    }

    @Override
    public void close() {
      boolean removed;
      synchronized (EngineLease.this) {
        removed = mappings.remove(this);
      }
      if (removed) {
        region.close();
      }
    }
  }
}
