package io.guestmem.memory;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.Pointer;
import io.guestmem.memory.sys.LibC;
import io.guestmem.memory.sys.Syscalls;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The secretmem backend has no fallocate, so guestmem zeroes private pages itself on discard,
 * touching only pages that are resident. This test can look at private memory only because
 * secretmem lets a holder of the fd map it: the weaker guarantee, used here to check the zeroing.
 */
class SecretmemLeaseTest {
  private static final long P = 4096;

  @TempDir Path dir;

  @Test
  void convertingToShared_zeroesTheResidentPrivatePages_andAllocatesNoOthers() throws Exception {
    Backends.assume("secretmem");
    try (MemoryEngine e = MemoryEngine.open(EngineConfig.of(dir, "secretmem"))) {
      Lease l = e.openLease(LeaseRequest.owned(16 * P, "none"));
      int fd = l.privateFd().orElseThrow();
      Pointer p = Syscalls.mmap(16 * P, Syscalls.PROT_READ | Syscalls.PROT_WRITE, Syscalls.MAP_SHARED, fd, 0);
      try {
        p.setMemory(0, 2 * P, (byte) 0x5a); // pages 0 and 1 become resident with data
        l.convert(List.of(new ByteRange(0, P), new ByteRange(8 * P, 4 * P)), PageState.SHARED);
        assertThat(p.getByteArray(0, (int) P)).containsOnly(0);
        assertThat(p.getByteArray(P, (int) P)).containsOnly((byte) 0x5a); // not converted: untouched
        byte[] resident = new byte[16];
        assertThat(LibC.mincore(p, 16 * P, resident)).isZero();
        for (int page = 8; page < 12; page++) {
          assertThat(resident[page] & 1).as("page %d stayed unallocated", page).isZero();
        }
      } finally {
        Syscalls.munmap(p, 16 * P);
      }
      l.allocate(List.of(new ByteRange(4 * P, 2 * P)));
      assertThat(l.info().allocatedPrivateBytes()).isEqualTo(2 * P);
    }
  }
}
