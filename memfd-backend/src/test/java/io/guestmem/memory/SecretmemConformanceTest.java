package io.guestmem.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.guestmem.memory.sys.Errno;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.LibC;
import io.guestmem.memory.sys.Syscalls;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** memfd_secret(2) as the secretmem backend relies on it (guest-memfd.md §5). */
class SecretmemConformanceTest {
  private static final long PS = 4096;

  @BeforeEach
  void need() {
    Backends.assume("secretmem");
  }

  @Test
  void sizeIsSetOnce_fallocateIsUnsupported_readWriteRefused_ownerCanMapShared() throws Exception {
    int fd = Syscalls.memfdSecret();
    try {
      assertThat(Syscalls.fcntl(fd, "F_GETFD", Syscalls.F_GETFD, 0) & Syscalls.FD_CLOEXEC).isEqualTo(1);
      Syscalls.ftruncate(fd, 4 * PS);
      assertThatThrownBy(() -> Syscalls.ftruncate(fd, 8 * PS))
          .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
      assertThatThrownBy(() -> Syscalls.fallocate(fd, Syscalls.FALLOC_FL_KEEP_SIZE, 0, PS))
          .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EOPNOTSUPP));
      assertThatThrownBy(() -> Syscalls.fallocate(fd, Syscalls.FALLOC_FL_KEEP_SIZE | Syscalls.FALLOC_FL_PUNCH_HOLE, 0, PS))
          .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EOPNOTSUPP));
      try (Memory b = new Memory(64)) {
        assertThat(LibC.read(fd, b, 64)).isEqualTo(-1);
        assertThat(Native.getLastError()).isEqualTo(Errno.EINVAL);
      }
      assertThatThrownBy(() -> Syscalls.mmap(PS, Syscalls.PROT_READ, Syscalls.MAP_PRIVATE, fd, 0))
          .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
      Pointer p = Syscalls.mmap(PS, Syscalls.PROT_READ | Syscalls.PROT_WRITE, Syscalls.MAP_SHARED, fd, 0);
      try {
        p.setByte(0, (byte) 7);
        assertThat(p.getByte(0)).isEqualTo((byte) 7);
      } finally {
        Syscalls.munmap(p, PS);
      }
    } finally {
      Syscalls.close(fd);
    }
  }
}
