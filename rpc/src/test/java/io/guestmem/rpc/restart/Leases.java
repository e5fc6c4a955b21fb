package io.guestmem.rpc.restart;

import io.guestmem.rpc.errors.ErrorMapper;
import io.guestmem.rpc.v1.ByteRange;
import io.guestmem.rpc.v1.ConvertRequest;
import io.guestmem.rpc.v1.GetLeaseRequest;
import io.guestmem.rpc.v1.GuestMemoryGrpc.GuestMemoryBlockingStub;
import io.guestmem.rpc.v1.Lease;
import io.guestmem.rpc.v1.LeaseMode;
import io.guestmem.rpc.v1.OpenLeaseRequest;
import io.guestmem.rpc.v1.OpenLeaseResponse;
import io.guestmem.rpc.v1.PageState;
import io.guestmem.rpc.v1.StateRange;
import io.guestmem.rpc.v1.TeeKind;
import java.util.Arrays;

/** Small gRPC helpers shared by the restart tests. */
final class Leases {
  static final long PAGE = 4096;

  private Leases() {}

  static ByteRange range(long offset, long length) {
    return ByteRange.newBuilder().setOffset(offset).setLength(length).build();
  }

  static OpenLeaseResponse open(GuestMemoryBlockingStub stub, long size) {
    return stub.openLease(OpenLeaseRequest.newBuilder().setSizeBytes(size).setMode(LeaseMode.LEASE_MODE_OWNED)
        .setTeeKind(TeeKind.TEE_KIND_TDX).build());
  }

  static void convert(GuestMemoryBlockingStub stub, String id, long offset, long length, PageState to) {
    stub.convert(ConvertRequest.newBuilder().setLeaseId(id).addRanges(range(offset, length)).setTo(to).build());
  }

  static Lease get(GuestMemoryBlockingStub stub, String id) {
    return stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(id).build());
  }

  /** The page-state map, one entry per 4 KiB page, read through every page of GetLease. */
  static PageState[] pages(GuestMemoryBlockingStub stub, String id) {
    Lease first = get(stub, id);
    PageState[] out = new PageState[(int) (first.getSizeBytes() / PAGE)];
    Arrays.fill(out, PageState.PAGE_STATE_UNSPECIFIED);
    Lease l = first;
    while (true) {
      for (StateRange r : l.getRangesList()) {
        for (long p = r.getRange().getOffset() / PAGE; p < (r.getRange().getOffset() + r.getRange().getLength()) / PAGE; p++) {
          out[(int) p] = r.getState();
        }
      }
      if (l.getNextPageToken().isEmpty()) {
        return out;
      }
      l = stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(id).setPageToken(l.getNextPageToken()).build());
    }
  }

  static String reason(Throwable t) {
    return ErrorMapper.reasonOf(t).orElse("no reason in " + t);
  }
}
