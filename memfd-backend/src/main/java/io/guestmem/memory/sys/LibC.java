package io.guestmem.memory.sys;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The libc calls guestmem needs, bound with JNA direct mapping.
 *
 * <p>These are raw calls: they return -1 and leave errno in {@link Native#getLastError()}.
 * Callers go through {@link Syscalls}, which turns errno into {@link ErrnoException}. Variadic
 * libc functions ({@code ioctl}, {@code fcntl}, {@code syscall}) are declared with the fixed
 * integer or pointer arguments they take here; on x86-64 and aarch64 that is ABI-compatible.
 */
public final class LibC {
  static {
    Native.register(LibC.class, NativeLibrary.getInstance("c"));
  }

  private LibC() {}

  public static native int open(String path, int flags);

  public static native int close(int fd);

  public static native int ioctl(int fd, long request, long arg);

  public static native int ioctl(int fd, long request, Pointer arg);

  public static native int fcntl(int fd, int cmd, int arg);

  public static native int fallocate(int fd, int mode, long offset, long len);

  public static native int ftruncate(int fd, long length);

  public static native int memfd_create(String name, int flags);

  public static native long syscall(long number, long arg1);

  public static native Pointer mmap(Pointer addr, long length, int prot, int flags, int fd, long offset);

  public static native int munmap(Pointer addr, long length);

  public static native int fstat(int fd, Pointer statbuf);

  public static native long read(int fd, Pointer buf, long count);

  public static native long write(int fd, Pointer buf, long count);

  public static native long pread(int fd, Pointer buf, long count, long offset);

  public static native long pwrite(int fd, Pointer buf, long count, long offset);

  public static native int dup(int fd);

  public static native int dup2(int oldfd, int newfd);

  public static native int getpid();

  public static native int getuid();

  public static native String strerror(int errnum);

  public static native int mincore(Pointer addr, long length, byte[] vec);

  public static native long lseek(int fd, long offset, int whence);

  public static native int socket(int domain, int type, int protocol);

  public static native int socketpair(int domain, int type, int protocol, int[] sv);

  public static native int bind(int fd, Pointer addr, int addrlen);

  public static native int listen(int fd, int backlog);

  public static native int accept4(int fd, Pointer addr, Pointer addrlen, int flags);

  public static native int connect(int fd, Pointer addr, int addrlen);

  public static native long sendmsg(int fd, Pointer msg, int flags);

  public static native long recvmsg(int fd, Pointer msg, int flags);
}
