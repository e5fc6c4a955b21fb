package io.guestmem.memory.backend;

import io.guestmem.memory.sys.Errno;
import io.guestmem.memory.sys.ErrnoException;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The part every kernel-backed {@link Backing} shares: it owns one fd of a fixed-size file,
 * knows that file's identity, and closes the fd exactly once. Calls after close fail with EBADF
 * naming the object.
 */
abstract class FdBacking implements Backing {
  private final String what;
  private final long size;
  private final FileId fileId;
  private int fd; // guarded by this; -1 once closed

  /** @param what the kind of file, for errors after close (e.g. {@code "guest_memfd"}) */
  FdBacking(String what, int fd, long size, FileId fileId) {
    this.what = what;
    this.fd = fd;
    this.size = size;
    this.fileId = fileId;
  }

  /** The fd, or EBADF once closed. */
  protected final synchronized int liveFd() throws ErrnoException {
    if (fd < 0) {
      throw new ErrnoException(what + " (closed)", Errno.EBADF);
    }
    return fd;
  }

  @Override
  public final long size() {
    return size;
  }

  @Override
  public final synchronized OptionalInt fd() {
    return fd < 0 ? OptionalInt.empty() : OptionalInt.of(fd);
  }

  @Override
  public final Optional<FileId> fileId() {
    return Optional.of(fileId);
  }

  @Override
  public synchronized void close() {
    if (fd >= 0) {
      NativeFiles.closeQuietly(fd);
      fd = -1;
    }
  }
}
