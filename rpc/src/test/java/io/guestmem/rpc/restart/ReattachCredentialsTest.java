package io.guestmem.rpc.restart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReattachCredentialsTest {
  @TempDir Path state;

  @Test
  void anIssuedCredentialMatchesOnlyItselfAndOnlyItsHashIsStored() throws Exception {
    ReattachCredentials c = ReattachCredentials.open(state);
    String a = c.issue("lease-a");
    String b = c.issue("lease-b");
    assertThat(a).isNotEqualTo(b).hasSize(43);
    assertThat(c.check("lease-a", a)).isEqualTo(ReattachCredentials.Verdict.MATCH);
    assertThat(c.check("lease-a", b)).isEqualTo(ReattachCredentials.Verdict.MISMATCH);
    assertThat(c.check("lease-a", null)).isEqualTo(ReattachCredentials.Verdict.MISMATCH);
    assertThat(c.check("lease-c", a)).isEqualTo(ReattachCredentials.Verdict.UNKNOWN);
    Path record = state.resolve("reattach/lease-a.sha256");
    assertThat(Files.readString(record)).doesNotContain(a).matches("[0-9a-f]{64}\n");
    assertThat(Files.getPosixFilePermissions(record)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(Files.getPosixFilePermissions(state.resolve("reattach"))).isEqualTo(PosixFilePermissions.fromString("rwx------"));
    try (var files = Files.list(state.resolve("reattach"))) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("lease-a.sha256", "lease-b.sha256");
    }
    // survives reopening (a restart)
    assertThat(ReattachCredentials.open(state).check("lease-b", b)).isEqualTo(ReattachCredentials.Verdict.MATCH);
    c.forget("lease-a");
    assertThat(c.check("lease-a", a)).isEqualTo(ReattachCredentials.Verdict.UNKNOWN);
  }

  @Test
  void leaseIdsThatAreNotPlainNamesNeverReachTheFilesystem() throws Exception {
    ReattachCredentials c = ReattachCredentials.open(state);
    assertThat(c.check("../escape", "x")).isEqualTo(ReattachCredentials.Verdict.UNKNOWN);
    assertThat(c.check(".hidden", "x")).isEqualTo(ReattachCredentials.Verdict.UNKNOWN);
    assertThat(c.check(null, "x")).isEqualTo(ReattachCredentials.Verdict.UNKNOWN);
    assertThatThrownBy(() -> c.issue("a/b")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRecordThatIsNotAHashIsReportedNotTreatedAsAMismatch() throws Exception {
    ReattachCredentials c = ReattachCredentials.open(state);
    Files.writeString(state.resolve("reattach/lease-x.sha256"), "not hex\n");
    assertThatThrownBy(() -> c.check("lease-x", "anything")).isInstanceOf(java.io.IOException.class).hasMessageContaining("corrupt");
  }
}
