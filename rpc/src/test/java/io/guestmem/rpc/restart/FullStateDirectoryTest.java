package io.guestmem.rpc.restart;

import static io.guestmem.rpc.restart.Leases.PAGE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.guestmem.memory.HostProbe;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.server.GuestmemServer;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.GuestMemoryGrpc.GuestMemoryBlockingStub;
import io.guestmem.rpc.v1.PageState;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A state directory that runs out of space: conversions are refused with UNAVAILABLE /
 * JOURNAL_FAILED and change nothing, rather than being acknowledged without a record; once space
 * is back the running service records conversions again, and after a restart the journal holds
 * every acknowledged conversion and nothing else. The state directory is a tmpfs mounted by the
 * test (needs root and mount; skipped otherwise): 2 MiB, where the 4 MiB record log cannot be
 * created and every record is an SQLite write, and 12 MiB, where the record log (allocated when it
 * is created) keeps taking conversions while SQLite cannot ingest them, until it is full.
 */
class FullStateDirectoryTest {
  private static final long MIB = 1L << 20;
  @TempDir Path tmp;

  private static boolean run(String... cmd) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
  }

  /** Writes until the filesystem refuses; returns the bytes written. */
  private static long fill(Path file) throws IOException {
    long written = 0;
    byte[] chunk = new byte[4096];
    try (OutputStream out = Files.newOutputStream(file)) {
      while (true) {
        out.write(chunk);
        out.flush();
        written += chunk.length;
      }
    } catch (IOException e) {
      if (!String.valueOf(e.getMessage()).contains("No space left")) {
        throw e;
      }
      return written;
    }
  }

  @ParameterizedTest(name = "tmpfs of {0} MiB")
  @ValueSource(ints = {2, 12})
  void conversionsAreRefusedNotAcknowledgedUnrecordedWhenTheStateDirectoryIsFull(int mebibytes) throws Exception {
    boolean recordLog = mebibytes > 4;
    String backend = HostProbe.probe().defaultBackend();
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwx--x--x"));
    Path mnt = tmp.resolve("mnt");
    Files.createDirectories(mnt);
    assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=" + mebibytes + "m,mode=0711", "guestmem-test", mnt.toString()),
        "cannot mount a tmpfs here (needs root / CAP_SYS_ADMIN): skipped");
    GuestmemServer server = null;
    ServiceClient client = null;
    try {
      Path stateDir = mnt.resolve("state");
      server = new GuestmemServer(GuestmemServer.Options.defaults(stateDir).withoutTcp().withBackend(backend).withMetrics("127.0.0.1", -1));
      server.start();
      client = ServiceClient.connect(stateDir);
      GuestMemoryBlockingStub stub = GuestMemoryGrpc.newBlockingStub(client.channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
      String id = Leases.open(stub, 16 * MIB).getLease().getLeaseId();
      int pages = (int) (16 * MIB / PAGE);
      PageState[] model = new PageState[pages];
      java.util.Arrays.fill(model, PageState.PAGE_STATE_PRIVATE);

      assertThat(Files.exists(stateDir.resolve("guestmem.db-records"))).as("record log").isEqualTo(recordLog);
      Path filler = mnt.resolve("filler");
      long filled = fill(filler);
      int acknowledged = 0;
      int refused = 0;
      PageState[] atFirstRefusal = null;
      // with the record log: ~40,000 single-page records fit in it before it is full
      for (int i = 0; i < (recordLog ? 200_000 : 20_000) && refused < 3; i++) {
        int p = (i * 37) % pages;
        PageState to = model[p] == PageState.PAGE_STATE_PRIVATE ? PageState.PAGE_STATE_SHARED : PageState.PAGE_STATE_PRIVATE;
        try {
          Leases.convert(stub, id, p * PAGE, PAGE, to);
          model[p] = to;
          acknowledged++;
        } catch (StatusRuntimeException e) {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(Leases.reason(e)).isEqualTo("JOURNAL_FAILED");
          refused++;
          if (atFirstRefusal == null) {
            System.out.println("first refusal: " + e.getStatus().getDescription());
            atFirstRefusal = Leases.pages(stub, id);
            // nothing of the refused conversion was applied; everything acknowledged was
            assertThat(atFirstRefusal).containsExactly(model);
          }
        }
      }
      System.out.printf("state dir full (%d filler bytes): %d conversions acknowledged (%s), %d refused%n",
          filled, acknowledged, recordLog ? "into the record log, allocated at start" : "WAL space already held", refused);
      assertThat(refused).as("a full state directory refuses conversions").isPositive();
      if (recordLog) {
        // what the record log absorbed while SQLite could not ingest: far more than the WAL's slack
        assertThat(acknowledged).isGreaterThan(10_000);
      }

      // OpenLease needs room for its record and its re-attach credential: refused as unavailable too
      StatusRuntimeException open = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
          () -> Leases.open(stub, MIB));
      assertThat(open.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(Leases.reason(open)).isIn("JOURNAL_FAILED", "REATTACH_CREDENTIAL_NOT_RECORDED");

      Files.delete(filler);
      // space is back: the running service records conversions again, without a restart
      int p0 = 1;
      PageState back = model[p0] == PageState.PAGE_STATE_PRIVATE ? PageState.PAGE_STATE_SHARED : PageState.PAGE_STATE_PRIVATE;
      Leases.convert(stub, id, p0 * PAGE, PAGE, back);
      model[p0] = back;
      assertThat(Leases.pages(stub, id)).containsExactly(model);
      // after a restart every acknowledged conversion, and nothing else, is in the journal
      client.close();
      server.shutdown(2);
      server = new GuestmemServer(GuestmemServer.Options.defaults(stateDir).withoutTcp().withBackend(backend).withMetrics("127.0.0.1", -1));
      server.start();
      client = ServiceClient.connect(stateDir);
      GuestMemoryBlockingStub again = GuestMemoryGrpc.newBlockingStub(client.channel()).withDeadlineAfter(60, TimeUnit.SECONDS);
      assertThat(Leases.pages(again, id)).containsExactly(model);
      String opened = Leases.open(again, MIB).getLease().getLeaseId();
      Leases.convert(again, opened, 0, PAGE, PageState.PAGE_STATE_SHARED);
      assertThat(Leases.pages(again, opened)[0]).isEqualTo(PageState.PAGE_STATE_SHARED);
    } finally {
      if (client != null) {
        client.close();
      }
      if (server != null) {
        server.shutdown(2);
      }
      run("umount", "-l", mnt.toString());
    }
  }
}
