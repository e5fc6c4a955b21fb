package io.guestmem.rpc.vmm;

import com.google.common.util.concurrent.ListenableFuture;
import com.sun.jna.Pointer;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Kvm;
import io.guestmem.memory.sys.KvmIoctls;
import io.guestmem.memory.sys.Syscalls;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.errors.ErrorMapper;
import io.guestmem.rpc.v1.AttachPrivateMemoryRequest;
import io.guestmem.rpc.v1.AuditFinding;
import io.guestmem.rpc.v1.AuditRequest;
import io.guestmem.rpc.v1.AuditResponse;
import io.guestmem.rpc.v1.ByteRange;
import io.guestmem.rpc.v1.CloseLeaseRequest;
import io.guestmem.rpc.v1.ConvertRequest;
import io.guestmem.rpc.v1.GetLeaseRequest;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.GuestMemoryGrpc.GuestMemoryBlockingStub;
import io.guestmem.rpc.v1.Lease;
import io.guestmem.rpc.v1.LeaseMode;
import io.guestmem.rpc.v1.OpenLeaseRequest;
import io.guestmem.rpc.v1.OpenLeaseResponse;
import io.guestmem.rpc.v1.PageState;
import io.guestmem.rpc.v1.TeeKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A mini VMM: what a real VMM does with guestmem, in a process of its own.
 *
 * <p>Usage: {@code MiniVmm CONTROL_SOCKET FD_CHANNEL LEASE_SIZE MODE...} with MODE {@code owned}
 * or {@code attached}. Each step prints one line: {@code <mode>.<step> ok key=value...},
 * {@code <mode>.<step> refused errno=E} where the step expects the kernel to refuse, or
 * {@code <mode>.<step> FAILED <what failed, with errno or status reason>}; the first failure ends
 * that mode. Each vCPU exit is printed as {@code <mode>.<run>.exit <exit>}. Exit status 0 only if every step of every mode succeeded.
 *
 * <p><b>Owned mode</b> (guestmem holds the private memory): OpenLease; Convert the boot region
 * to SHARED (a new lease is all PRIVATE, as a TD's memory is); {@code get} the shared memfd over
 * the fd channel and mmap it; create a type-0 VM and one vCPU; bind the mapping as a plain memslot
 * at GPA 0 ({@code KVM_SET_USER_MEMORY_REGION2}, {@code userspace_addr} = the mapping); copy the
 * guest program and its data byte in; run it in real mode. Then, with the VM still alive,
 * Convert the data page to PRIVATE (guestmem punches it out of the shared memfd), check GetLease,
 * and run the guest again: it now reads 0 there. Convert it back, write a new byte, run again.
 *
 * <p><b>Attached mode</b> (the VMM holds the private memory): OpenLease ATTACHED; create the VM
 * and its own {@code guest_memfd} without {@code GUEST_MEMFD_FLAG_MMAP}; show that the VMM's own
 * mmap of it fails with ENODEV; hand it over with {@code attach} while an AttachPrivateMemory call
 * waits; then bind a {@code KVM_MEM_GUEST_MEMFD} memslot (private side = the gmem, shared side =
 * guestmem's memfd) and run the same guest and conversions.
 *
 * <p>On the build machines a non-PVM guest runs fully emulated and reads RAM through the memslot's
 * {@code userspace_addr} (guest-memfd.md §0, §2.8); a type-0 VM never makes a private access on
 * any x86 KVM, so in both modes the guest sees the shared mapping. Every wait is bounded: gRPC
 * deadlines, SO_RCVTIMEO on the fd channel, and a watchdog that ends the process.
 */
public final class MiniVmm {
  /** Where the guest program is loaded and starts (real mode, CS base 0). */
  static final long CODE_GPA = 0x1000;
  /** The page the guest reads its second output byte from. */
  static final long DATA_GPA = 0x2000;
  /** The boot region the VMM makes SHARED before loading the guest. */
  static final long BOOT_SHARED_BYTES = 0x10000;
  static final int PORT_IMMEDIATE = 0x10;
  static final int PORT_MEMORY = 0x11;
  static final int IMMEDIATE = 0x2a;
  static final int FIRST_DATA = 0xc3;
  static final int SECOND_DATA = 0x7e;
  static final long PAGE = 4096;

  /**
   * The guest, 16-bit real mode at {@link #CODE_GPA}:
   * <pre>
   *   b0 2a      mov al, 0x2a
   *   e6 10      out 0x10, al
   *   a0 00 20   mov al, [0x2000]     ; DS base 0
   *   e6 11      out 0x11, al
   *   f4         hlt
   * </pre>
   */
  static final byte[] GUEST_CODE = {
      (byte) 0xb0, (byte) IMMEDIATE,
      (byte) 0xe6, (byte) PORT_IMMEDIATE,
      (byte) 0xa0, (byte) (DATA_GPA & 0xff), (byte) (DATA_GPA >> 8),
      (byte) 0xe6, (byte) PORT_MEMORY,
      (byte) 0xf4,
  };

  private static final long RPC_DEADLINE_SECONDS = 20;
  private static final long FD_CHANNEL_TIMEOUT_MILLIS = 10_000;
  private static final long WATCHDOG_MILLIS = 120_000;
  private static final int MAX_EXITS_PER_RUN = 8;

  private final Path fdChannel;
  private final long size;
  private final ServiceClient client;
  private String step = "start";
  private String mode = "";

  private MiniVmm(Path fdChannel, long size, ServiceClient client) {
    this.fdChannel = fdChannel;
    this.size = size;
    this.client = client;
  }

  public static void main(String[] args) throws Exception {
    if (args.length < 4) {
      System.out.println("usage FAILED MiniVmm CONTROL_SOCKET FD_CHANNEL LEASE_SIZE owned|attached...");
      System.exit(2);
    }
    startWatchdog();
    preloadClasses();
    Path control = Path.of(args[0]);
    Path fd = Path.of(args[1]);
    long size = Long.parseLong(args[2]);
    boolean allOk = true;
    try (ServiceClient client = ServiceClient.connectUnix(control)) {
      MiniVmm vmm = new MiniVmm(fd, size, client);
      for (int i = 3; i < args.length; i++) {
        allOk &= vmm.runMode(args[i]);
      }
    }
    System.out.flush();
    System.exit(allOk ? 0 : 1);
  }

  /** Ends the process, with a line saying so, if the VMM is still running after the deadline. */
  private static void startWatchdog() {
    Thread t = new Thread(() -> {
      try {
        Thread.sleep(WATCHDOG_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      System.out.println("watchdog FAILED still running after " + WATCHDOG_MILLIS + " ms");
      System.out.flush();
      Runtime.getRuntime().halt(3);
    }, "mini-vmm-watchdog");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Loads (without initialising) every class of the packages this VMM uses that live in a class
   * directory, before the first step: those directories may be rebuilt while the VMM runs, and a
   * class file missing for a moment must not end a step.
   */
  private static void preloadClasses() throws IOException, ClassNotFoundException {
    ClassLoader loader = MiniVmm.class.getClassLoader();
    for (Class<?> anchor : List.of(GuestMemoryGrpc.class, ServiceClient.class, ErrorMapper.class, MiniVmm.class)) {
      java.security.CodeSource src = anchor.getProtectionDomain().getCodeSource();
      if (src == null) {
        continue;
      }
      Path root;
      try {
        root = Path.of(src.getLocation().toURI());
      } catch (java.net.URISyntaxException e) {
        throw new IOException("class location of " + anchor.getName() + " is not a path: " + src.getLocation(), e);
      }
      Path pkg = root.resolve(anchor.getPackageName().replace('.', '/'));
      if (!Files.isDirectory(pkg)) {
        continue;
      }
      List<String> names;
      try (Stream<Path> files = Files.list(pkg)) {
        names = files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".class")).sorted().toList();
      }
      for (String n : names) {
        Class.forName(anchor.getPackageName() + "." + n.substring(0, n.length() - ".class".length()), false, loader);
      }
    }
  }

  private boolean runMode(String m) {
    mode = m;
    step = "start";
    try {
      switch (m) {
        case "owned":
          owned();
          return true;
        case "attached":
          attached();
          return true;
        default:
          step = "mode";
          fail("unknown mode '" + m + "'");
          return false;
      }
    } catch (StepFailed e) {
      return false;
    } catch (ErrnoException e) {
      fail(e.call() + " failed: " + e.errnoName());
      return false;
    } catch (RuntimeException e) {
      fail(ErrorMapper.reasonOf(e).map(r -> "status reason " + r + ": " + e.getMessage()).orElse(e.toString()));
      return false;
    } catch (Exception | LinkageError e) {
      fail(e.toString());
      return false;
    }
  }

  // ---------------------------------------------------------------- owned mode

  private void owned() throws Exception {
    step = "open";
    OpenLeaseResponse open = stub().openLease(OpenLeaseRequest.newBuilder()
        .setSizeBytes(size).setMode(LeaseMode.LEASE_MODE_OWNED).setTeeKind(TeeKind.TEE_KIND_TDX).build());
    String lease = open.getLease().getLeaseId();
    ok("lease=" + lease + " size=" + open.getLease().getSizeBytes() + " status=" + open.getLease().getStatus()
        + " ranges=" + ranges(open.getLease()));

    step = "share-boot";
    convert(lease, 0, BOOT_SHARED_BYTES, PageState.PAGE_STATE_SHARED);
    ok("range=" + hex(0) + "+" + hex(BOOT_SHARED_BYTES) + " ranges=" + ranges(getLease(lease)));

    try (SharedMapping shared = fetchShared(lease, open.getHandoffToken());
         Vm vm = createVm()) {
      step = "memslot";
      KvmIoctls.setUserMemoryRegion2(vm.fd, 0, 0, 0, size, Pointer.nativeValue(shared.addr), 0, 0);
      ok("slot=0 gpa=0x0 size=" + hex(size) + " flags=0 userspace_addr=shared-mapping");

      runGuestScenario(lease, vm, shared);

      step = "close";
      stub().closeLease(CloseLeaseRequest.newBuilder().setLeaseId(lease).build());
      ok("lease=" + lease);
    }
  }

  // ---------------------------------------------------------------- attached mode

  private void attached() throws Exception {
    step = "open";
    OpenLeaseResponse open = stub().openLease(OpenLeaseRequest.newBuilder()
        .setSizeBytes(size).setMode(LeaseMode.LEASE_MODE_ATTACHED).setTeeKind(TeeKind.TEE_KIND_TDX).build());
    String lease = open.getLease().getLeaseId();
    ok("lease=" + lease + " size=" + open.getLease().getSizeBytes() + " status=" + open.getLease().getStatus());

    try (Vm vm = createVm()) {
      step = "gmem";
      int gmem = KvmIoctls.createGuestMemfd(vm.fd, size, 0);
      try {
        String link = Files.readSymbolicLink(Path.of("/proc/self/fd/" + gmem)).toString();
        ok("flags=0 size=" + Syscalls.fstat(gmem).size + " link=" + link);

        step = "gmem-mmap";
        try {
          Pointer p = Syscalls.mmap(PAGE, Syscalls.PROT_READ | Syscalls.PROT_WRITE, Syscalls.MAP_SHARED, gmem, 0);
          Syscalls.munmap(p, PAGE);
          fail("mmap of a guest_memfd created without GUEST_MEMFD_FLAG_MMAP succeeded");
        } catch (ErrnoException e) {
          System.out.println(mode + "." + step + " refused errno=" + e.errnoName());
        }

        step = "attach";
        // Ask first, as a VMM would: the call completes once the fd channel's attach has passed the checks.
        ListenableFuture<Lease> attachCall = GuestMemoryGrpc.newFutureStub(client.channel())
            .withDeadlineAfter(RPC_DEADLINE_SECONDS, TimeUnit.SECONDS)
            .attachPrivateMemory(AttachPrivateMemoryRequest.newBuilder().setLeaseId(lease).build());
        try (FdChannelClient ch = FdChannelClient.connect(fdChannel, FD_CHANNEL_TIMEOUT_MILLIS)) {
          FdChannelClient.Reply reply = ch.attach(lease, open.getHandoffToken(), gmem, size);
          closeAll(reply.fds());
          if (!reply.json().path("attached").asBoolean(false)) {
            fail("fd channel refused attach: " + reply.json());
          }
          ok("reply=" + reply.json());
        }

        step = "attach-rpc";
        Lease attachedLease;
        try {
          attachedLease = attachCall.get(RPC_DEADLINE_SECONDS + 5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
          attachCall.cancel(true);
          fail("AttachPrivateMemory did not complete within " + (RPC_DEADLINE_SECONDS + 5) + " s");
          return;
        }
        ok("status=" + attachedLease.getStatus() + " ranges=" + ranges(attachedLease));

        step = "share-boot";
        convert(lease, 0, BOOT_SHARED_BYTES, PageState.PAGE_STATE_SHARED);
        ok("range=" + hex(0) + "+" + hex(BOOT_SHARED_BYTES) + " ranges=" + ranges(getLease(lease)));

        try (SharedMapping shared = fetchShared(lease, open.getHandoffToken())) {
          step = "memslot";
          KvmIoctls.setUserMemoryRegion2(vm.fd, 0, Kvm.KVM_MEM_GUEST_MEMFD, 0, size, Pointer.nativeValue(shared.addr), 0, gmem);
          ok("slot=0 gpa=0x0 size=" + hex(size) + " flags=GUEST_MEMFD guest_memfd_offset=0 userspace_addr=shared-mapping");

          runGuestScenario(lease, vm, shared);
        }

        step = "close";
        stub().closeLease(CloseLeaseRequest.newBuilder().setLeaseId(lease).build());
        ok("lease=" + lease);
      } finally {
        Syscalls.close(gmem);
      }
    }
  }

  // ---------------------------------------------------------------- shared steps

  /** Fetches the lease's shared memfd over the fd channel ({@code get}) and maps all of it. */
  private SharedMapping fetchShared(String lease, String token) throws Exception {
    step = "get";
    int memfd;
    try (FdChannelClient ch = FdChannelClient.connect(fdChannel, FD_CHANNEL_TIMEOUT_MILLIS)) {
      FdChannelClient.Reply reply = ch.get(lease, token);
      if (reply.fds().length != 1) {
        closeAll(reply.fds());
        fail("expected one fd, got " + reply.fds().length + ": " + reply.json());
      }
      memfd = reply.fds()[0];
      ok("role=" + reply.json().path("fds").path(0).path("role").asText() + " size=" + reply.json().path("fds").path(0).path("size").asLong()
          + " fds=1 fstat_size=" + Syscalls.fstat(memfd).size);
    }
    step = "mmap";
    try {
      Pointer addr = Syscalls.mmap(size, Syscalls.PROT_READ | Syscalls.PROT_WRITE, Syscalls.MAP_SHARED, memfd, 0);
      ok("length=" + hex(size) + " MAP_SHARED");
      return new SharedMapping(memfd, addr, size);
    } catch (ErrnoException e) {
      Syscalls.close(memfd);
      throw e;
    }
  }

  /**
   * Loads and runs the guest three times around two conversions of its data page, with the VM
   * alive throughout: SHARED with {@link #FIRST_DATA}; PRIVATE (punched out of the shared memfd,
   * so the guest reads 0 through {@code userspace_addr}); SHARED again with {@link #SECOND_DATA}.
   */
  private void runGuestScenario(String lease, Vm vm, SharedMapping shared) throws Exception {
    step = "load";
    shared.addr.write(CODE_GPA, GUEST_CODE, 0, GUEST_CODE.length);
    shared.addr.setByte(DATA_GPA, (byte) FIRST_DATA);
    ok("code_gpa=" + hex(CODE_GPA) + " code_bytes=" + GUEST_CODE.length + " data_gpa=" + hex(DATA_GPA) + " data=" + hex2(FIRST_DATA));

    step = "run1";
    runGuest(vm);

    step = "audit";
    AuditResponse audit = stub().audit(AuditRequest.newBuilder().setLeaseId(lease).build());
    ok("pid_is_self=" + (audit.getPid() == ProcessHandle.current().pid()) + " clean=" + audit.getClean()
        + " violations=" + audit.getFindingsList().stream().filter(AuditFinding::getViolation).count()
        + " findings=" + audit.getFindingsList().stream().map(AuditFinding::getKind).sorted().distinct().collect(Collectors.joining(",")));

    step = "convert-private";
    convert(lease, DATA_GPA, PAGE, PageState.PAGE_STATE_PRIVATE);
    ok("range=" + hex(DATA_GPA) + "+" + hex(PAGE) + " to=PRIVATE");
    step = "lease-private";
    ok("ranges=" + ranges(getLease(lease)));

    step = "run2";
    runGuest(vm);

    step = "convert-shared";
    convert(lease, DATA_GPA, PAGE, PageState.PAGE_STATE_SHARED);
    shared.addr.setByte(DATA_GPA, (byte) SECOND_DATA);
    ok("range=" + hex(DATA_GPA) + "+" + hex(PAGE) + " to=SHARED data=" + hex2(SECOND_DATA));
    step = "lease-shared";
    ok("ranges=" + ranges(getLease(lease)));

    step = "run3";
    runGuest(vm);
  }

  /** Runs the guest from {@link #CODE_GPA} to its {@code hlt}, printing every exit. */
  private void runGuest(Vm vm) throws Exception {
    vm.vcpu.enterRealMode(CODE_GPA);
    Integer immediate = null;
    Integer memory = null;
    for (int i = 0; i < MAX_EXITS_PER_RUN; i++) {
      KvmVcpu.Exit exit = vm.vcpu.run();
      System.out.println(mode + "." + step + ".exit " + exit.description());
      if (exit.isOut(PORT_IMMEDIATE) && immediate == null) {
        immediate = (int) exit.value();
      } else if (exit.isOut(PORT_MEMORY) && memory == null) {
        memory = (int) exit.value();
      } else if (exit.reason() == KvmVcpu.KVM_EXIT_HLT) {
        if (immediate == null || memory == null) {
          fail("halted before both outs (" + vm.vcpu.where() + ")");
        }
        ok("out" + Integer.toHexString(PORT_IMMEDIATE) + "=" + hex2(immediate) + " out" + Integer.toHexString(PORT_MEMORY) + "=" + hex2(memory)
            + " exit=HLT");
        return;
      } else {
        fail("unexpected exit " + exit.description() + " at " + vm.vcpu.where());
      }
    }
    fail("no HLT within " + MAX_EXITS_PER_RUN + " exits");
  }

  // ---------------------------------------------------------------- helpers

  private Vm createVm() throws ErrnoException {
    step = "vm";
    Vm vm = Vm.create();
    ok("type=" + Kvm.KVM_X86_DEFAULT_VM + " vcpus=1 vcpu_mmap_size=" + vm.vcpu.runSize());
    return vm;
  }

  private GuestMemoryBlockingStub stub() {
    return GuestMemoryGrpc.newBlockingStub(client.channel()).withDeadlineAfter(RPC_DEADLINE_SECONDS, TimeUnit.SECONDS);
  }

  private void convert(String lease, long offset, long length, PageState to) {
    stub().convert(ConvertRequest.newBuilder().setLeaseId(lease)
        .addRanges(ByteRange.newBuilder().setOffset(offset).setLength(length)).setTo(to).build());
  }

  private Lease getLease(String lease) {
    return stub().getLease(GetLeaseRequest.newBuilder().setLeaseId(lease).build());
  }

  /** A lease's page-state ranges as {@code OFFSET+LENGTH:STATE,...} in hex. */
  static String ranges(Lease l) {
    return l.getRangesList().stream()
        .map(s -> hex(s.getRange().getOffset()) + "+" + hex(s.getRange().getLength()) + ":" + s.getState().name().replace("PAGE_STATE_", ""))
        .collect(Collectors.joining(","));
  }

  static String hex(long v) {
    return "0x" + Long.toHexString(v);
  }

  static String hex2(int v) {
    return String.format("0x%02x", v);
  }

  private void ok(String details) {
    System.out.println(mode + "." + step + " ok " + details);
  }

  private void fail(String what) {
    System.out.println(mode + "." + step + " FAILED " + what);
    throw new StepFailed();
  }

  private static void closeAll(int[] fds) {
    for (int fd : fds) {
      try {
        Syscalls.close(fd);
      } catch (ErrnoException e) {
        // already reported by the step that received it
      }
    }
  }

  /** Ends the current mode after its FAILED line was printed. */
  private static final class StepFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StepFailed() {
      super(null, null, false, false);
    }
  }

  /** The VMM's view of the lease's shared memfd: the fd and its MAP_SHARED mapping. */
  private record SharedMapping(int fd, Pointer addr, long length) implements AutoCloseable {
    @Override
    public void close() throws ErrnoException {
      Syscalls.munmap(addr, length);
      Syscalls.close(fd);
    }
  }

  /** The VMM's own VM: {@code /dev/kvm}, a type-0 VM and vCPU 0. */
  private static final class Vm implements AutoCloseable {
    final int kvm;
    final int fd;
    final KvmVcpu vcpu;

    private Vm(int kvm, int fd, KvmVcpu vcpu) {
      this.kvm = kvm;
      this.fd = fd;
      this.vcpu = vcpu;
    }

    static Vm create() throws ErrnoException {
      int kvm = KvmIoctls.openKvm();
      int vm = -1;
      try {
        vm = KvmIoctls.createVm(kvm, Kvm.KVM_X86_DEFAULT_VM);
        KvmVcpu vcpu = KvmVcpu.create(kvm, vm, 0);
        return new Vm(kvm, vm, vcpu);
      } catch (ErrnoException e) {
        if (vm >= 0) {
          Syscalls.close(vm);
        }
        Syscalls.close(kvm);
        throw e;
      }
    }

    @Override
    public void close() throws ErrnoException {
      vcpu.close();
      Syscalls.close(fd);
      Syscalls.close(kvm);
    }
  }
}
