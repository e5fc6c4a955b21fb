package io.guestmem.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.grpc.StatusRuntimeException;
import io.guestmem.rpc.client.ServiceClient;
import io.guestmem.rpc.errors.ErrorMapper;
import io.guestmem.rpc.server.StateDirectory;
import io.guestmem.rpc.v1.ByteRange;
import io.guestmem.rpc.v1.CloseLeaseRequest;
import io.guestmem.rpc.v1.ConvertRequest;
import io.guestmem.rpc.v1.ConvertResponse;
import io.guestmem.rpc.v1.GetLeaseRequest;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.Lease;
import io.guestmem.rpc.v1.LeaseMode;
import io.guestmem.rpc.v1.OpenLeaseRequest;
import io.guestmem.rpc.v1.OpenLeaseResponse;
import io.guestmem.rpc.v1.PageState;
import io.guestmem.rpc.v1.StateRange;
import io.guestmem.rpc.v1.TeeKind;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code guestmem lease …}: client commands for the running service's GuestMemory API. */
@Command(name = "lease", mixinStandardHelpOptions = true, description = "Open, convert, show and close leases on the running service.",
    subcommands = {LeaseCommand.Open.class, LeaseCommand.Convert.class, LeaseCommand.Show.class, LeaseCommand.Audit.class,
        LeaseCommand.Close.class})
final class LeaseCommand {
  static final int EXIT_REFUSED = 1;

  @Option(names = "--state-dir", paramLabel = "DIR", scope = picocli.CommandLine.ScopeType.INHERIT,
      description = "State directory of the running service (finds it through endpoints.json).")
  Path stateDir;

  @picocli.CommandLine.Mixin ServiceConnection connection;

  Path stateDir() {
    return stateDir != null ? stateDir : StateDirectory.defaultPath();
  }

  /** Runs one call against the service; a refusal prints the stable reason on stderr. */
  static int call(LeaseCommand parent, CommandSpec spec, ClientCall body) {
    PrintWriter err = spec.commandLine().getErr();
    try (ServiceClient c = parent.connection.open(parent.stateDir())) {
      return body.run(GuestMemoryGrpc.newBlockingStub(c.channel()).withDeadlineAfter(30, TimeUnit.SECONDS), spec.commandLine().getOut());
    } catch (StatusRuntimeException e) {
      err.println("guestmem " + spec.name() + ": " + e.getStatus().getCode() + " "
          + ErrorMapper.reasonOf(e).orElse("-") + ": " + e.getStatus().getDescription());
      err.flush();
      return EXIT_REFUSED;
    } catch (IOException e) {
      err.println("guestmem " + spec.name() + ": " + e.getMessage());
      err.flush();
      return EXIT_REFUSED;
    }
  }

  interface ClientCall {
    int run(GuestMemoryGrpc.GuestMemoryBlockingStub stub, PrintWriter out) throws IOException;
  }

  static String json(Object o) throws IOException {
    return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(o);
  }

  static String stateName(PageState s) {
    return s.name().replace("PAGE_STATE_", "");
  }

