package io.guestmem.memory;

import static io.guestmem.memory.ConversionSemanticsTest.expect;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.jna.Pointer;
import io.guestmem.memory.MemoryException.Reason;
import io.guestmem.memory.backend.KvmBackend;
import io.guestmem.memory.sys.Errno;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Kvm;
import io.guestmem.memory.sys.KvmIoctls;
import io.guestmem.memory.sys.Syscalls;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real guest_memfd: owned-mode fds, the attached-mode proof (each refusal with BAD_FD and nothing
 * recorded), and the audit. Never maps a gmem that is not INIT_SHARED: the only mmap attempts on
 * such files are the ones expected to fail with ENODEV, or the engine's proof, which unmaps a
 * successful one untouched.
 */
class KvmLeaseTest {
  private static final long SIZE = 64 * 4096;

  @TempDir Path dir;
  private MemoryEngine engine;
  private int kvm = -1;
  private int vm = -1;
  private final List<Integer> fds = new ArrayList<>();

  @BeforeEach
  void open() throws Exception {
    Backends.assumeKvm();
    engine = MemoryEngine.open(EngineConfig.of(dir, "kvm"));
    kvm = KvmIoctls.openKvm();
    vm = KvmIoctls.createVm(kvm, Kvm.KVM_X86_DEFAULT_VM); // this test plays the VMM
  }

  @AfterEach
  void close() throws Exception {
    for (int fd : fds) {
      Syscalls.close(fd);
    }
    if (vm >= 0) {
      Syscalls.close(vm);
    }
    if (kvm >= 0) {
      Syscalls.close(kvm);
    }
    if (engine != null) {
      engine.close();
    }
  }

  private int gmem(long size, long flags) throws ErrnoException {
    int fd = KvmIoctls.createGuestMemfd(vm, size, flags);
    fds.add(fd);
    return fd;
  }

  private static String link(int fd) throws Exception {
    return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
  }

