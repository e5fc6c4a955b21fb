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

  @Test
  void longMessagesAndMetadataAreClippedToWholeCodePointsWithinTheBudget() {
    String fits = "a".repeat(ErrorMapper.MAX_TEXT_BYTES);
    assertThat(ErrorMapper.clip(fits)).isSameAs(fits);
    assertThat(ErrorMapper.clip("é".repeat(ErrorMapper.MAX_TEXT_BYTES / 2))).hasSize(ErrorMapper.MAX_TEXT_BYTES / 2);

    String ascii = ErrorMapper.clip("a".repeat(ErrorMapper.MAX_TEXT_BYTES + 1));
    assertThat(ascii).isEqualTo("a".repeat(ErrorMapper.MAX_TEXT_BYTES - 3) + "…");
    assertThat(utf8(ascii)).isEqualTo(ErrorMapper.MAX_TEXT_BYTES);

    String emoji = ErrorMapper.clip("\uD83D\uDE00".repeat(1000)); // 4 bytes each, two chars each
    assertThat(utf8(emoji)).isLessThanOrEqualTo(ErrorMapper.MAX_TEXT_BYTES);
    assertThat(emoji).endsWith("…");
    assertThat(emoji.codePoints().filter(cp -> cp >= 0xD800 && cp <= 0xDFFF).count()).isZero(); // no half pair left
    assertThat(emoji.codePointCount(0, emoji.length())).isEqualTo((ErrorMapper.MAX_TEXT_BYTES - 3) / 4 + 1);

    StatusRuntimeException e = ErrorMapper.status(Status.Code.NOT_FOUND, "LEASE_NOT_FOUND", "no lease " + "x".repeat(100_000),
        Map.of("lease", "y".repeat(100_000)));
    assertThat(utf8(e.getStatus().getDescription())).isLessThanOrEqualTo(ErrorMapper.MAX_TEXT_BYTES);
    com.google.rpc.Status st = io.grpc.protobuf.StatusProto.fromThrowable(e);
    assertThat(utf8(st.getMessage())).isLessThanOrEqualTo(ErrorMapper.MAX_TEXT_BYTES);
    assertThat(ErrorMapper.reasonOf(e)).contains("LEASE_NOT_FOUND");
  }

  private static int utf8(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
  }
}
