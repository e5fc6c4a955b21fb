package io.guestmem.vectors.run;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.EngineConfig;
import io.guestmem.memory.HostCapabilities;
import io.guestmem.memory.HostMapping;
import io.guestmem.memory.HostProbe;
import io.guestmem.memory.Lease;
import io.guestmem.memory.LeaseInfo;
import io.guestmem.memory.LeaseRequest;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.PageState;
import io.guestmem.vectors.CaseResult;
import io.guestmem.vectors.format.MemoryCase;
import io.guestmem.vectors.format.MemoryStep;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Runs memory cases: each case on a fresh OWNED lease of a memory engine opened on a temporary
 * state directory, once per backend the case names. The emulated backend runs everywhere; the kvm
 * backend runs when the host has {@code /dev/kvm} with {@code guest_memfd}, and is reported as
 * skipped (with the probe's reason) otherwise. Every step must give its expected outcome; the run
 * stops at the first step that does not, and the lease is released in any case.
 */
public final class MemoryCaseRunner {
  private final Path scratch;
  private final HostCapabilities host;

  public MemoryCaseRunner(Path scratch) {
    this.scratch = scratch;
    this.host = HostProbe.probe();
  }

  /** Why the kvm backend cannot run here, or empty when it can. */
  public Optional<String> kvmUnavailable() {
    if (host.kvm() && host.guestMemfd()) {
      return Optional.empty();
    }
    return Optional.of("kvm backend unavailable (" + String.join("; ", host.notes().isEmpty()
        ? List.of("no guest_memfd") : host.notes()) + "): skipped");
  }

  /** One result per backend named by the case, with ids {@code case@backend}. */
  public List<CaseResult> run(String group, MemoryCase c) {
    List<CaseResult> out = new ArrayList<>();
    for (String backend : c.backends()) {
      String id = c.id() + "@" + backend;
      if (backend.equals("kvm") && kvmUnavailable().isPresent()) {
        out.add(CaseResult.skipped(group, id, c.comment(), kvmUnavailable().get()));
        continue;
      }
      out.add(runOn(group, id, c, backend));
    }
    return out;
  }

  private CaseResult runOn(String group, String id, MemoryCase c, String backend) {
    Path state;
    try {
      state = Files.createTempDirectory(scratch, "engine-");
    } catch (IOException e) {
      return CaseResult.failed(group, id, c.comment(), "cannot create a state directory: " + e.getMessage(), List.of(), "");
    }
    List<String> trace = new ArrayList<>();
    try (MemoryEngine engine = MemoryEngine.open(EngineConfig.of(state, backend))) {
      Lease lease = engine.openLease(LeaseRequest.owned(c.leaseSize(), "none"));
      HostMapping mapping = null;
      try {
        for (int i = 0; i < c.steps().size(); i++) {
          MemoryStep s = c.steps().get(i);
          String got;
          String detail = "";
          try {
            detail = step(lease, s, mapping);
            if (s.op() == MemoryStep.Op.MAP) {
              mapping = lease.mapShared(range(s.ranges().get(0)));
            } else if (s.op() == MemoryStep.Op.UNMAP && mapping != null) {
              mapping.close();
              mapping = null;
            }
            got = detail.isEmpty() ? "ok" : "mismatch";
          } catch (MemoryException e) {
            got = e.reason().name();
            detail = e.getMessage();
          }
          trace.add("step " + i + " " + s + " -> " + got);
          if (!got.equals(s.expect()) || got.equals("mismatch")) {
            List<String> diffs = new ArrayList<>();
            diffs.add("- step " + i + " " + s + ": " + s.expect());
            diffs.add("+ step " + i + " " + s + ": " + got + (detail.isEmpty() ? "" : " (" + detail + ")"));
            return CaseResult.failed(group, id, c.comment(), "step " + i + " (" + s.op().jsonName() + ") differs on "
                + backend, diffs, String.join("; ", trace));
          }
        }
      } finally {
        if (mapping != null) {
          mapping.close();
        }
        if (lease.info().status() != io.guestmem.memory.LeaseStatus.CLOSED) {
          lease.release();
        }
      }
      return CaseResult.passed(group, id, c.comment(), backend + ": " + c.steps().size() + " steps as expected");
    } catch (MemoryException e) {
      return CaseResult.failed(group, id, c.comment(), "engine or lease setup failed on " + backend + ": "
          + e.reason() + " " + e.getMessage(), List.of(), String.join("; ", trace));
    } catch (RuntimeException e) {
      return CaseResult.failed(group, id, c.comment(), "unexpected exception on " + backend + ": " + e,
          List.of(), String.join("; ", trace));
    }
  }

  /** Performs a step; returns "" when it did what it should, or what differed (for state/info/read). */
  private static String step(Lease lease, MemoryStep s, HostMapping mapping) throws MemoryException {
    switch (s.op()) {
      case CONVERT -> lease.convert(ranges(s), PageState.valueOf(s.to().orElseThrow()));
      case ALLOCATE -> lease.allocate(ranges(s));
      case DISCARD -> lease.discard(ranges(s));
      case STATE -> {
        PageState st = lease.stateAt(s.offset());
        return st.name().equals(s.state().orElseThrow()) ? "" : "page is " + st;
      }
      case INFO -> {
        LeaseInfo info = lease.info();
        List<String> diffs = new ArrayList<>();
        s.info().forEach((k, want) -> {
          long got = switch (k) {
            case "privateBytes" -> info.bytesIn(PageState.PRIVATE);
            case "sharedBytes" -> info.bytesIn(PageState.SHARED);
            case "allocatedPrivateBytes" -> info.allocatedPrivateBytes();
            case "allocatedSharedBytes" -> info.allocatedSharedBytes();
            case "rangeCount" -> info.ranges().size();
            default -> throw new IllegalArgumentException(k);
          };
          if (got != want) {
            diffs.add(k + " " + got + " (expected " + want + ")");
          }
        });
        return String.join(", ", diffs);
      }
      case MAP, UNMAP -> { }
      case WRITE -> {
        if (mapping == null) {
          return "no open mapping to write through";
        }
        mapping.write(s.offset(), HexFormat.of().parseHex(s.hex().orElseThrow()));
      }
      case READ -> {
        if (mapping == null) {
          return "no open mapping to read through";
        }
        byte[] want = HexFormat.of().parseHex(s.hex().orElseThrow());
        byte[] got = new byte[want.length];
        mapping.read(s.offset(), got);
        return Arrays.equals(want, got) ? "" : "read " + HexFormat.of().formatHex(got);
      }
      case RELEASE -> lease.release();
      default -> throw new AssertionError(s.op());
    }
    return "";
  }

  private static List<ByteRange> ranges(MemoryStep s) {
    return s.ranges().stream().map(MemoryCaseRunner::range).toList();
  }

  private static ByteRange range(long[] r) {
    return new ByteRange(r[0], r[1]);
  }
}
