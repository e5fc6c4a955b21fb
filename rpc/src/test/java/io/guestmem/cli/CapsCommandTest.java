package io.guestmem.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class CapsCommandTest {
  private static String runCaps(String... args) {
    StringWriter out = new StringWriter();
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(new PrintWriter(out));
    assertThat(cl.execute(args)).isZero();
    return out.toString();
  }

  @Test
  void jsonHasEveryDocumentedKey() throws Exception {
    JsonNode n = new ObjectMapper().readTree(runCaps("caps", "--json"));
    assertThat(n.fieldNames()).toIterable().contains(
        "kvm", "kvmApiVersion", "guestMemfd", "guestMemfdFlags", "vmTypes", "memoryAttributes",
        "userMemory2", "memfdSecret", "defaultBackend");
    assertThat(n.get("guestMemfdFlags").isArray()).isTrue();
    assertThat(n.get("vmTypes").isArray()).isTrue();
    assertThat(n.get("defaultBackend").asText()).isIn("kvm", "secretmem", "emulated");
  }

  @Test
  void withoutKvmItSaysSoAndPicksAnotherBackend() throws Exception {
    assumeTrue(!Files.exists(Path.of("/dev/kvm")), "/dev/kvm is present here: the no-KVM path is not observable");
    JsonNode n = new ObjectMapper().readTree(runCaps("caps", "--json"));
    assertThat(n.get("kvm").asBoolean()).isFalse();
    assertThat(n.get("defaultBackend").asText()).isNotEqualTo("kvm");
  }

  /** The facts of Linux 6.18 on the build machines (guest-memfd.md §0), probed for real. */
  @Test
  void reportsTheRealKernelOnAKvmHost() throws Exception {
    assumeTrue(Files.isReadable(Path.of("/dev/kvm")) && Files.isWritable(Path.of("/dev/kvm")), "/dev/kvm absent or not openable: skipped");
    JsonNode n = new ObjectMapper().readTree(runCaps("caps", "--json"));
    assertThat(n.get("kvm").asBoolean()).isTrue();
    assertThat(n.get("kvmApiVersion").asInt()).isEqualTo(12);
    if (n.get("guestMemfd").asBoolean()) {
      assertThat(n.get("defaultBackend").asText()).isEqualTo("kvm");
      assertThat(n.get("vmTypes").toString()).contains("DEFAULT");
    }
  }

  @Test
  void tableNamesEveryCapability() {
    String table = runCaps("caps");
    assertThat(table).contains("kvm", "guest_memfd", "VM types", "memory attributes", "user memory2", "memfd_secret", "default backend");
  }

  @Test
  void versionAndHelpExitZero() {
    StringWriter out = new StringWriter();
    CommandLine cl = new CommandLine(new Main());
    cl.setOut(new PrintWriter(out));
    assertThat(cl.execute("--version")).isZero();
    assertThat(out.toString()).startsWith("guestmem 0.");
    assertThat(cl.execute("--help")).isZero();
    assertThat(out.toString()).contains("serve", "caps", "health");
  }

  @Test
  void unknownOptionIsAUsageError() {
    assertThat(Main.run("caps", "--no-such-option")).isEqualTo(Main.EXIT_USAGE);
  }
}
