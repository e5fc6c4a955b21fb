package io.guestmem.memory.sys;

/** Linux errno values guestmem distinguishes, with their symbolic names (x86-64 / generic). */
public final class Errno {
  public static final int EPERM = 1;
  public static final int ENOENT = 2;
  public static final int EINTR = 4;
  public static final int EIO = 5;
  public static final int ENXIO = 6;
  public static final int EBADF = 9;
  public static final int EAGAIN = 11;
  public static final int ENOMEM = 12;
  public static final int EACCES = 13;
  public static final int EFAULT = 14;
  public static final int EBUSY = 16;
  public static final int EEXIST = 17;
  public static final int EXDEV = 18;
  public static final int ENODEV = 19;
  public static final int EINVAL = 22;
  public static final int ENOTTY = 25;
  public static final int EFBIG = 27;
  public static final int ENOSPC = 28;
  public static final int ESPIPE = 29;
  public static final int EROFS = 30;
  public static final int ENOSYS = 38;
  public static final int EOPNOTSUPP = 95;

  private Errno() {}

  /** The symbolic name of an errno, or {@code "E<n>"} for one not listed here. */
  public static String name(int errno) {
    switch (errno) {
      case EPERM: return "EPERM";
      case ENOENT: return "ENOENT";
      case EINTR: return "EINTR";
      case EIO: return "EIO";
      case ENXIO: return "ENXIO";
      case EBADF: return "EBADF";
      case EAGAIN: return "EAGAIN";
      case ENOMEM: return "ENOMEM";
      case EACCES: return "EACCES";
      case EFAULT: return "EFAULT";
      case EBUSY: return "EBUSY";
      case EEXIST: return "EEXIST";
      case EXDEV: return "EXDEV";
      case ENODEV: return "ENODEV";
      case EINVAL: return "EINVAL";
      case ENOTTY: return "ENOTTY";
      case EFBIG: return "EFBIG";
      case ENOSPC: return "ENOSPC";
      case ESPIPE: return "ESPIPE";
      case EROFS: return "EROFS";
      case ENOSYS: return "ENOSYS";
      case EOPNOTSUPP: return "EOPNOTSUPP";
      default: return "E" + errno;
    }
  }
}
