package io.guestmem.rpc.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.guestmem.memory.HostCapabilities;
import io.guestmem.memory.HostProbe;
import io.guestmem.rpc.server.GuestmemServer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A VMM in its own process against a running guestmem (kvm backend): it opens leases over the
 * unix socket, takes or hands over fds on the fd channel, runs a real-mode guest on its own KVM
 * VM over guestmem's shared memory, and converts pages while the guest's VM exists.
 * {@link MiniVmm} prints one line per step; these tests read them.
 */
class MiniVmmE2ETest {
  private static final long LEASE_SIZE = 2L << 20;
  private static final long CHILD_TIMEOUT_SECONDS = 150;

  @TempDir static Path tmp;
  private static GuestmemServer server;
  private static List<String> lines;
  private static int exitStatus;

  @BeforeAll
  static void runTheMiniVmm() throws Exception {
    assumeTrue(Files.exists(Path.of("/dev/kvm")), "/dev/kvm is absent: the mini VMM needs KVM, skipped");
    HostCapabilities caps = HostProbe.probe();
    assumeTrue(caps.kvm() && caps.guestMemfd(), "KVM without guest_memfd (KVM_CAP_GUEST_MEMFD) on this host: skipped; notes " + caps.notes());
    server = new GuestmemServer(GuestmemServer.Options.defaults(tmp.resolve("state")).withTcp("127.0.0.1", 0).withBackend("kvm"));
    server.start();

    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), MiniVmm.class.getName(),
        server.endpoints().unix().toString(), server.endpoints().fdChannel().toString(), Long.toString(LEASE_SIZE), "owned", "attached")
        .redirectErrorStream(true).start();
    CompletableFuture<List<String>> output = CompletableFuture.supplyAsync(() -> {
      try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        return in.lines().toList();
      } catch (java.io.IOException e) {
        return List.of("reading child output failed: " + e);
      }
    });
    boolean ended = p.waitFor(CHILD_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (!ended) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    lines = output.get(10, TimeUnit.SECONDS);
    System.out.println("mini VMM output:\n" + output());
    assertThat(ended).as("mini VMM ended within %d s; output so far:%n%s", CHILD_TIMEOUT_SECONDS, String.join("\n", lines)).isTrue();
    exitStatus = p.exitValue();
  }

  @AfterAll
  static void stop() throws Exception {
    if (server != null) {
      server.shutdown(2);
    }
  }

  private static String output() {
    return String.join("\n", lines);
  }

  private static String line(String prefix) {
    return lines.stream().filter(l -> l.startsWith(prefix + " ")).findFirst()
        .orElseThrow(() -> new AssertionError("no line '" + prefix + " ...' in mini VMM output:\n" + output()));
  }

  @Test
  void everyStepOfBothModesSucceeded() {
    assertThat(lines).as(output()).noneMatch(l -> l.contains(" FAILED "));
    assertThat(exitStatus).as(output()).isZero();
  }

  @Test
  void ownedModeRunsAGuestOverTheSharedMemfdFromTheFdChannel() {
    assertThat(line("owned.open")).contains("status=LEASE_STATUS_ACTIVE", "ranges=0x0+0x200000:PRIVATE");
    assertThat(line("owned.share-boot")).endsWith("ranges=0x0+0x10000:SHARED,0x10000+0x1f0000:PRIVATE");
    assertThat(line("owned.get")).isEqualTo("owned.get ok role=shared size=" + LEASE_SIZE + " fds=1 fstat_size=" + LEASE_SIZE);
    assertThat(line("owned.vm")).startsWith("owned.vm ok type=0 vcpus=1");
    assertThat(line("owned.memslot")).isEqualTo("owned.memslot ok slot=0 gpa=0x0 size=0x200000 flags=0 userspace_addr=shared-mapping");
    // the immediate and the byte the VMM wrote into the shared memfd, as the guest sent them to its ports
    assertThat(line("owned.run1.exit")).isEqualTo("owned.run1.exit IO out port=0x10 size=1 count=1 value=0x2a");
    assertThat(line("owned.run1")).isEqualTo("owned.run1 ok out10=0x2a out11=0xc3 exit=HLT");
    // guestmem's /proc audit of the VMM: it maps the shared memfd, and nothing private
    assertThat(line("owned.audit")).isEqualTo("owned.audit ok pid_is_self=true clean=true violations=0 findings=SHARED_BACKING_MAPPED");
  }

  @Test
  void ownedModeConversionsWhileTheVmExistsShowInGetLeaseAndInTheGuest() {
    assertThat(line("owned.convert-private")).isEqualTo("owned.convert-private ok range=0x2000+0x1000 to=PRIVATE");
    assertThat(line("owned.lease-private")).isEqualTo(
        "owned.lease-private ok ranges=0x0+0x2000:SHARED,0x2000+0x1000:PRIVATE,0x3000+0xd000:SHARED,0x10000+0x1f0000:PRIVATE");
    // the PRIVATE page was punched out of the shared memfd: the guest reads zero there
    assertThat(line("owned.run2")).isEqualTo("owned.run2 ok out10=0x2a out11=0x00 exit=HLT");
    assertThat(line("owned.lease-shared")).isEqualTo("owned.lease-shared ok ranges=0x0+0x10000:SHARED,0x10000+0x1f0000:PRIVATE");
    assertThat(line("owned.run3")).isEqualTo("owned.run3 ok out10=0x2a out11=0x7e exit=HLT");
    assertThat(line("owned.close")).startsWith("owned.close ok lease=");
  }

  @Test
  void attachedModeHandsOverAnUnmappableGuestMemfdAndGuestmemAcceptsIt() {
    assertThat(line("attached.open")).contains("status=LEASE_STATUS_AWAITING_ATTACH");
    assertThat(line("attached.gmem")).isEqualTo("attached.gmem ok flags=0 size=" + LEASE_SIZE + " link=anon_inode:[kvm-gmem]");
    assertThat(line("attached.gmem-mmap")).isEqualTo("attached.gmem-mmap refused errno=ENODEV");
    assertThat(line("attached.attach")).contains("\"attached\":true");
    assertThat(line("attached.attach-rpc")).isEqualTo("attached.attach-rpc ok status=LEASE_STATUS_ACTIVE ranges=0x0+0x200000:PRIVATE");
  }

  @Test
  void attachedModeRunsTheGuestOnAGuestMemfdSlotAndConverts() {
    assertThat(line("attached.memslot")).isEqualTo(
        "attached.memslot ok slot=0 gpa=0x0 size=0x200000 flags=GUEST_MEMFD guest_memfd_offset=0 userspace_addr=shared-mapping");
    assertThat(line("attached.run1")).isEqualTo("attached.run1 ok out10=0x2a out11=0xc3 exit=HLT");
    // the VMM holds its guest_memfd, unmappable, and maps only the shared memfd
    assertThat(line("attached.audit")).isEqualTo(
        "attached.audit ok pid_is_self=true clean=true violations=0 findings=PRIVATE_FD_HELD_UNMAPPABLE,SHARED_BACKING_MAPPED");
    assertThat(line("attached.lease-private")).isEqualTo(
        "attached.lease-private ok ranges=0x0+0x2000:SHARED,0x2000+0x1000:PRIVATE,0x3000+0xd000:SHARED,0x10000+0x1f0000:PRIVATE");
    assertThat(line("attached.run2")).isEqualTo("attached.run2 ok out10=0x2a out11=0x00 exit=HLT");
    assertThat(line("attached.run3")).isEqualTo("attached.run3 ok out10=0x2a out11=0x7e exit=HLT");
    assertThat(line("attached.close")).startsWith("attached.close ok lease=");
  }
}
