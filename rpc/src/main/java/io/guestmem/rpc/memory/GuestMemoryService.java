package io.guestmem.rpc.memory;

import com.google.protobuf.Timestamp;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.guestmem.memory.AuditFinding;
import io.guestmem.memory.AuditReport;
import io.guestmem.memory.ByteRange;
import io.guestmem.memory.Lease;
import io.guestmem.memory.LeaseInfo;
import io.guestmem.memory.LeaseMode;
import io.guestmem.memory.LeaseRequest;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryEvent;
import io.guestmem.memory.MemoryEventListener;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.Owner;
import io.guestmem.memory.PageState;
import io.guestmem.memory.StateRange;
import io.guestmem.rpc.auth.Caller;
import io.guestmem.rpc.auth.LeaseActor;
import io.guestmem.rpc.errors.BlockingCalls;
import io.guestmem.rpc.errors.ErrorMapper;
import io.guestmem.rpc.fdchannel.AttachWaiters;
import io.guestmem.rpc.fdchannel.HandoffTokens;
import io.guestmem.rpc.v1.AllocateRequest;
import io.guestmem.rpc.v1.AllocateResponse;
import io.guestmem.rpc.v1.AttachPrivateMemoryRequest;
import io.guestmem.rpc.v1.AuditRequest;
import io.guestmem.rpc.v1.AuditResponse;
import io.guestmem.rpc.v1.CloseLeaseRequest;
import io.guestmem.rpc.v1.CloseLeaseResponse;
import io.guestmem.rpc.v1.ConvertRequest;
import io.guestmem.rpc.v1.ConvertResponse;
import io.guestmem.rpc.v1.DiscardRequest;
import io.guestmem.rpc.v1.DiscardResponse;
import io.guestmem.rpc.v1.GetLeaseRequest;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.LeaseEvent;
import io.guestmem.rpc.v1.LeaseStatus;
import io.guestmem.rpc.v1.OpenLeaseRequest;
import io.guestmem.rpc.v1.OpenLeaseResponse;
import io.guestmem.rpc.v1.TeeKind;
import io.guestmem.rpc.v1.WatchLeaseRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code guestmem.v1.GuestMemory}: translates requests into {@link MemoryEngine} calls. Requests
 * are validated here for shape (enums, presence) and by the engine for semantics (alignment,
 * bounds, state); a lease belongs to the uid that opened it, and only local (unix-socket)
 * callers and TCP callers mapped to an operator may use this service at all ({@link Caller#leaseActor}).
 * Root is an operator when configured so.
 */
public final class GuestMemoryService extends GuestMemoryGrpc.GuestMemoryImplBase {
  public static final int DEFAULT_PAGE_SIZE = 1000;
  public static final int MAX_PAGE_SIZE = 10_000;
  /** Backlog per WatchLease stream; a client that falls further behind is cut off with RESOURCE_EXHAUSTED. */
  static final int WATCH_BACKLOG = 4096;

  private final MemoryEngine engine;
  private final HandoffTokens tokens;
  private final AttachWaiters attachWaiters;
  private final boolean rootIsOperator;
  private final ExecutorService blocking;

  /**
   * @param blocking where journal-bound work runs, so that it never blocks a transport thread
   */
  public GuestMemoryService(MemoryEngine engine, HandoffTokens tokens, AttachWaiters attachWaiters,
                            boolean rootIsOperator, ExecutorService blocking) {
    this.engine = engine;
    this.tokens = tokens;
    this.attachWaiters = attachWaiters;
    this.rootIsOperator = rootIsOperator;
    this.blocking = blocking;
  }

  @FunctionalInterface
  private interface Body<R> {
    R run(LeaseActor peer) throws MemoryException;
  }

  /** Runs {@code body} on the blocking pool for a local caller; every failure becomes a status. */
  private <R> void unary(StreamObserver<R> out, Body<R> body) {
    LeaseActor peer = Caller.current().leaseActor(rootIsOperator).orElse(null);
    if (peer == null) {
      out.onError(localOnly());
      return;
    }
    BlockingCalls.unary(blocking, out, () -> body.run(peer));
  }

  private static StatusRuntimeException localOnly() {
    return ErrorMapper.status(Status.Code.PERMISSION_DENIED, ErrorMapper.LOCAL_CALLERS_ONLY,
        "GuestMemory is served to local callers on the unix socket, and on TCP only to client certificates mapped to an operator");
  }

  /** The lease, if {@code peer} may act on it (its owner's uid, or an operator over all leases); checked without a map snapshot. */
  private Lease owned(String leaseId, LeaseActor peer) throws MemoryException {
    if (leaseId.isEmpty()) {
      throw ErrorMapper.invalid("lease_id is required");
    }
    return peer.allLeases() ? engine.lease(leaseId) : engine.lease(leaseId, peer.uid());
  }

  static List<ByteRange> ranges(List<io.guestmem.rpc.v1.ByteRange> in) {
    if (in.isEmpty()) {
      throw ErrorMapper.invalid("at least one range is required");
    }
    List<ByteRange> out = new ArrayList<>(in.size());
    for (io.guestmem.rpc.v1.ByteRange r : in) {
      // uint64 on the wire: values ≥ 2^63 arrive negative and are out of every lease
      if (r.getOffset() < 0 || r.getLength() < 0 || r.getOffset() + r.getLength() < 0) {
        throw ErrorMapper.status(Status.Code.OUT_OF_RANGE, MemoryException.Reason.OUT_OF_RANGE.name(),
            "range offset " + Long.toUnsignedString(r.getOffset()) + " length " + Long.toUnsignedString(r.getLength()) + " is beyond any lease");
      }
      out.add(new ByteRange(r.getOffset(), r.getLength()));
    }
    return out;
  }

  static PageState state(io.guestmem.rpc.v1.PageState s) {
    switch (s) {
      case PAGE_STATE_PRIVATE: return PageState.PRIVATE;
      case PAGE_STATE_SHARED: return PageState.SHARED;
      default:
        throw ErrorMapper.status(Status.Code.INVALID_ARGUMENT, ErrorMapper.UNKNOWN_ENUM_VALUE, "page state must be PRIVATE or SHARED, got " + s);
    }
  }

  static io.guestmem.rpc.v1.PageState state(PageState s) {
    return s == PageState.PRIVATE ? io.guestmem.rpc.v1.PageState.PAGE_STATE_PRIVATE : io.guestmem.rpc.v1.PageState.PAGE_STATE_SHARED;
  }

  static String teeLabel(TeeKind k) {
    switch (k) {
      case TEE_KIND_NONE: return "none";
      case TEE_KIND_TDX: return "tdx";
      case TEE_KIND_SNP: return "snp";
      default:
        throw ErrorMapper.status(Status.Code.INVALID_ARGUMENT, ErrorMapper.UNKNOWN_ENUM_VALUE, "tee_kind must be NONE, TDX or SNP, got " + k);
    }
  }

  static TeeKind teeKind(String label) {
    switch (label.toLowerCase(Locale.ROOT)) {
      case "tdx": return TeeKind.TEE_KIND_TDX;
      case "snp": return TeeKind.TEE_KIND_SNP;
      default: return TeeKind.TEE_KIND_NONE;
    }
  }

  static LeaseStatus status(io.guestmem.memory.LeaseStatus s) {
    switch (s) {
      case AWAITING_FD: return LeaseStatus.LEASE_STATUS_AWAITING_ATTACH;
      case OPEN: return LeaseStatus.LEASE_STATUS_ACTIVE;
      case ORPHANED: return LeaseStatus.LEASE_STATUS_ORPHANED;
      default: return LeaseStatus.LEASE_STATUS_CLOSED;
    }
  }

  static io.guestmem.rpc.v1.ByteRange range(ByteRange r) {
    return io.guestmem.rpc.v1.ByteRange.newBuilder().setOffset(r.offset()).setLength(r.length()).build();
  }

  /** The lease header plus ranges [from, from + pageSize). */
  static io.guestmem.rpc.v1.Lease toProto(LeaseInfo info, int from, int pageSize) {
    io.guestmem.rpc.v1.Lease.Builder b = io.guestmem.rpc.v1.Lease.newBuilder()
        .setLeaseId(info.id())
        .setSizeBytes(info.size())
        .setMode(info.mode() == LeaseMode.OWNED ? io.guestmem.rpc.v1.LeaseMode.LEASE_MODE_OWNED : io.guestmem.rpc.v1.LeaseMode.LEASE_MODE_ATTACHED)
        .setTeeKind(teeKind(info.teeKind()))
        .setBackend(info.backend())
        .setStatus(status(info.status()))
        .setAllocatedPrivateBytes(info.allocatedPrivateBytes())
        .setAllocatedSharedBytes(info.allocatedSharedBytes())
        .setPrivateBytes(info.bytesIn(PageState.PRIVATE))
        .setSharedBytes(info.bytesIn(PageState.SHARED))
        .setOwnerUid(info.owner().uid())
        .setOwnerPid(info.owner().pid());
    List<StateRange> all = info.ranges();
    int to = (int) Math.min(all.size(), (long) from + pageSize);
    for (int i = from; i < to; i++) {
      b.addRanges(stateRange(all.get(i)));
    }
    if (to < all.size()) {
      b.setNextPageToken(Integer.toString(to));
    }
    return b.build();
  }

  static io.guestmem.rpc.v1.StateRange stateRange(StateRange r) {
    return io.guestmem.rpc.v1.StateRange.newBuilder().setRange(range(r.range())).setState(state(r.state())).setAllocated(r.allocated()).build();
  }

  @Override
  public void openLease(OpenLeaseRequest req, StreamObserver<OpenLeaseResponse> out) {
    unary(out, peer -> {
      LeaseMode mode;
      switch (req.getMode()) {
        case LEASE_MODE_OWNED: mode = LeaseMode.OWNED; break;
        case LEASE_MODE_ATTACHED: mode = LeaseMode.ATTACHED; break;
        default:
          throw ErrorMapper.status(Status.Code.INVALID_ARGUMENT, ErrorMapper.UNKNOWN_ENUM_VALUE, "mode must be OWNED or ATTACHED, got " + req.getMode());
      }
      String tee = teeLabel(req.getTeeKind());
      if (req.getSizeBytes() <= 0) {
        throw new MemoryException(req.getSizeBytes() == 0 ? MemoryException.Reason.INVALID_ARGUMENT : MemoryException.Reason.OUT_OF_RANGE,
            "size_bytes must be a positive multiple of 4096, got " + Long.toUnsignedString(req.getSizeBytes()));
      }
      Lease lease = engine.openLease(new LeaseRequest(req.getSizeBytes(), mode, new Owner(peer.uid(), Math.max(1, peer.pid())), tee));
      EnumSet<HandoffTokens.Op> ops = mode == LeaseMode.ATTACHED ? EnumSet.of(HandoffTokens.Op.GET, HandoffTokens.Op.ATTACH) : EnumSet.of(HandoffTokens.Op.GET);
      String token = tokens.issue(lease.id(), peer.uid(), ops);
      Instant exp = tokens.expiryOf(token);
      return OpenLeaseResponse.newBuilder()
          .setLease(toProto(lease.info(), 0, DEFAULT_PAGE_SIZE))
          .setHandoffToken(token)
          .setHandoffTokenExpireTime(Timestamp.newBuilder().setSeconds(exp.getEpochSecond()).setNanos(exp.getNano()))
          .build();
    });
  }

  @Override
  public void attachPrivateMemory(AttachPrivateMemoryRequest req, StreamObserver<io.guestmem.rpc.v1.Lease> out) {
    LeaseActor peer = Caller.current().leaseActor(rootIsOperator).orElse(null);
    if (peer == null) {
      out.onError(localOnly());
      return;
    }
    Lease lease;
    try {
      lease = owned(req.getLeaseId(), peer);
      if (lease.info().mode() != LeaseMode.ATTACHED) {
        throw ErrorMapper.status(Status.Code.FAILED_PRECONDITION, "NOT_ATTACHED_MODE", "lease " + lease.id() + " is an owned-mode lease");
      }
    } catch (MemoryException e) {
      out.onError(ErrorMapper.fromMemory(e));
      return;
    } catch (StatusRuntimeException e) {
      out.onError(e);
      return;
    }
    // Completes when the fd channel's attach succeeds (or already has); the call's deadline bounds the wait.
    CompletableFuture<Void> attached = attachWaiters.await(lease.id(), () -> lease.info().status() != io.guestmem.memory.LeaseStatus.AWAITING_FD);
    Context.current().addListener(c -> attached.cancel(false), Runnable::run);
    attached.whenComplete((v, err) -> {
      if (err != null) {
        if (!attached.isCancelled()) {
          out.onError(ErrorMapper.internal(err));
        }
        return;
      }
      try {
        out.onNext(toProto(lease.info(), 0, DEFAULT_PAGE_SIZE));
        out.onCompleted();
      } catch (RuntimeException e) {
        out.onError(ErrorMapper.internal(e));
      }
    });
  }

  /**
   * A small conversion that nothing else is converting at the moment completes right here, on
   * the calling thread (the transport's, under the direct executor): {@link Lease#tryConvert}
   * takes it only when it cannot wait on anything unbounded (range locks free, journal free
   * without fsync, short hole punches). Everything else — contended ranges, large batches,
   * {@code POWER_LOSS} durability, an unknown or foreign lease (whose precise error may need the
   * journal) — runs on the bounded pool exactly as before. Both paths acknowledge only after the
   * journal commit.
   */
  @Override
  public void convert(ConvertRequest req, StreamObserver<ConvertResponse> out) {
    LeaseActor peer = Caller.current().leaseActor(rootIsOperator).orElse(null);
    if (peer == null) {
      out.onError(localOnly());
      return;
    }
    PageState to;
    List<ByteRange> ranges;
    try {
      to = state(req.getTo());
      ranges = ranges(req.getRangesList());
      Lease held = engine.heldLease(req.getLeaseId()).orElse(null);
      if (held != null && peer.mayActOn(held.owner().uid()) && held.tryConvert(ranges, to)) {
        out.onNext(converted(ranges));
        out.onCompleted();
        return;
      }
    } catch (MemoryException e) {
      out.onError(ErrorMapper.fromMemory(e));
      return;
    } catch (StatusRuntimeException e) {
      out.onError(e);
      return;
    }
    BlockingCalls.unary(blocking, out, () -> {
      owned(req.getLeaseId(), peer).convert(ranges, to);
      return converted(ranges);
    });
  }

  private static ConvertResponse converted(List<ByteRange> ranges) {
    long bytes = 0;
    for (ByteRange r : ranges) {
      bytes += r.length();
    }
    return ConvertResponse.newBuilder().setBytes(bytes).build();
  }

  @Override
  public void allocate(AllocateRequest req, StreamObserver<AllocateResponse> out) {
    unary(out, peer -> {
      LeaseInfo info = onRanges(req.getLeaseId(), req.getRangesList(), peer, Lease::allocate);
      return AllocateResponse.newBuilder().setAllocatedPrivateBytes(info.allocatedPrivateBytes()).setAllocatedSharedBytes(info.allocatedSharedBytes()).build();
    });
  }

  @Override
  public void discard(DiscardRequest req, StreamObserver<DiscardResponse> out) {
    unary(out, peer -> {
      LeaseInfo info = onRanges(req.getLeaseId(), req.getRangesList(), peer, Lease::discard);
      return DiscardResponse.newBuilder().setAllocatedPrivateBytes(info.allocatedPrivateBytes()).setAllocatedSharedBytes(info.allocatedSharedBytes()).build();
    });
  }

  @FunctionalInterface
  private interface RangeOp {
    void apply(Lease lease, List<ByteRange> ranges) throws MemoryException;
  }

  /** Validates the ranges, checks ownership, applies {@code op} and returns the lease afterwards. */
  private LeaseInfo onRanges(String leaseId, List<io.guestmem.rpc.v1.ByteRange> wire, LeaseActor peer, RangeOp op) throws MemoryException {
    List<ByteRange> ranges = ranges(wire);
    Lease lease = owned(leaseId, peer);
    op.apply(lease, ranges);
    return lease.info();
  }

  @Override
  public void getLease(GetLeaseRequest req, StreamObserver<io.guestmem.rpc.v1.Lease> out) {
    unary(out, peer -> {
      int pageSize = req.getPageSize() == 0 ? DEFAULT_PAGE_SIZE : req.getPageSize();
      if (pageSize < 0 || pageSize > MAX_PAGE_SIZE) {
        throw ErrorMapper.invalid("page_size must be between 1 and " + MAX_PAGE_SIZE);
      }
      long from = 0;
      if (!req.getPageToken().isEmpty()) {
        // the token is the byte offset where the next page starts, so pages stay consistent
        // when the map changes between calls (a range then starts where the last page ended)
        try {
          from = Long.parseLong(req.getPageToken());
        } catch (NumberFormatException e) {
          from = -1;
        }
        if (from <= 0 || from % 4096 != 0) {
          throw ErrorMapper.invalid("page_token is not one this service issued");
        }
      }
      Lease lease = null;
      try {
        lease = owned(req.getLeaseId(), peer);
      } catch (MemoryException e) {
        if (e.reason() != MemoryException.Reason.LEASE_CLOSED) {
          throw e;
        }
      }
      // a released lease is no longer held: its journal record describes it (CLOSED, no ranges)
      LeaseInfo info = lease != null ? lease.info() : engine.info(req.getLeaseId());
      if (lease == null && !peer.mayActOn(info.owner().uid())) {
        throw new MemoryException(MemoryException.Reason.NOT_OWNER, "lease " + info.id() + " is not the caller's");
      }
      if (from >= info.size() && from != 0) {
        throw ErrorMapper.invalid("page_token is past the end of the lease");
      }
      List<StateRange> page = lease != null ? lease.rangePage(from, pageSize) : List.of();
      io.guestmem.rpc.v1.Lease.Builder b = toProto(info, 0, 0).toBuilder();
      page.forEach(r -> b.addRanges(stateRange(r)));
      long end = page.isEmpty() ? info.size() : page.get(page.size() - 1).range().end();
      b.setNextPageToken(end < info.size() ? Long.toString(end) : "");
      return b.build();
    });
  }

  @Override
  public void closeLease(CloseLeaseRequest req, StreamObserver<CloseLeaseResponse> out) {
    unary(out, peer -> {
      Lease lease = owned(req.getLeaseId(), peer);
      lease.release();
      tokens.revokeLease(lease.id());
      return CloseLeaseResponse.getDefaultInstance();
    });
  }

  @Override
  public void audit(AuditRequest req, StreamObserver<AuditResponse> out) {
    unary(out, peer -> {
      Lease lease = owned(req.getLeaseId(), peer);
      AuditReport r = engine.audit(lease.info().owner().pid());
      AuditResponse.Builder b = AuditResponse.newBuilder()
          .setPid(r.pid()).setClean(r.clean()).setBackend(r.backend())
          .setMappingsScanned(r.mappingsScanned()).setFdsScanned(r.fdsScanned()).addAllNotes(r.notes());
      for (AuditFinding f : r.findings()) {
        b.addFindings(io.guestmem.rpc.v1.AuditFinding.newBuilder().setKind(f.kind().name())
            .setLeaseId(f.leaseId() == null ? "" : f.leaseId()).setWhere(f.where() == null ? "" : f.where())
            .setDetail(f.detail() == null ? "" : f.detail()).setViolation(f.violation()));
      }
      return b.build();
    });
  }

  @Override
  public void watchLease(WatchLeaseRequest req, StreamObserver<LeaseEvent> rawOut) {
    ServerCallStreamObserver<LeaseEvent> out = (ServerCallStreamObserver<LeaseEvent>) rawOut;
    LeaseActor peer = Caller.current().leaseActor(rootIsOperator).orElse(null);
    if (peer == null) {
      out.onError(localOnly());
      return;
    }
    String leaseId;
    try {
      leaseId = owned(req.getLeaseId(), peer).id();
    } catch (MemoryException e) {
      out.onError(ErrorMapper.fromMemory(e));
      return;
    } catch (StatusRuntimeException e) {
      out.onError(e);
      return;
    }
    // Events are queued by the engine's thread (which must not block) and drained here.
    BlockingQueue<MemoryEvent> queue = new ArrayBlockingQueue<>(WATCH_BACKLOG);
    Object lock = new Object();
    boolean[] done = {false};
    MemoryEventListener listener = e -> {
      if (!e.leaseId().equals(leaseId)) {
        return;
      }
      if (!queue.offer(e)) {
        synchronized (lock) {
          if (!done[0]) {
            done[0] = true;
            out.onError(ErrorMapper.status(Status.Code.RESOURCE_EXHAUSTED, "WATCH_TOO_SLOW", "watcher fell " + WATCH_BACKLOG + " events behind"));
          }
        }
        return;
      }
      blocking.execute(() -> drain(queue, out, lock, done));
    };
    AutoCloseable subscription = engine.addListener(listener);
    Runnable unsubscribe = () -> {
      try {
        subscription.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
    out.setOnCancelHandler(unsubscribe);
    out.setOnCloseHandler(unsubscribe);
  }

  private static void drain(BlockingQueue<MemoryEvent> queue, ServerCallStreamObserver<LeaseEvent> out, Object lock, boolean[] done) {
    synchronized (lock) {
      MemoryEvent e;
      while (!done[0] && (e = queue.poll()) != null) {
        if (out.isCancelled()) {
          done[0] = true;
          return;
        }
        LeaseEvent.Builder b = LeaseEvent.newBuilder()
            .setSequence(e.seq())
            .setTime(Timestamp.newBuilder().setSeconds(e.time().getEpochSecond()).setNanos(e.time().getNano()))
            .setLeaseId(e.leaseId())
            .setKind(kind(e.kind()));
        e.ranges().forEach(r -> b.addRanges(range(r)));
        if (e.to() != null) {
          b.setTo(state(e.to()));
        }
        out.onNext(b.build());
        if (e.kind() == MemoryEvent.Kind.LEASE_CLOSED) {
          done[0] = true;
          out.onCompleted();
        }
      }
    }
  }

  /** The wire kind of an engine event; a kind this build does not know is sent as UNSPECIFIED, never dropped. */
  static LeaseEvent.Kind kind(MemoryEvent.Kind k) {
    try {
      return LeaseEvent.Kind.valueOf("KIND_" + k.name());
    } catch (IllegalArgumentException e) {
      return LeaseEvent.Kind.KIND_UNSPECIFIED;
    }
  }

  /** Shuts the blocking pool (the server owns it). */
  public void shutdown() throws InterruptedException {
    blocking.shutdown();
    blocking.awaitTermination(5, TimeUnit.SECONDS);
  }
}
