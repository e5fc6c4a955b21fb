package io.guestmem.memory;

import io.guestmem.memory.MemoryException.Reason;
import io.guestmem.memory.backend.FileId;
import io.guestmem.memory.backend.MemoryBackend;
import io.guestmem.memory.backend.PrivateBacking;
import io.guestmem.memory.backend.SharedBacking;
import io.guestmem.memory.journal.Journal;
import io.guestmem.memory.journal.LeaseRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guest memory engine: owns the leases of one state directory, orders every private⇄shared
 * conversion, journals it before acknowledging, and enforces that guestmem never maps private
 * memory (see {@link Lease} for the per-request contract and {@link io.guestmem.memory.backend.MemoryBackend}
 * for what each backend guarantees).
 *
 * <p><b>Recovery.</b> {@link #open(EngineConfig)} replays the journal: every lease that was not
 * released comes back with exactly the page states and allocations that were acknowledged. Its
 * fds did not survive (guestmem's fds are close-on-exec and process-local; the emulated backend's
 * memory was on the old heap), so it is marked {@link LeaseStatus#ORPHANED}: its states are kept,
 * never reset, and conversions are refused until it is released, or re-adopted with
 * {@link Lease#readopt(int, int)} from fds that survived (held by the VMM) and are proven to be the
 * same kernel objects. Orphaned memory is not counted against the host quota: guestmem no longer
 * holds it.
 *
 * <p>Thread-safe. One engine per state directory (SQLite would serialize a second one, but two
 * engines would each believe they own the leases).
 */
public final class MemoryEngine implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MemoryEngine.class);
  private static final Pattern TEE_KIND = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,31}");
  /** Largest size {@code KVM_CREATE_GUEST_MEMFD} accepts (guest-memfd.md §2.2). */
  static final long GMEM_MAX_SIZE = 0x7ffffffffffff000L;

  private final EngineConfig config;
  private final MemoryBackend backend;
  private final Journal journal;
  private final String bootId;
  private final Map<String, EngineLease> leases = new ConcurrentHashMap<>();
  private final List<MemoryEventListener> listeners = new CopyOnWriteArrayList<>();
  private final Object quotaLock = new Object();
  private long hostAllocated; // guarded by quotaLock
  private long hostReserved; // guarded by quotaLock
  private RecoveryReport recovery;
  private volatile boolean closed;

  private MemoryEngine(EngineConfig config, MemoryBackend backend, Journal journal) {
    this.config = config;
    this.backend = backend;
    this.journal = journal;
    this.bootId = readBootId();
  }

  /** Opens the engine: picks the backend, opens the journal, recovers the recorded leases. */
  public static MemoryEngine open(EngineConfig config) throws MemoryException {
    MemoryBackend backend = MemoryBackend.forName(config.backend());
    Journal journal;
    try {
      journal = Journal.open(config.stateDir(), config.durability());
    } catch (MemoryException e) {
      backend.close();
      throw e;
    }
    MemoryEngine engine = new MemoryEngine(config, backend, journal);
    try {
      engine.recover();
    } catch (MemoryException | RuntimeException e) {
      journal.close();
      backend.close();
      throw e;
    }
    LOG.info("memory engine open: backend={} ({}), state={}, durability={}, {}, {} records ingested from the record log", backend.name(),
        backend.guarantee(), config.stateDir(), config.durability(), engine.recovery, journal.recoveredFromRecordLog());
    return engine;
  }

  private static String readBootId() {
    try {
      return Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim();
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  private void recover() throws MemoryException {
    long records = 0;
    int restored = 0;
    List<String> orphaned = new ArrayList<>();
    for (LeaseRecord r : journal.leases()) {
      if (r.status() == LeaseStatus.CLOSED) {
        continue;
      }
      PageStateMap map;
      long after = 0;
      Optional<Journal.Snapshot> snap = journal.snapshot(r.id());
      if (snap.isPresent()) {
        try {
          map = PageStateMap.fromSnapshot(r.size(), snap.get().map());
        } catch (IllegalArgumentException e) {
          throw new MemoryException(Reason.JOURNAL_FAILED, "snapshot of lease " + r.id() + " is corrupt: " + e.getMessage(), e);
        }
        after = snap.get().uptoSeq();
      } else {
        map = new PageStateMap(r.size());
      }
      PageStateMap m = map;
      records += journal.replay(r.id(), after, rec -> EngineLease.apply(m, rec));
      LeaseStatus st = r.status();
      if (st != LeaseStatus.ORPHANED) {
        journal.changeStatus(r.id(), LeaseStatus.ORPHANED, MemoryEvent.Kind.LEASE_ORPHANED, null);
        st = LeaseStatus.ORPHANED;
        orphaned.add(r.id());
      }
      if (!r.backend().equals(backend.name())) {
        LOG.warn("lease {} was recorded on the {} backend; this engine runs {}: it can only be released", r.id(),
            r.backend(), backend.name());
      }
      leases.put(r.id(), new EngineLease(this, r.id(), r.size(), r.mode(), r.owner(), r.teeKind(), st, map, null, null,
          false, r.privateId(), r.sharedId(), r.backend().equals(backend.name()) ? r.bootId() : "other-backend:" + r.backend()));
      restored++;
    }
    // Orphaned memory is not ours any more: do not count it against the host quota.
    synchronized (quotaLock) {
      hostAllocated = 0;
    }
    recovery = new RecoveryReport(records, restored, orphaned);
  }

  // ---- package-private services for EngineLease ----

  Journal journal() {
    return journal;
  }

  /** {@code /proc/sys/kernel/random/boot_id} of this boot ("unknown" where there is none). */
  String bootId() {
    return bootId;
  }

  MemoryBackend backend() {
    return backend;
  }

  /** The configuration this engine was opened with. */
  /** The journal's counters (record-log backlog, ingestion, group commits), for metrics. */
  public io.guestmem.memory.journal.JournalStats journalStats() {
    return journal.stats();
  }

  public EngineConfig config() {
    return config;
  }

  void adjustHostAllocated(long delta) {
    synchronized (quotaLock) {
      hostAllocated += delta;
    }
  }

  /** Reserves {@code bytes} against both quotas, or throws QUOTA_EXCEEDED with nothing reserved. */
  void reserve(EngineLease lease, long bytes) throws MemoryException {
    Quotas q = config.quotas();
    synchronized (quotaLock) {
      long leaseWould = lease.allocatedTotal() + lease.reserved + bytes;
      if (leaseWould > q.maxAllocatedPerLease()) {
        throw new MemoryException(Reason.QUOTA_EXCEEDED, "lease " + lease.id() + " would hold " + leaseWould
            + " allocated bytes; its quota is " + q.maxAllocatedPerLease());
      }
      long hostWould = hostAllocated + hostReserved + bytes;
      if (hostWould > q.maxAllocatedPerHost()) {
        throw new MemoryException(Reason.QUOTA_EXCEEDED, "host would hold " + hostWould
            + " allocated bytes; its quota is " + q.maxAllocatedPerHost());
      }
      lease.reserved += bytes;
      hostReserved += bytes;
    }
  }

  void unreserve(EngineLease lease, long bytes) {
    synchronized (quotaLock) {
      lease.reserved -= bytes;
      hostReserved -= bytes;
    }
  }

  void publish(MemoryEvent event) {
    for (MemoryEventListener l : listeners) {
      try {
        l.onEvent(event);
      } catch (RuntimeException e) {
        LOG.warn("memory event listener failed on {} #{}: {}", event.kind(), event.seq(), e.toString());
      }
    }
  }

  /** The lease (other than a released one) whose private backing is {@code id}, if any. */
  Optional<String> leaseHoldingPrivate(FileId id) {
    for (EngineLease l : leases.values()) {
      if (l.status() != LeaseStatus.CLOSED && l.privateFileId().map(id::equals).orElse(false)) {
        return Optional.of(l.id());
      }
    }
    return Optional.empty();
  }

  // ---- public API ----

  /** {@code kvm}, {@code secretmem} or {@code emulated}. */
  public String backendName() {
    return backend.name();
  }

  /** The backend's guarantee, one sentence, for reports. */
  public String guarantee() {
    return backend.guarantee();
  }

  /** True only on {@code kvm}: the kernel refuses every mapping of private memory. */
  public boolean kernelEnforced() {
    return backend.kernelEnforced();
  }

  /** What recovery found when this engine opened. */
  public RecoveryReport recovery() {
    return recovery;
  }

  /** Bytes guestmem has allocated across all leases it holds. */
  public long allocatedBytes() {
    synchronized (quotaLock) {
      return hostAllocated;
    }
  }

  private void live() throws MemoryException {
    if (closed) {
      throw new MemoryException(Reason.LEASE_CLOSED, "memory engine is closed");
    }
  }

  /**
   * Opens a lease. OWNED: creates both backings now. ATTACHED: creates the shared backing; the
   * lease waits in {@link LeaseStatus#AWAITING_FD} for {@link Lease#attachPrivateFd(int)}.
   * Every page starts PRIVATE and unallocated.
   */
  public Lease openLease(LeaseRequest req) throws MemoryException {
    live();
    if (req.size() <= 0) {
      throw new MemoryException(Reason.INVALID_ARGUMENT, "lease size must be positive: " + req.size());
    }
    if (req.size() % PageStateMap.PAGE_SIZE != 0) {
      throw new MemoryException(Reason.UNALIGNED, "lease size " + req.size() + " is not a multiple of 4096");
    }
    if (req.size() > config.quotas().maxLeaseBytes() || req.size() > GMEM_MAX_SIZE) {
      throw new MemoryException(Reason.QUOTA_EXCEEDED, "lease size " + req.size() + " exceeds the maximum "
          + Math.min(config.quotas().maxLeaseBytes(), GMEM_MAX_SIZE));
    }
    if (!TEE_KIND.matcher(req.teeKind()).matches()) {
      throw new MemoryException(Reason.INVALID_ARGUMENT, "TEE kind label must match " + TEE_KIND.pattern());
    }
    if (req.mode() == LeaseMode.ATTACHED && !backend.kernelEnforced()) {
      throw new MemoryException(Reason.UNSUPPORTED, "ATTACHED mode needs the kvm backend; this engine runs " + backend.name());
    }
    synchronized (this) {
      long open = leases.values().stream().filter(l -> l.status() != LeaseStatus.CLOSED).count();
      if (open >= config.quotas().maxLeases()) {
        throw new MemoryException(Reason.QUOTA_EXCEEDED, open + " leases held; the limit is " + config.quotas().maxLeases());
      }
      PrivateBacking priv = null;
      SharedBacking shared = null;
      try {
        if (req.mode() == LeaseMode.OWNED) {
          priv = backend.createPrivate(req.size());
        }
        shared = backend.createShared(req.size());
        String id = "lease-" + UUID.randomUUID();
        LeaseStatus st = req.mode() == LeaseMode.OWNED ? LeaseStatus.OPEN : LeaseStatus.AWAITING_FD;
        LeaseRecord rec = new LeaseRecord(id, req.size(), req.mode(), backend.name(), req.owner(), req.teeKind(), st,
            priv == null ? null : priv.fileId().orElse(null), shared.fileId().orElse(null), bootId);
        long seq = journal.insertLease(rec);
        EngineLease lease = new EngineLease(this, id, req.size(), req.mode(), req.owner(), req.teeKind(), st,
            new PageStateMap(req.size()), priv, shared, true, rec.privateId(), rec.sharedId(), bootId);
        leases.put(id, lease);
        publish(new MemoryEvent(seq, java.time.Instant.now(), id, MemoryEvent.Kind.LEASE_OPENED,
            List.of(new ByteRange(0, req.size())), null));
        return lease;
      } catch (MemoryException | RuntimeException e) {
        if (priv != null) {
          priv.close();
        }
        if (shared != null) {
          shared.close();
        }
        throw e;
      }
    }
  }

  /**
   * Drops a released lease from memory: a long-running service releases leases without end, and
   * its map, locks and backings' bookkeeping are no longer needed. The journal keeps its record,
   * from which {@link #info} and {@link #lease} answer for it (status CLOSED, LEASE_CLOSED).
   */
  void forget(EngineLease lease) {
    leases.remove(lease.id(), lease);
  }

  /** A lease by id: LEASE_NOT_FOUND if unknown, LEASE_CLOSED if released (also across restarts). */
  public Lease lease(String id) throws MemoryException {
    live();
    EngineLease l = id == null ? null : leases.get(id);
    if (l != null) {
      return l;
    }
    if (id != null && journal.status(id).filter(s -> s == LeaseStatus.CLOSED).isPresent()) {
      throw new MemoryException(Reason.LEASE_CLOSED, "lease " + id + " is released");
    }
    throw new MemoryException(Reason.LEASE_NOT_FOUND, "no lease " + id);
  }

  /**
   * A lease this engine holds in memory (open, awaiting its fd, or orphaned), found without reading
   * the journal; empty for any other id (released leases among them), and once the engine is
   * closed. {@link #lease(String)} is the full lookup (it reads the journal to tell a lease released
   * before this engine opened from one that never existed).
   */
  public Optional<Lease> heldLease(String id) {
    return closed || id == null ? Optional.empty() : Optional.ofNullable(leases.get(id));
  }

  /** A lease by id, refused with NOT_OWNER unless {@code callerUid} owns it. */
  public Lease lease(String id, int callerUid) throws MemoryException {
    Lease l = lease(id);
    if (l.owner().uid() != callerUid) {
      throw new MemoryException(Reason.NOT_OWNER, "uid " + callerUid + " does not own lease " + id);
    }
    return l;
  }

  /** Snapshots of every lease this engine holds (open, awaiting fd, orphaned; not released ones). */
  public List<LeaseInfo> leases() {
    List<LeaseInfo> out = new ArrayList<>();
    for (EngineLease l : leases.values()) {
      out.add(l.info());
    }
    out.sort(java.util.Comparator.comparing(LeaseInfo::id));
    return out;
  }

  /**
   * A lease's snapshot. A released lease (no longer held) is described from its journal record:
   * status CLOSED, nothing allocated, no ranges.
   */
  public LeaseInfo info(String id) throws MemoryException {
    live();
    EngineLease l = id == null ? null : leases.get(id);
    if (l != null) {
      return l.info();
    }
    Optional<LeaseRecord> r = id == null ? Optional.empty() : journal.lease(id);
    if (r.isPresent() && r.get().status() == LeaseStatus.CLOSED) {
      LeaseRecord c = r.get();
      return new LeaseInfo(c.id(), c.backend(), c.mode(), c.owner(), c.teeKind(), c.size(), LeaseStatus.CLOSED, 0, 0, List.of());
    }
    return lease(id).info();
  }

  public void convert(String id, List<ByteRange> ranges, PageState to) throws MemoryException {
    lease(id).convert(ranges, to);
  }

  public void allocate(String id, List<ByteRange> ranges) throws MemoryException {
    lease(id).allocate(ranges);
  }

  public void discard(String id, List<ByteRange> ranges) throws MemoryException {
    lease(id).discard(ranges);
  }

  public void attachPrivateFd(String id, int fd) throws MemoryException {
    lease(id).attachPrivateFd(fd);
  }

  public void closeLease(String id) throws MemoryException {
    lease(id).release();
  }

  public void readopt(String id, int privateFd, int sharedFd) throws MemoryException {
    lease(id).readopt(privateFd, sharedFd);
  }

  /** Registers a listener for acknowledged events; close the returned handle to unregister. */
  public AutoCloseable addListener(MemoryEventListener listener) {
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /**
   * Audits one process (normally a registered VMM): reads {@code /proc/<pid>/maps} and
   * {@code /proc/<pid>/fd} and reports every mapping or fd that refers to a lease's private
   * memory. On {@code kvm} none can exist (the kernel refuses the mapping); the audit proves it
   * and would catch an attached fd that lied. The result is appended to the audit log.
   */
  public AuditReport audit(int pid) throws MemoryException {
    live();
    List<EngineLease> held = new ArrayList<>();
    for (EngineLease l : leases.values()) {
      if (l.status() == LeaseStatus.OPEN || l.status() == LeaseStatus.AWAITING_FD) {
        held.add(l);
      }
    }
    AuditReport report = Auditor.audit(pid, backend.name(), held);
    StringBuilder sb = new StringBuilder();
    for (AuditFinding f : report.findings()) {
      sb.append(f.kind()).append(' ').append(f.leaseId()).append(' ').append(f.where()).append('\n');
    }
    journal.recordAudit(pid, report.clean(), sb.toString());
    return report;
  }

  Collection<EngineLease> leaseObjects() {
    return leases.values();
  }

  /**
   * Closes the engine: snapshots every lease's map into the journal (so the next open replays
   * little), closes every backing and the journal. Leases stay recorded (not released): the next
   * engine finds them ORPHANED. Host I/O mappings are unmapped; callers must not use them after.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    long upto;
    try {
      upto = journal.lastSeq();
    } catch (MemoryException e) {
      upto = -1;
    }
    for (EngineLease l : leases.values()) {
      LeaseStatus st = l.status();
      if (st != LeaseStatus.CLOSED && upto >= 0) {
        try {
          journal.writeSnapshot(l.id(), upto, l.mapCopy().toSnapshot());
        } catch (MemoryException e) {
          LOG.warn("snapshot of {} failed; the next open replays its journal instead: {}", l.id(), e.getMessage());
        }
      }
      if (st != LeaseStatus.CLOSED) {
        l.closeBackings(st);
      }
    }
    journal.close();
    backend.close();
  }
}
