package io.guestmem.memory.backend;

import io.guestmem.memory.sys.Errno;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Kvm;
import io.guestmem.memory.sys.Syscalls;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A pure-Java model of one Linux 6.18 {@code guest_memfd} file (guest-memfd.md §2.2–§2.5), for
 * the {@code emulated} backend and for running the kernel selftest checklist without KVM. It
 * returns the kernel's errno, in the kernel's check order, for every operation it models.
 *
 * <p>Model: a fixed size, creation flags, a set of allocated pages (coalesced intervals) and, for
 * pages touched through a mapping of an INIT_SHARED file, their bytes. A fault the kernel would
 * answer with SIGBUS throws {@link Sigbus}. It gives no protection of any kind: it is bookkeeping.
 */
public final class EmulatedGuestMemfd {
  private static final long PAGE = 4096;
  private static final AtomicLong NEXT_INO = new AtomicLong(1);

  /** Flags a default VM supports in 6.18 ({@code KVM_CAP_GUEST_MEMFD_FLAGS} = 3). */
  public static final long SUPPORTED_FLAGS = Kvm.GUEST_MEMFD_FLAG_MMAP | Kvm.GUEST_MEMFD_FLAG_INIT_SHARED;

  /** The access would have raised SIGBUS in a real process. */
  public static final class Sigbus extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    Sigbus(String message) {
      super(message);
    }
  }

  private final long size;
  private final long flags;
  private final long ino;
  /** Allocated intervals: start → end, disjoint and coalesced. Guarded by this. */
  private final TreeMap<Long, Long> allocated = new TreeMap<>();
  /** Bytes of pages written or faulted through a mapping. Guarded by this. */
  private final Map<Long, byte[]> contents = new HashMap<>();

  private EmulatedGuestMemfd(long size, long flags) {
    this.size = size;
    this.flags = flags;
    this.ino = NEXT_INO.getAndIncrement();
  }

  /** {@code KVM_CREATE_GUEST_MEMFD} on a default VM: EINVAL for unknown flags, then for a bad size. */
  public static EmulatedGuestMemfd create(long size, long flags) throws ErrnoException {
    if ((flags & ~SUPPORTED_FLAGS) != 0) {
      throw new ErrnoException("ioctl(KVM_CREATE_GUEST_MEMFD) [emulated]", Errno.EINVAL);
    }
    if (size <= 0 || size % PAGE != 0) {
      throw new ErrnoException("ioctl(KVM_CREATE_GUEST_MEMFD) [emulated]", Errno.EINVAL);
    }
    return new EmulatedGuestMemfd(size, flags);
  }

  /** {@code st_size}: fixed at creation. */
  public long size() {
    return size;
  }

  /** {@code st_blksize}. */
  public long blockSize() {
    return PAGE;
  }

  /** A unique inode number, like {@code st_ino}. */
  public long ino() {
    return ino;
  }

  public long flags() {
    return flags;
  }

  /** {@code fallocate(2)} with the VFS checks first, then {@code kvm_gmem_fallocate}'s (§2.4). */
  public synchronized void fallocate(int mode, long offset, long length) throws ErrnoException {
    String call = "fallocate [emulated]";
    int known = Syscalls.FALLOC_FL_KEEP_SIZE | Syscalls.FALLOC_FL_PUNCH_HOLE;
    if (offset < 0 || length <= 0) {
      throw new ErrnoException(call, Errno.EINVAL);
    }
    if ((mode & ~known) != 0) {
      throw new ErrnoException(call, Errno.EOPNOTSUPP);
    }
    boolean punch = (mode & Syscalls.FALLOC_FL_PUNCH_HOLE) != 0;
    boolean keep = (mode & Syscalls.FALLOC_FL_KEEP_SIZE) != 0;
    if (punch && !keep) {
      throw new ErrnoException(call, Errno.EOPNOTSUPP);
    }
    if (offset + length < 0) {
      throw new ErrnoException(call, Errno.EFBIG);
    }
    if (!keep) {
      throw new ErrnoException(call, Errno.EOPNOTSUPP);
    }
    if (offset % PAGE != 0 || length % PAGE != 0) {
      throw new ErrnoException(call, Errno.EINVAL);
    }
    if (punch) {
      long end = Math.min(offset + length, size);
      if (offset < end) {
        remove(offset, end);
        contents.keySet().removeIf(p -> p >= offset && p < end);
      }
      return;
    }
    if (offset + length > size) {
      throw new ErrnoException(call, Errno.EINVAL);
    }
    add(offset, offset + length);
  }

  private void add(long from, long to) {
    Map.Entry<Long, Long> left = allocated.floorEntry(from);
    if (left != null && left.getValue() >= from) {
      from = left.getKey();
      to = Math.max(to, left.getValue());
    }
    Map.Entry<Long, Long> next;
    while ((next = allocated.ceilingEntry(from)) != null && next.getKey() <= to) {
      to = Math.max(to, next.getValue());
      allocated.remove(next.getKey());
    }
    allocated.put(from, to);
  }

  private void remove(long from, long to) {
    Map.Entry<Long, Long> left = allocated.lowerEntry(from);
    if (left != null && left.getValue() > from) {
      allocated.put(left.getKey(), from);
      if (left.getValue() > to) {
        allocated.put(to, left.getValue());
      }
    }
    Map.Entry<Long, Long> e;
    while ((e = allocated.ceilingEntry(from)) != null && e.getKey() < to) {
      allocated.remove(e.getKey());
      if (e.getValue() > to) {
        allocated.put(to, e.getValue());
      }
    }
  }

  /** Bytes currently allocated (what the kernel would hold in the page cache for this inode). */
  public synchronized long allocatedBytes() {
    long total = 0;
    for (Map.Entry<Long, Long> e : allocated.entrySet()) {
      total += e.getValue() - e.getKey();
    }
    return total;
  }

  /** True if the page containing {@code offset} is allocated. */
  public synchronized boolean isAllocated(long offset) {
    Map.Entry<Long, Long> e = allocated.floorEntry(offset);
    return e != null && e.getValue() > offset;
  }

  /** {@code read}/{@code write} of any length: EINVAL (no {@code .read}/{@code .write}). */
  public void readOrWrite() throws ErrnoException {
    throw new ErrnoException("read/write [emulated]", Errno.EINVAL);
  }

  /** {@code pread}/{@code pwrite}/{@code lseek}: ESPIPE. */
  public void positionalIo() throws ErrnoException {
    throw new ErrnoException("pread/pwrite [emulated]", Errno.ESPIPE);
  }

  /** {@code ftruncate}: EINVAL (the size is immutable). */
  public void ftruncate(long newSize) throws ErrnoException {
    throw new ErrnoException("ftruncate [emulated]", Errno.EINVAL);
  }

  /**
   * {@code mmap(MAP_SHARED or MAP_PRIVATE)}: ENODEV without MMAP, EINVAL for a private (COW)
   * mapping or an unaligned offset. A mapping longer than the file is allowed; faults past EOF,
   * and every fault of a file without INIT_SHARED, throw {@link Sigbus}.
   */
  public MappedRegion mmap(long offset, long length, boolean shared) throws ErrnoException {
    String call = "mmap [emulated]";
    if ((flags & Kvm.GUEST_MEMFD_FLAG_MMAP) == 0) {
      throw new ErrnoException(call, Errno.ENODEV);
    }
    if (!shared || offset % PAGE != 0 || length <= 0) {
      throw new ErrnoException(call, Errno.EINVAL);
    }
    return new Mapping(offset, length);
  }

  private synchronized byte[] fault(long fileOffset) {
    long page = fileOffset - fileOffset % PAGE;
    if (page >= size) {
      throw new Sigbus("SIGBUS: fault at file offset " + fileOffset + " beyond EOF " + size);
    }
    if ((flags & Kvm.GUEST_MEMFD_FLAG_INIT_SHARED) == 0) {
      throw new Sigbus("SIGBUS: fault on a guest_memfd without INIT_SHARED (private)");
    }
    byte[] p = contents.get(page);
    if (p == null) {
      p = new byte[(int) PAGE]; // allocate on fault, zeroed
      contents.put(page, p);
      add(page, page + PAGE);
    }
    return p;
  }

  private final class Mapping implements MappedRegion {
    private final long base;
    private final long length;
    private boolean closed; // guarded by EmulatedGuestMemfd.this

    Mapping(long base, long length) {
      this.base = base;
      this.length = length;
    }

    @Override
    public long length() {
      return length;
    }

    private void check(long offset, int len) {
      if (closed) {
        throw new IllegalStateException("mapping closed");
      }
      if (offset < 0 || len < 0 || offset > length - len) {
        throw new IndexOutOfBoundsException("[" + offset + ", +" + len + ") outside mapping of " + length);
      }
    }

    @Override
    public void read(long offset, byte[] dst) {
      synchronized (EmulatedGuestMemfd.this) {
        check(offset, dst.length);
        for (int i = 0; i < dst.length; ) {
          long f = base + offset + i;
          byte[] page = fault(f);
          int in = (int) (f % PAGE);
          int n = Math.min(dst.length - i, (int) PAGE - in);
          System.arraycopy(page, in, dst, i, n);
          i += n;
        }
      }
    }

    @Override
    public void write(long offset, byte[] src) {
      synchronized (EmulatedGuestMemfd.this) {
        check(offset, src.length);
        for (int i = 0; i < src.length; ) {
          long f = base + offset + i;
          byte[] page = fault(f);
          int in = (int) (f % PAGE);
          int n = Math.min(src.length - i, (int) PAGE - in);
          System.arraycopy(src, i, page, in, n);
          i += n;
        }
      }
    }

    @Override
    public void close() {
      synchronized (EmulatedGuestMemfd.this) {
        closed = true;
      }
    }
  }
}