  /** The JSON form of a lease; keys are a contract (README). */
  static Map<String, Object> leaseJson(Lease l, List<StateRange> ranges) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("lease", l.getLeaseId());
    m.put("size", l.getSizeBytes());
    m.put("mode", l.getMode().name().replace("LEASE_MODE_", ""));
    m.put("tee", l.getTeeKind().name().replace("TEE_KIND_", ""));
    m.put("backend", l.getBackend());
    m.put("status", l.getStatus().name().replace("LEASE_STATUS_", ""));
    List<Map<String, Object>> rs = new ArrayList<>();
    for (StateRange r : ranges) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("offset", r.getRange().getOffset());
      e.put("length", r.getRange().getLength());
      e.put("state", stateName(r.getState()));
      e.put("allocated", r.getAllocated());
      rs.add(e);
    }
    m.put("ranges", rs);
    m.put("allocated", Map.of("private", l.getAllocatedPrivateBytes(), "shared", l.getAllocatedSharedBytes()));
    return m;
  }

  @Command(name = "open", mixinStandardHelpOptions = true, description = "Open a lease (all PRIVATE, nothing allocated).")
  static final class Open implements Callable<Integer> {
    @ParentCommand LeaseCommand parent;
    @Spec CommandSpec spec;

    @Option(names = "--size", required = true, converter = Sizes.Converter.class, paramLabel = "SIZE", description = "e.g. 64MiB, 2GiB, 4096")
    long size;

    @Option(names = "--attached", description = "Attached mode: the VMM hands over its own guest_memfd.")
    boolean attached;

    @Option(names = "--tee", defaultValue = "none", description = "tdx, snp or none (default: ${DEFAULT-VALUE})")
    String tee;

    @Option(names = "--json", description = "Print JSON ({\"lease\": ID, \"handoffToken\": …}).")
    boolean json;

    @Override
    public Integer call() {
      TeeKind kind;
      switch (tee.toLowerCase(Locale.ROOT)) {
        case "tdx": kind = TeeKind.TEE_KIND_TDX; break;
        case "snp": kind = TeeKind.TEE_KIND_SNP; break;
        case "none": kind = TeeKind.TEE_KIND_NONE; break;
        default:
          spec.commandLine().getErr().println("guestmem lease open: --tee must be tdx, snp or none");
          return Main.EXIT_USAGE;
      }
      return LeaseCommand.call(parent, spec, (stub, out) -> {
        OpenLeaseResponse r = stub.openLease(OpenLeaseRequest.newBuilder().setSizeBytes(size)
            .setMode(attached ? LeaseMode.LEASE_MODE_ATTACHED : LeaseMode.LEASE_MODE_OWNED).setTeeKind(kind).build());
        if (json) {
          Map<String, Object> m = leaseJson(r.getLease(), r.getLease().getRangesList());
          m.put("handoffToken", r.getHandoffToken());
          out.println(json(m));
        } else {
          out.println(r.getLease().getLeaseId());
        }
        out.flush();
        return 0;
      });
    }
  }

  @Command(name = "convert", mixinStandardHelpOptions = true, description = "Convert a range to private or shared (all-or-nothing).")
  static final class Convert implements Callable<Integer> {
    @ParentCommand LeaseCommand parent;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "LEASE")
    String lease;

    @Option(names = "--offset", required = true, converter = Sizes.Converter.class)
    long offset;

    @Option(names = "--length", required = true, converter = Sizes.Converter.class)
    long length;

    @Option(names = "--to", required = true, description = "private or shared")
    String to;

    @Override
    public Integer call() {
      PageState state;
      switch (to.toLowerCase(Locale.ROOT)) {
        case "private": state = PageState.PAGE_STATE_PRIVATE; break;
        case "shared": state = PageState.PAGE_STATE_SHARED; break;
        default:
          spec.commandLine().getErr().println("guestmem lease convert: --to must be private or shared");
          return Main.EXIT_USAGE;
      }
      return LeaseCommand.call(parent, spec, (stub, out) -> {
        ConvertResponse r = stub.convert(ConvertRequest.newBuilder().setLeaseId(lease)
            .addRanges(ByteRange.newBuilder().setOffset(offset).setLength(length)).setTo(state).build());
        out.println(r.getBytes() + " bytes are now " + stateName(state));
        out.flush();
        return 0;
      });
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Show a lease: size, allocation, page-state ranges.")
  static final class Show implements Callable<Integer> {
    @ParentCommand LeaseCommand parent;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "LEASE")
    String lease;

    @Option(names = "--json", description = "Print JSON (keys: lease, size, ranges [{offset, length, state}], allocated {private, shared}).")
    boolean json;

    @Override
    public Integer call() {
      return LeaseCommand.call(parent, spec, (stub, out) -> {
        Lease first = null;
        List<StateRange> ranges = new ArrayList<>();
        String token = "";
        do {
          Lease page = stub.getLease(GetLeaseRequest.newBuilder().setLeaseId(lease).setPageToken(token).setPageSize(10_000).build());
          if (first == null) {
            first = page;
          }
          ranges.addAll(page.getRangesList());
          token = page.getNextPageToken();
        } while (!token.isEmpty());
        if (json) {
          out.println(json(leaseJson(first, ranges)));
        } else {
          out.printf("lease %s  %d bytes  %s  %s  backend %s  %s%n", first.getLeaseId(), first.getSizeBytes(),
              first.getMode().name().replace("LEASE_MODE_", ""), first.getTeeKind().name().replace("TEE_KIND_", ""),
              first.getBackend(), first.getStatus().name().replace("LEASE_STATUS_", ""));
          out.printf("allocated: private %d bytes, shared %d bytes%n", first.getAllocatedPrivateBytes(), first.getAllocatedSharedBytes());
          out.printf("%-18s %-18s %-8s %s%n", "offset", "length", "state", "allocated");
          for (StateRange r : ranges) {
            out.printf("0x%-16x 0x%-16x %-8s %s%n", r.getRange().getOffset(), r.getRange().getLength(), stateName(r.getState()),
                r.getAllocated() ? "yes" : "no");
          }
        }
        out.flush();
        return 0;
      });
    }
  }

  @Command(name = "audit", mixinStandardHelpOptions = true,
      description = "Audit the lease's VMM process (/proc maps and fds) for anything exposing private memory; exit 1 on a violation.")
  static final class Audit implements Callable<Integer> {
    @ParentCommand LeaseCommand parent;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "LEASE")
    String lease;

    @Override
    public Integer call() {
      return LeaseCommand.call(parent, spec, (stub, out) -> {
        io.guestmem.rpc.v1.AuditResponse r = stub.audit(io.guestmem.rpc.v1.AuditRequest.newBuilder().setLeaseId(lease).build());
        out.printf("pid %d: %s (backend %s; %d mappings, %d fds scanned)%n", r.getPid(), r.getClean() ? "clean" : "VIOLATION",
            r.getBackend(), r.getMappingsScanned(), r.getFdsScanned());
        for (io.guestmem.rpc.v1.AuditFinding f : r.getFindingsList()) {
          out.printf("  %s %s %s: %s%n", f.getViolation() ? "VIOLATION" : "info", f.getKind(), f.getWhere(), f.getDetail());
        }
        for (String n : r.getNotesList()) {
          out.println("  note: " + n);
        }
        out.flush();
        return r.getClean() ? 0 : EXIT_REFUSED;
      });
    }
  }

  @Command(name = "close", mixinStandardHelpOptions = true, description = "Close a lease and release its memory.")
  static final class Close implements Callable<Integer> {
    @ParentCommand LeaseCommand parent;
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "LEASE")
    String lease;

    @Override
    public Integer call() {
      return LeaseCommand.call(parent, spec, (stub, out) -> {
        stub.closeLease(CloseLeaseRequest.newBuilder().setLeaseId(lease).build());
        out.println("closed " + lease);
        out.flush();
        return 0;
      });
    }
  }
}
