package io.guestmem.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guestmem.memory.MemoryException.Reason;
import io.guestmem.memory.sys.LibC;
import io.guestmem.memory.sys.Syscalls;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A conversion whose discard step fails after the journal record was written is unwound: map
 * restored, record retracted, nothing acknowledged. The failure is provoked by pointing the
 * lease's shared fd number at /dev/null with dup2 (fallocate there fails), so the engine still
 * owns a valid fd number and closes it exactly once.
 */
class RollbackTest {
  @TempDir Path dir;

  @Test
  void aFailingDiscard_leavesTheMapAndTheJournalAsTheyWere() throws Exception {
    Backends.assumeKvm();
    String id;
    LeaseInfo before;
    try (MemoryEngine e = MemoryEngine.open(EngineConfig.of(dir, "kvm"))) {
      Lease l = e.openLease(LeaseRequest.owned(64 * 4096, "none"));
      id = l.id();
      l.convert(List.of(new ByteRange(0, 16 * 4096)), PageState.SHARED);
      l.allocate(List.of(new ByteRange(0, 32 * 4096)));
      before = l.info();
      List<MemoryEvent> events = new ArrayList<>();
      e.addListener(events::add);
      int devNull = Syscalls.open("/dev/null", Syscalls.O_RDWR);
      try {
        assertThat(LibC.dup2(devNull, l.sharedFd().orElseThrow())).isNotNegative();
      } finally {
        Syscalls.close(devNull);
      }
      // to PRIVATE must punch the shared memfd, which now is /dev/null
      assertThatThrownBy(() -> l.convert(List.of(new ByteRange(4 * 4096, 4 * 4096)), PageState.PRIVATE))
          .isInstanceOfSatisfying(MemoryException.class, x -> assertThat(x.reason()).isEqualTo(Reason.SYSCALL_FAILED));
      assertThat(l.info()).isEqualTo(before);
      assertThat(e.allocatedBytes()).isEqualTo(32 * 4096);
      assertThat(events).isEmpty();
      // the other direction punches the guest_memfd, which still works
      l.convert(List.of(new ByteRange(16 * 4096, 4096)), PageState.SHARED);
      before = l.info();
    }
    try (MemoryEngine e = MemoryEngine.open(EngineConfig.of(dir, "kvm"))) {
      assertThat(e.info(id).ranges()).isEqualTo(before.ranges());
    }
  }

  /**
   * Allocation is the one request that keeps partial progress (the kernel keeps what fallocate
   * already allocated): the chunks that completed are recorded and counted, the call fails.
   */
  @Test
  void anAllocationThatFailsMidway_recordsTheChunksThatCompleted() throws Exception {
    Backends.assumeKvm();
    EngineConfig cfg = EngineConfig.of(dir, "kvm").withAllocationChunk(4 * 4096);
    try (MemoryEngine e = MemoryEngine.open(cfg)) {
      Lease l = e.openLease(LeaseRequest.owned(64 * 4096, "none"));
      l.convert(List.of(new ByteRange(32 * 4096, 32 * 4096)), PageState.SHARED);
      List<MemoryEvent> events = new ArrayList<>();
      e.addListener(events::add);
      int devNull = Syscalls.open("/dev/null", Syscalls.O_RDWR);
      try {
        assertThat(LibC.dup2(devNull, l.sharedFd().orElseThrow())).isNotNegative();
      } finally {
        Syscalls.close(devNull);
      }
      // [16, 48) pages: 16 private pages in four 4-page chunks succeed, then the shared side fails
      assertThatThrownBy(() -> l.allocate(List.of(new ByteRange(16 * 4096, 32 * 4096))))
          .isInstanceOfSatisfying(MemoryException.class, x -> {
            assertThat(x.reason()).isEqualTo(Reason.SYSCALL_FAILED);
            assertThat(x.getMessage()).contains("after " + 16 * 4096 + " of " + 32 * 4096 + " bytes");
          });
      assertThat(l.info().allocatedPrivateBytes()).isEqualTo(16 * 4096);
      assertThat(l.info().allocatedSharedBytes()).isZero();
      assertThat(events).singleElement().satisfies(ev -> {
        assertThat(ev.kind()).isEqualTo(MemoryEvent.Kind.ALLOCATED);
        assertThat(ev.ranges()).containsExactly(new ByteRange(16 * 4096, 16 * 4096));
      });
      assertThat(e.allocatedBytes()).isEqualTo(16 * 4096);
    }
  }
}
