package io.guestmem.tdx.emu;

import io.guestmem.memory.MemoryException;
import java.util.Optional;

/**
 * What TDG.VP.VMCALL&lt;MapGPA&gt; returns to the guest (GHCI spec): R10 {@link #status()}; on
 * {@link TdxStatus#VMCALL_RETRY}, R11 {@link #nextGpa()} is where the guest resumes (shared bit as
 * in the request). When the memory engine refused the chunk, {@link #memoryFailure()} carries its
 * stable reason and nothing of that chunk changed.
 */
public record MapGpaResult(TdxStatus status, long nextGpa, Optional<MemoryException.Reason> memoryFailure) {
  static MapGpaResult of(TdxStatus status, long nextGpa) {
    return new MapGpaResult(status, nextGpa, Optional.empty());
  }

  public boolean retry() {
    return status.equals(TdxStatus.VMCALL_RETRY);
  }
}
