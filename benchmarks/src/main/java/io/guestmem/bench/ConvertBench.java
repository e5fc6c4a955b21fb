package io.guestmem.bench;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.EngineConfig;
import io.guestmem.memory.Lease;
import io.guestmem.memory.LeaseRequest;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.PageState;
import io.guestmem.memory.PageStateMap;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Kvm;
import io.guestmem.memory.sys.KvmIoctls;
import io.guestmem.memory.sys.Syscalls;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Conversions through the memory engine on the {@code kvm} backend, against a same-run baseline:
 * the bare JNA {@code fallocate(PUNCH_HOLE|KEEP_SIZE)} calls a conversion cannot avoid, issued
 * directly on a {@code guest_memfd} and a sealed memfd set up exactly like a lease's (the gmem
 * created without MMAP on its own default VM and bound to a memslot at GPA 0).
 *
 * <p>Both sides walk the same pattern over 1 GiB: the even-numbered slots of {@code bytes} in
 * ascending order, then again, forever, alternating the direction on each pass: to SHARED punches
 * the gmem, to PRIVATE punches the memfd (the baseline punches the same file the engine would).
 * The engine's page-state map thus grows to alternating ranges (131,072 of them for 4 KiB slots)
 * and merges back: splits and merges on a large map are part of what is measured. Each engine
 * request is journaled in SQLite (WAL, {@code synchronous=OFF}: durable against process crash)
 * before it returns.
 *
 * <ul>
 *   <li>{@code engineConvert} vs {@code baselinePunch}: punches of holes, the cheapest kernel
 *       work, so the ratio is the engine's worst-case relative overhead;
 *   <li>{@code engineAllocateConvert} vs {@code baselineAllocatePunch}: the slot is allocated
 *       first (engine: {@code allocate}, journaled; baseline: {@code fallocate(KEEP_SIZE)}), so
 *       the punch frees real pages;
 *   <li>{@code engineConvertBatch} vs {@code baselinePunchBatch}: 64 slots per request (one
 *       journal commit for the batch, as a TDX MapGPA or SNP PSC batch would be), reported per
 *       slot ({@code @OperationsPerInvocation(64)}).
 * </ul>
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar ConvertBench -f 1 -wi 2 -i 3} (needs
 * /dev/kvm with guest_memfd; fails in setup otherwise). See docs/PERFORMANCE.md.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class ConvertBench {
  private static final long LEASE = 1L << 30;

  @Param({"4096", "2097152"})
  public long bytes;

  private Path stateDir;
  private MemoryEngine engine;
  private Lease lease;
  private int kvmFd = -1;
  private int vmFd = -1;
  private int gmemFd = -1;
  private int memfd = -1;
  private boolean baselineToShared = true;
  private boolean baselineAllocToShared = true;
  private boolean baselineBatchToShared = true;
  private long baselineAllocSlot;
  private long slots;
  private long engineSlot;
  private long baselineSlot;
  private boolean toShared = true;
  private boolean allocToShared = true;
  private long allocSlot;
  private long batchSlot;
  private boolean batchToShared = true;
  private long baselineBatchSlot;
  static final int BATCH = 64;

  @Setup(Level.Trial)
  public void setup() throws IOException, MemoryException, ErrnoException {
    stateDir = Files.createTempDirectory("convertbench");
    engine = MemoryEngine.open(EngineConfig.of(stateDir, "kvm"));
    lease = engine.openLease(LeaseRequest.owned(LEASE, "bench"));
    kvmFd = KvmIoctls.openKvm();
    vmFd = KvmIoctls.createVm(kvmFd, Kvm.KVM_X86_DEFAULT_VM);
    gmemFd = KvmIoctls.createGuestMemfd(vmFd, LEASE, 0);
    KvmIoctls.setUserMemoryRegion2(vmFd, 0, Kvm.KVM_MEM_GUEST_MEMFD, 0, LEASE, 0, 0, gmemFd);
    memfd = Syscalls.memfdCreate("convertbench-shared", Syscalls.MFD_ALLOW_SEALING);
    Syscalls.ftruncate(memfd, LEASE);
    Syscalls.fcntl(memfd, "F_ADD_SEALS", Syscalls.F_ADD_SEALS, Syscalls.F_SEAL_SHRINK | Syscalls.F_SEAL_GROW);
    slots = LEASE / bytes / 2; // even slots only
    if (slots % BATCH != 0) {
      throw new IllegalStateException("slots must be a multiple of the batch");
    }
    reportBytesPerRange();
  }

  /** The page-state map's structural size for the 1 TiB alternating layout. */
  private static void reportBytesPerRange() {
    long size = 1L << 40;
    long mib2 = 2L << 20;
    PageStateMap m = new PageStateMap(size);
    for (long off = mib2; off < size; off += 2 * mib2) {
      m.set(off, off + mib2, PageState.SHARED, false);
    }
    System.out.printf("%n# PageStateMap, 1 TiB with alternating 2 MiB ranges: %d ranges, %d bytes retained, %.2f bytes/range%n",
        m.rangeCount(), m.retainedBytes(), (double) m.retainedBytes() / m.rangeCount());
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException, ErrnoException {
    engine.close();
    Syscalls.close(gmemFd);
    Syscalls.close(memfd);
    Syscalls.close(vmFd);
    Syscalls.close(kvmFd);
    try (Stream<Path> s = Files.walk(stateDir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private ByteRange slot(long i) {
    return new ByteRange(2 * i * bytes, bytes);
  }

  @Benchmark
  public void engineConvert() throws MemoryException {
    lease.convert(List.of(slot(engineSlot)), toShared ? PageState.SHARED : PageState.PRIVATE);
    if (++engineSlot == slots) {
      engineSlot = 0;
      toShared = !toShared;
    }
  }

  private static final int PUNCH = Syscalls.FALLOC_FL_PUNCH_HOLE | Syscalls.FALLOC_FL_KEEP_SIZE;

  /** The file a conversion in this direction punches: the gmem to SHARED, the memfd to PRIVATE. */
  private int discardSide(boolean toSharedNow) {
    return toSharedNow ? gmemFd : memfd;
  }

  /** The file the pages live on before a conversion in this direction. */
  private int allocSide(boolean toSharedNow) {
    return toSharedNow ? gmemFd : memfd;
  }

  @Benchmark
  public void baselinePunch() throws ErrnoException {
    Syscalls.fallocate(discardSide(baselineToShared), PUNCH, 2 * baselineSlot * bytes, bytes);
    if (++baselineSlot == slots) {
      baselineSlot = 0;
      baselineToShared = !baselineToShared;
    }
  }

  @Benchmark
  public void engineAllocateConvert() throws MemoryException {
    List<ByteRange> r = List.of(slot(allocSlot));
    lease.allocate(r);
    lease.convert(r, allocToShared ? PageState.SHARED : PageState.PRIVATE);
    if (++allocSlot == slots) {
      allocSlot = 0;
      allocToShared = !allocToShared;
    }
  }

  @Benchmark
  public void baselineAllocatePunch() throws ErrnoException {
    long off = 2 * baselineAllocSlot * bytes;
    int fd = allocSide(baselineAllocToShared);
    Syscalls.fallocate(fd, Syscalls.FALLOC_FL_KEEP_SIZE, off, bytes);
    Syscalls.fallocate(fd, PUNCH, off, bytes);
    if (++baselineAllocSlot == slots) {
      baselineAllocSlot = 0;
      baselineAllocToShared = !baselineAllocToShared;
    }
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void engineConvertBatch() throws MemoryException {
    ByteRange[] rs = new ByteRange[BATCH];
    for (int k = 0; k < BATCH; k++) {
      rs[k] = slot(batchSlot + k);
    }
    lease.convert(List.of(rs), batchToShared ? PageState.SHARED : PageState.PRIVATE);
    batchSlot += BATCH;
    if (batchSlot == slots) {
      batchSlot = 0;
      batchToShared = !batchToShared;
    }
  }

  @Benchmark
  @OperationsPerInvocation(BATCH)
  public void baselinePunchBatch() throws ErrnoException {
    int fd = discardSide(baselineBatchToShared);
    for (int k = 0; k < BATCH; k++) {
      Syscalls.fallocate(fd, PUNCH, 2 * (baselineBatchSlot + k) * bytes, bytes);
    }
    baselineBatchSlot += BATCH;
    if (baselineBatchSlot == slots) {
      baselineBatchSlot = 0;
      baselineBatchToShared = !baselineBatchToShared;
    }
  }
}
