package io.guestmem.rpc.errors;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.MemoryException.Reason;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ErrorMapperTest {
  /** The table: every memory reason has a deliberate code; only a failing syscall is INTERNAL. */
  private static final Map<Reason, Status.Code> EXPECTED = Map.ofEntries(
      Map.entry(Reason.UNALIGNED, Status.Code.INVALID_ARGUMENT),
      Map.entry(Reason.INVALID_ARGUMENT, Status.Code.INVALID_ARGUMENT),
      Map.entry(Reason.BAD_FD, Status.Code.INVALID_ARGUMENT),
      Map.entry(Reason.OUT_OF_RANGE, Status.Code.OUT_OF_RANGE),
      Map.entry(Reason.LEASE_NOT_FOUND, Status.Code.NOT_FOUND),
      Map.entry(Reason.LEASE_CLOSED, Status.Code.FAILED_PRECONDITION),
      Map.entry(Reason.LEASE_QUARANTINED, Status.Code.FAILED_PRECONDITION),
      Map.entry(Reason.RANGE_NOT_SHARED, Status.Code.FAILED_PRECONDITION),
      Map.entry(Reason.NOT_ATTACHED, Status.Code.FAILED_PRECONDITION),
      Map.entry(Reason.RANGE_BUSY, Status.Code.ABORTED),
      Map.entry(Reason.QUOTA_EXCEEDED, Status.Code.RESOURCE_EXHAUSTED),
      Map.entry(Reason.NOT_OWNER, Status.Code.PERMISSION_DENIED),
      Map.entry(Reason.UNSUPPORTED, Status.Code.UNIMPLEMENTED),
      Map.entry(Reason.JOURNAL_FAILED, Status.Code.UNAVAILABLE),
      Map.entry(Reason.SYSCALL_FAILED, Status.Code.INTERNAL));

  @Test
  void everyMemoryReasonIsInTheTable() {
    assertThat(EXPECTED.keySet()).containsExactlyInAnyOrder(Reason.values());
  }

  @Test
  void memoryReasonsMapToTheirCodesAndKeepTheReason() {
    for (Reason r : Reason.values()) {
      StatusRuntimeException e = ErrorMapper.fromMemory(new MemoryException(r, "detail of " + r));
      assertThat(e.getStatus().getCode()).as(r.name()).isEqualTo(EXPECTED.get(r));
      assertThat(ErrorMapper.reasonOf(e)).as(r.name()).contains(r.name());
    }
  }

  @Test
  void internalErrorsDoNotLeakTheirMessage() {
    StatusRuntimeException e = ErrorMapper.fromMemory(new MemoryException(Reason.SYSCALL_FAILED, "fallocate failed on fd 17 at /secret/path"));
    assertThat(e.getStatus().getDescription()).doesNotContain("/secret/path");
    StatusRuntimeException bug = ErrorMapper.internal(new IllegalStateException("invariant broken at 0xdead"));
    assertThat(bug.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
    assertThat(bug.getStatus().getDescription()).doesNotContain("0xdead");
    assertThat(ErrorMapper.reasonOf(bug)).contains(ErrorMapper.INTERNAL);
  }

  @Test
  void aPlainStatusHasNoReason() {
    assertThat(ErrorMapper.reasonOf(Status.UNAVAILABLE.asRuntimeException())).isEmpty();
  }
}
