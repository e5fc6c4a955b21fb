package io.guestmem.memory.sys;

/**
 * A system call failed: names the call and carries errno and its symbolic name.
 *
 * <p>Checked, because a failing syscall is an expected outcome that callers must handle
 * (a foreign fd, a kernel without a feature, a quota) rather than a bug.
 */
public final class ErrnoException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String call;
  private final int errno;

  public ErrnoException(String call, int errno) {
    super(call + " failed: " + Errno.name(errno) + " (" + errno + ")");
    this.call = call;
    this.errno = errno;
  }

  /** The failing call, e.g. {@code "ioctl(KVM_CREATE_GUEST_MEMFD)"}. */
  public String call() {
    return call;
  }

  public int errno() {
    return errno;
  }

  /** Symbolic errno, e.g. {@code "ENODEV"}. */
  public String errnoName() {
    return Errno.name(errno);
  }
}
