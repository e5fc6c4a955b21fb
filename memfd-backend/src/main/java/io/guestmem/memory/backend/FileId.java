package io.guestmem.memory.backend;

/**
 * Identity of a kernel file object: {@code st_dev} and {@code st_ino} from {@code fstat}. Every
 * {@code guest_memfd} and memfd has its own inode, so this names the memory itself, and is what
 * {@code /proc/<pid>/maps} and {@code /proc/<pid>/fd} are matched against.
 */
public record FileId(long dev, long ino) {
  /** Major device number of {@code dev} (glibc {@code gnu_dev_major}). */
  public long major() {
    return ((dev >>> 8) & 0xfff) | ((dev >>> 32) & ~0xfffL);
  }

  /** Minor device number of {@code dev} (glibc {@code gnu_dev_minor}). */
  public long minor() {
    return (dev & 0xff) | ((dev >>> 12) & ~0xffL);
  }
}
