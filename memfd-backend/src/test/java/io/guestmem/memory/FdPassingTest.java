package io.guestmem.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Syscalls;
import io.guestmem.memory.sys.UnixSockets;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SCM_RIGHTS over SOCK_SEQPACKET: within one process, and to a second JVM acting as the VMM. */
class FdPassingTest {
  @TempDir Path dir;

  private static boolean cloexec(int fd) throws ErrnoException {
    return (Syscalls.fcntl(fd, "F_GETFD", Syscalls.F_GETFD, 0) & Syscalls.FD_CLOEXEC) != 0;
  }

  @Test
  void fdsAndPayload_crossASocketpair_asNewCloexecFdsOfTheSameFiles() throws Exception {
    int[] sv = UnixSockets.seqpacketPair();
    int memfd = Syscalls.memfdCreate("pass-me", 0);
    try {
      UnixSockets.sendFds(sv[0], "hello".getBytes(StandardCharsets.UTF_8), new int[] {memfd, memfd});
      UnixSockets.Received r = UnixSockets.recvFds(sv[1], 64, 4);
      assertThat(new String(r.payload(), StandardCharsets.UTF_8)).isEqualTo("hello");
      assertThat(r.fds()).hasSize(2).doesNotContain(memfd);
      for (int fd : r.fds()) {
        assertThat(cloexec(fd)).isTrue();
        assertThat(Syscalls.fstat(fd).ino).isEqualTo(Syscalls.fstat(memfd).ino);
        Syscalls.close(fd);
      }
      // a message without fds
      UnixSockets.sendFds(sv[0], new byte[] {1}, new int[0]);
      assertThat(UnixSockets.recvFds(sv[1], 8, 1).fds()).isEmpty();
    } finally {
      Syscalls.close(memfd);
      Syscalls.close(sv[0]);
      Syscalls.close(sv[1]);
    }
  }

  private static int openFds() throws java.io.IOException {
    try (java.util.stream.Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
      return (int) s.count();
    }
  }

  @Test
  void tooManyFds_forTheReceiver_areClosedNotLeaked_andTheCallFails() throws Exception {
    int[] sv = UnixSockets.seqpacketPair();
    int memfd = Syscalls.memfdCreate("pass-me", 0);
    try {
      int before = openFds();
      UnixSockets.sendFds(sv[0], new byte[] {7}, new int[] {memfd, memfd, memfd, memfd});
      assertThatThrownBy(() -> UnixSockets.recvFds(sv[1], 8, 1))
          .isInstanceOfSatisfying(ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(UnixSockets.EMSGSIZE));
      int after = openFds();
      assertThat(after).isEqualTo(before);
      Syscalls.close(sv[0]);
      assertThat(UnixSockets.recvFds(sv[1], 8, 1).endOfStream()).isTrue();
    } finally {
      Syscalls.close(memfd);
      Syscalls.close(sv[1]);
    }
  }

  /**
   * The cross-process test: a second process receives the private fd over SCM_RIGHTS and
   * its mmap fails with ENODEV; the shared fd maps and reads what guestmem wrote. Then guestmem
   * audits that process: it holds the private fd (unmappable) and maps the shared memfd, and
   * nothing maps private memory.
   */
  @Test
  void aSecondProcess_cannotMapThePrivateFd_butReadsTheSharedFd() throws Exception {
    Backends.assumeKvm();
    Map<String, String> facts = new HashMap<>();
    AuditReport audit = runVmmChild("kvm", facts);
    assertThat(facts).containsEntry("PRIVATE_LINK", "anon_inode:[kvm-gmem]").containsEntry("PRIVATE_MMAP", "ENODEV");
    assertThat(audit.clean()).isTrue();
    assertThat(audit.findings()).extracting(AuditFinding::kind)
        .containsExactlyInAnyOrder(AuditFinding.Kind.PRIVATE_FD_HELD_UNMAPPABLE, AuditFinding.Kind.SHARED_BACKING_MAPPED);
  }

  /**
   * The secretmem backend's weaker guarantee, shown: a second process that receives the private
   * memfd_secret fd can map it, and the audit reports that process as a violation.
   */
  @Test
  void onSecretmem_aSecondProcessCanMapThePrivateFd_andTheAuditFlagsIt() throws Exception {
    Backends.assume("secretmem");
    Map<String, String> facts = new HashMap<>();
    AuditReport audit = runVmmChild("secretmem", facts);
    assertThat(facts).containsEntry("PRIVATE_LINK", "/secretmem (deleted)").containsEntry("PRIVATE_MMAP", "OK");
    assertThat(audit.clean()).isFalse();
    assertThat(audit.findings()).filteredOn(AuditFinding::violation).extracting(AuditFinding::kind)
        .containsExactly(AuditFinding.Kind.PRIVATE_FD_MAPPABLE);
  }

  /** Runs {@link FdReceiverChild} against a fresh lease; fills {@code facts}, returns the audit of the child. */
  private AuditReport runVmmChild(String backend, Map<String, String> facts) throws Exception {
    Path sockPath = dir.resolve(backend + ".sock");
    AuditReport audit;
    try (MemoryEngine engine = MemoryEngine.open(EngineConfig.of(dir.resolve(backend), backend))) {
      Lease l = engine.openLease(LeaseRequest.owned(16 * 4096, "tdx"));
      l.convert(List.of(new ByteRange(0, 4096)), PageState.SHARED);
      byte[] written = "guestmem wrote this".getBytes(StandardCharsets.UTF_8);
      try (HostMapping m = l.mapShared(new ByteRange(0, 4096))) {
        m.write(0, written);
      }
      int listen = UnixSockets.listenSeqpacket(sockPath, 1);
      // Bounded waits: a child that dies early must fail the test (EAGAIN), not hang it.
      io.guestmem.memory.sys.SocketOptions.setTimeouts(listen, 60_000);
      Process child = ChildJvm.start(FdReceiverChild.class, sockPath.toString(), Integer.toString(written.length));
      int conn;
      try {
        conn = UnixSockets.accept(listen);
      } finally {
        Syscalls.close(listen);
      }
      try {
        io.guestmem.memory.sys.SocketOptions.setTimeouts(conn, 60_000);
        UnixSockets.sendFds(conn, l.id().getBytes(StandardCharsets.UTF_8),
            new int[] {l.privateFd().orElseThrow(), l.sharedFd().orElseThrow()});
        assertThat(new String(UnixSockets.recvFds(conn, 16, 0).payload(), StandardCharsets.UTF_8)).isEqualTo("done");
        // The child now holds both fds and maps the shared memfd: audit it as a VMM.
        audit = engine.audit((int) child.pid());
        UnixSockets.sendFds(conn, "bye".getBytes(StandardCharsets.UTF_8), new int[0]);
      } finally {
        Syscalls.close(conn);
      }
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
      try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          int sp = line.indexOf(' ');
          facts.put(line.substring(0, sp), line.substring(sp + 1));
        }
      }
      assertThat(child.exitValue()).isZero();
      assertThat(facts).containsEntry("PAYLOAD", l.id())
          .containsEntry("FDS", "2")
          .containsEntry("PRIVATE_CLOEXEC", "1")
          .containsEntry("PRIVATE_INO", Long.toString(Syscalls.fstat(l.privateFd().orElseThrow()).ino))
          .containsEntry("SHARED", HexFormat.of().formatHex(written));
    }
    return audit;
  }
}
