package io.guestmem.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.guestmem.memory.HostCapabilities;
import io.guestmem.memory.HostProbe;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code guestmem caps}: what this host really supports, probed through the kernel. */
@Command(name = "caps", mixinStandardHelpOptions = true,
    description = "Probe the host (KVM, guest_memfd, VM types, memory attributes, memfd_secret) and print what it supports.")
final class CapsCommand implements Callable<Integer> {
  @Option(names = "--json", description = "Print JSON instead of a table.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    HostCapabilities caps = HostProbe.probe();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(toJson(caps)));
    } else {
      out.print(toTable(caps));
    }
    out.flush();
    return 0;
  }

  /** The JSON form; keys are a contract (README, tests). */
  static Map<String, Object> toJson(HostCapabilities c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kvm", c.kvm());
    m.put("kvmApiVersion", c.kvmApiVersion());
    m.put("guestMemfd", c.guestMemfd());
    m.put("guestMemfdFlags", c.guestMemfdFlags());
    m.put("vmTypes", c.vmTypes());
    m.put("memoryAttributes", c.memoryAttributes());
    m.put("userMemory2", c.userMemory2());
    m.put("memfdSecret", c.memfdSecret());
    m.put("defaultBackend", c.defaultBackend());
    m.put("notes", c.notes());
    return m;
  }

  static String toTable(HostCapabilities c) {
    StringBuilder sb = new StringBuilder();
    row(sb, "kvm", c.kvm() ? "yes (/dev/kvm, API version " + c.kvmApiVersion() + ")" : "no");
    row(sb, "guest_memfd", !c.guestMemfd() ? "no"
        : "yes (flags: " + (c.guestMemfdFlags().isEmpty() ? "none" : String.join(", ", c.guestMemfdFlags())) + ")");
    row(sb, "VM types", c.vmTypes().isEmpty() ? "-" : String.join(", ", c.vmTypes()));
    row(sb, "memory attributes", c.memoryAttributes() ? "yes (PRIVATE)" : "no");
    row(sb, "user memory2", c.userMemory2() ? "yes" : "no");
    row(sb, "memfd_secret", c.memfdSecret() ? "yes" : "no");
    row(sb, "default backend", c.defaultBackend());
    for (String note : c.notes()) {
      sb.append("note: ").append(note).append('\n');
    }
    return sb.toString();
  }

  private static void row(StringBuilder sb, String k, String v) {
    sb.append(String.format("%-18s %s%n", k, v));
  }
}