  @Test
  void ownedLease_privateIsAnUnmappableGmem_sharedIsASealedMemfd_bothCloexec() throws Exception {
    Lease l = engine.openLease(LeaseRequest.owned(SIZE, "tdx"));
    int priv = l.privateFd().orElseThrow();
    int shared = l.sharedFd().orElseThrow();
    assertThat(link(priv)).isEqualTo(KvmBackend.GMEM_LINK);
    assertThat(link(shared)).startsWith("/memfd:guestmem-shared");
    assertThat(Syscalls.fcntl(priv, "F_GETFD", Syscalls.F_GETFD, 0) & Syscalls.FD_CLOEXEC).isEqualTo(1);
    assertThat(Syscalls.fcntl(shared, "F_GETFD", Syscalls.F_GETFD, 0) & Syscalls.FD_CLOEXEC).isEqualTo(1);
    assertThatThrownBy(() -> Syscalls.mmap(4096, Syscalls.PROT_READ, Syscalls.MAP_SHARED, priv, 0))
        .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENODEV));
    int seals = Syscalls.fcntl(shared, "F_GET_SEALS", Syscalls.F_GET_SEALS, 0);
    assertThat(seals & (Syscalls.F_SEAL_GROW | Syscalls.F_SEAL_SHRINK | Syscalls.F_SEAL_SEAL))
        .isEqualTo(Syscalls.F_SEAL_GROW | Syscalls.F_SEAL_SHRINK | Syscalls.F_SEAL_SEAL);
    assertThatThrownBy(() -> Syscalls.ftruncate(shared, SIZE * 2))
        .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EPERM));
    assertThat(Syscalls.fstat(priv).size).isEqualTo(SIZE);
  }

  @Test
  void attachedLease_acceptsTheVmmsUnmappableGmem_andTheVmmKeepsItsOwnFd() throws Exception {
    Lease l = engine.openLease(new LeaseRequest(SIZE, LeaseMode.ATTACHED, Owner.self(), "snp"));
    assertThat(l.info().status()).isEqualTo(LeaseStatus.AWAITING_FD);
    expect(Reason.NOT_ATTACHED, () -> l.convert(List.of(new ByteRange(0, 4096)), PageState.SHARED));
    int vmmGmem = gmem(SIZE, 0);
    l.attachPrivateFd(vmmGmem);
    assertThat(l.info().status()).isEqualTo(LeaseStatus.OPEN);
    int held = l.privateFd().orElseThrow();
    assertThat(held).isNotEqualTo(vmmGmem);
    assertThat(Syscalls.fstat(held).ino).isEqualTo(Syscalls.fstat(vmmGmem).ino);
    l.convert(List.of(new ByteRange(0, 8 * 4096)), PageState.SHARED);
    l.allocate(List.of(new ByteRange(8 * 4096, 8 * 4096)));
    assertThat(l.info().allocatedPrivateBytes()).isEqualTo(8 * 4096);
    expect(Reason.INVALID_ARGUMENT, () -> l.attachPrivateFd(vmmGmem));
    // the same gmem cannot back a second lease
    Lease other = engine.openLease(new LeaseRequest(SIZE, LeaseMode.ATTACHED, Owner.self(), "snp"));
    expect(Reason.BAD_FD, () -> other.attachPrivateFd(vmmGmem));
  }

  @Test
  void attachedMode_refusesEveryFdThatIsNotAnUnmappableGmemOfTheLeaseSize_recordingNothing() throws Exception {
    Lease l = engine.openLease(new LeaseRequest(SIZE, LeaseMode.ATTACHED, Owner.self(), "none"));
    List<MemoryEvent> events = new ArrayList<>();
    engine.addListener(events::add);
    int memfd = Syscalls.memfdCreate("not-gmem", 0);
    fds.add(memfd);
    Syscalls.ftruncate(memfd, SIZE);
    int mappable = gmem(SIZE, Kvm.GUEST_MEMFD_FLAG_MMAP); // mapped by the proof, never touched
    int wrongSize = gmem(2 * SIZE, 0);
    int closedFd = Syscalls.dupCloexec(memfd);
    Syscalls.close(closedFd);
    expect(Reason.BAD_FD, () -> l.attachPrivateFd(memfd));
    expect(Reason.BAD_FD, () -> l.attachPrivateFd(mappable));
    expect(Reason.BAD_FD, () -> l.attachPrivateFd(wrongSize));
    expect(Reason.BAD_FD, () -> l.attachPrivateFd(closedFd));
    expect(Reason.BAD_FD, () -> l.attachPrivateFd(kvm));
    expect(Reason.BAD_FD, () -> l.attachPrivateFd(vm));
    assertThat(l.info().status()).isEqualTo(LeaseStatus.AWAITING_FD);
    assertThat(l.privateFd()).isEmpty();
    assertThat(events).isEmpty();
    assertThatThrownBy(() -> KvmBackend.proveUnmappableGmem(mappable, SIZE))
        .hasMessageContaining("mappable (created with GUEST_MEMFD_FLAG_MMAP)");
  }

  @Test
  void audit_ofThisProcess_findsTheGmemFdHeldButUnmappable_andNoPrivateMapping() throws Exception {
    Lease l = engine.openLease(LeaseRequest.owned(SIZE, "tdx"));
    l.convert(List.of(new ByteRange(0, 4096)), PageState.SHARED);
    try (HostMapping m = l.mapShared(new ByteRange(0, 4096))) {
      AuditReport a = engine.audit((int) ProcessHandle.current().pid());
      assertThat(a.clean()).isTrue();
      assertThat(a.backend()).isEqualTo("kvm");
      assertThat(a.mappingsScanned()).isPositive();
      assertThat(a.findings()).extracting(AuditFinding::kind)
          .contains(AuditFinding.Kind.PRIVATE_FD_HELD_UNMAPPABLE, AuditFinding.Kind.SHARED_BACKING_MAPPED)
          .doesNotContain(AuditFinding.Kind.PRIVATE_BACKING_MAPPED);
    }
  }

  /**
   * The audit catches what the kvm backend makes impossible: on secretmem the private backing can
   * be mapped by a holder of the fd, so this test maps it and expects a violation naming the lease.
   */
  @Test
  void audit_reportsAMappingOfAPrivateBacking_asAViolation() throws Exception {
    Backends.assume("secretmem");
    try (MemoryEngine secret = MemoryEngine.open(EngineConfig.of(dir.resolve("s"), "secretmem"))) {
      Lease l = secret.openLease(LeaseRequest.owned(SIZE, "none"));
      Pointer p = Syscalls.mmap(4096, Syscalls.PROT_READ, Syscalls.MAP_SHARED, l.privateFd().orElseThrow(), 0);
      try {
        AuditReport a = secret.audit((int) ProcessHandle.current().pid());
        assertThat(a.clean()).isFalse();
        assertThat(a.findings()).filteredOn(AuditFinding::violation).singleElement()
            .satisfies(f -> {
              assertThat(f.kind()).isEqualTo(AuditFinding.Kind.PRIVATE_BACKING_MAPPED);
              assertThat(f.leaseId()).isEqualTo(l.id());
            });
      } finally {
        Syscalls.munmap(p, 4096);
      }
      assertThat(secret.audit((int) ProcessHandle.current().pid()).clean()).isTrue();
    }
  }

  /**
   * KVM's binding rules hold for a lease's private memory (guest-memfd.md §2.7 rows 11, 12): it
   * can be bound only in the VM that created it, so another VM's attempt fails with EINVAL, and a
   * memfd is never accepted as guest_memfd.
   */
  @Test
  void aLeasesGmem_cannotBeBoundInAnotherVm_norCanAMemfdPassAsGmem() throws Exception {
    Lease l = engine.openLease(LeaseRequest.owned(SIZE, "tdx"));
    int priv = l.privateFd().orElseThrow();
    assertThatThrownBy(() -> KvmIoctls.setUserMemoryRegion2(vm, 1, Kvm.KVM_MEM_GUEST_MEMFD, 1L << 32, SIZE, 0, 0, priv))
        .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
    assertThatThrownBy(() -> KvmIoctls.setUserMemoryRegion2(vm, 1, Kvm.KVM_MEM_GUEST_MEMFD, 1L << 32, SIZE, 0, 0,
        l.sharedFd().orElseThrow()))
        .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
    int own = gmem(SIZE, 0);
    KvmIoctls.setUserMemoryRegion2(vm, 1, Kvm.KVM_MEM_GUEST_MEMFD, 1L << 32, SIZE, 0, 0, own); // its own VM: fine
  }

  /**
   * Where the kernel lacks KVM_SET_MEMORY_ATTRIBUTES (these build machines: ENOTTY), the page
   * state lives only in guestmem's map and conversions still work; where it has them, owned
   * leases set them (the SW_PROTECTED holder VM path, which this host cannot exercise).
   */
  @Test
  void withoutMemoryAttributes_theMapIsTheOnlyPageState_andConversionsStillWork() throws Exception {
    HostCapabilities caps = HostProbe.probe();
    org.junit.jupiter.api.Assumptions.assumeFalse(caps.memoryAttributes(),
        "this kernel has KVM_SET_MEMORY_ATTRIBUTES: the ENOTTY case does not apply");
    assertThatThrownBy(() -> KvmIoctls.setMemoryAttributes(vm, 0, 4096, Kvm.KVM_MEMORY_ATTRIBUTE_PRIVATE))
        .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOTTY));
    try (KvmBackend b = KvmBackend.open()) {
      assertThat(b.holderVmType()).isEqualTo(Kvm.KVM_X86_DEFAULT_VM);
    }
    Lease l = engine.openLease(LeaseRequest.owned(SIZE, "tdx"));
    l.convert(List.of(new ByteRange(0, SIZE)), PageState.SHARED);
    assertThat(l.stateAt(0)).isEqualTo(PageState.SHARED);
  }

  private static long openFds() throws java.io.IOException {
    try (java.util.stream.Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return s.count();
    }
  }

  @Test
  void openingAndReleasingLeases_leavesNoFdBehind() throws Exception {
    engine.openLease(LeaseRequest.owned(SIZE, "warmup")).release(); // first use loads what it loads
    long before = openFds();
    for (int i = 0; i < 20; i++) {
      Lease l = engine.openLease(LeaseRequest.owned(SIZE, "none"));
      l.convert(List.of(new ByteRange(0, 4096)), PageState.SHARED);
      try (HostMapping m = l.mapShared(new ByteRange(0, 4096))) {
        m.write(0, new byte[] {1});
      }
      l.release();
      Lease a = engine.openLease(new LeaseRequest(SIZE, LeaseMode.ATTACHED, Owner.self(), "none"));
      a.attachPrivateFd(gmem(SIZE, 0));
      a.release();
    }
    assertThat(openFds()).isEqualTo(before + 20); // only this test's own 20 gmems, closed in @AfterEach
  }

  /** Every fd the engine holds (kvm device, holder VM, gmem, memfd, journal files) is close-on-exec. */
  @Test
  void everyFdTheEngineHolds_isCloseOnExec() throws Exception {
    Lease l = engine.openLease(LeaseRequest.owned(SIZE, "none"));
    l.convert(List.of(new ByteRange(0, 4096)), PageState.SHARED);
    List<String> engineFiles = new ArrayList<>();
    try (java.util.stream.Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      for (Path p : s.toList()) {
        String target;
        List<String> info;
        try {
          target = Files.readSymbolicLink(p).toString();
          info = Files.readAllLines(Path.of("/proc/self/fdinfo/" + p.getFileName()));
        } catch (java.io.IOException gone) {
          continue;
        }
        boolean ours = target.equals("/dev/kvm") || target.startsWith("anon_inode:kvm-vm")
            || target.equals(KvmBackend.GMEM_LINK) || target.startsWith("/memfd:guestmem-shared")
            || target.startsWith(dir.toString());
        if (!ours || fds.contains(Integer.parseInt(p.getFileName().toString())) || Integer.parseInt(p.getFileName().toString()) == kvm
            || Integer.parseInt(p.getFileName().toString()) == vm) {
          continue; // not the engine's, or this test's own VMM fds
        }
        long flags = Long.parseLong(info.stream().filter(x -> x.startsWith("flags:")).findFirst().orElseThrow().split("\\s+")[1], 8);
        assertThat(flags & 02000000).as("%s (%s) has O_CLOEXEC", p, target).isNotZero();
        engineFiles.add(target);
      }
    }
    assertThat(engineFiles).contains("/dev/kvm", KvmBackend.GMEM_LINK)
        .anyMatch(t -> t.startsWith("anon_inode:kvm-vm"))
        .anyMatch(t -> t.startsWith("/memfd:guestmem-shared"))
        .anyMatch(t -> t.endsWith("guestmem.db"));
  }
}
