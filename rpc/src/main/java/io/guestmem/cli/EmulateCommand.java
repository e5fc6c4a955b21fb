package io.guestmem.cli;

import io.guestmem.memory.EngineConfig;
import io.guestmem.memory.Lease;
import io.guestmem.memory.LeaseRequest;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryException;
import io.guestmem.snp.abi.SnpProduct;
import io.guestmem.snp.emu.SnpEmulation;
import io.guestmem.tdx.emu.EmulationException;
import io.guestmem.tdx.emu.TdxEmulation;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code guestmem emulate tdx|snp}: run the emulated TEE's lifecycle against a real lease of a
 * private memory engine (the best backend this host has, in a temporary state directory) and write
 * evidence, collateral and emulated roots in the real formats.
 */
@Command(name = "emulate", mixinStandardHelpOptions = true,
    description = "Run the emulated TDX module / SNP firmware against a real lease and write evidence and collateral.",
    subcommands = {EmulateCommand.Tdx.class, EmulateCommand.Snp.class})
final class EmulateCommand {

  /** Options both TEEs share. */
  static class Common {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory (created).")
    Path out;

    @Option(names = "--report-data", paramLabel = "HEX", description = "Up to 64 bytes of REPORT_DATA, hex (zero-padded).")
    String reportData;

    @Option(names = "--seed", defaultValue = "1", description = "Every key, serial and page content derives from it (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--memory", defaultValue = "4MiB", converter = Sizes.Converter.class, paramLabel = "SIZE",
        description = "Size of the guest's lease (default: ${DEFAULT-VALUE}).")
    long memory;

    @Option(names = "--backend", defaultValue = "auto", description = "Memory backend for the lease: kvm, secretmem, emulated or auto (default: ${DEFAULT-VALUE}).")
    String backend;

    @Spec CommandSpec spec;

    byte[] reportDataBytes() {
      if (reportData == null) {
        return new byte[0];
      }
      byte[] b = HexFormat.of().parseHex(reportData.startsWith("0x") ? reportData.substring(2) : reportData);
      if (b.length > 64) {
        throw new IllegalArgumentException("--report-data is at most 64 bytes, got " + b.length);
      }
      return b;
    }

    interface Run {
      List<String> run(Lease lease) throws Exception;
    }

    /** Opens a private engine and lease, runs the emulation on it, releases everything. */
    int withLease(String tee, Run body) {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      Path state = null;
      try {
        state = Files.createTempDirectory("guestmem-emulate-");
        try (MemoryEngine engine = MemoryEngine.open(EngineConfig.of(state, backend))) {
          Lease lease = engine.openLease(LeaseRequest.owned(memory, tee));
          out.println("lease " + lease.id() + ": " + memory + " bytes on the " + engine.backendName() + " backend ("
              + (engine.kernelEnforced() ? "kernel-enforced" : "not kernel-enforced") + ")");
          for (String line : body.run(lease)) {
            out.println(line);
          }
          lease.release();
        }
        out.flush();
        return 0;
      } catch (IllegalArgumentException e) {
        err.println("guestmem emulate " + tee + ": " + e.getMessage());
        return Main.EXIT_USAGE;
      } catch (MemoryException e) {
        err.println("guestmem emulate " + tee + ": memory: " + e.reason() + ": " + e.getMessage());
        return 1;
      } catch (Exception e) {
        err.println("guestmem emulate " + tee + ": " + e.getMessage());
        return 1;
      } finally {
        err.flush();
        deleteQuietly(state);
      }
    }
  }

  @Command(name = "tdx", mixinStandardHelpOptions = true,
      description = "Emulated TDX module + quoting enclave: TD build, AUG/ACCEPT, MapGPA, TDREPORT, quote v4/v5, PCS collateral.")
  static final class Tdx extends Common implements Callable<Integer> {
    @Option(names = "--quote-version", defaultValue = "4", description = "4 (TD 1.0 body) or 5 (TD 1.5 body); default ${DEFAULT-VALUE}.")
    int quoteVersion;

    @Option(names = "--issue-time", paramLabel = "RFC3339",
        description = "issueDate of the collateral and thisUpdate of the CRLs (default: today 00:00 UTC); fix it for byte-identical output.")
    String issueTime;

    @Override
    public Integer call() {
      return withLease("tdx", lease -> {
        TdxEmulation.Options o = TdxEmulation.Options.defaults(out).withQuoteVersion(quoteVersion).withSeed(seed)
            .withReportData(TdxEmulation.Options.reportDataFromHex(HexFormat.of().formatHex(reportDataBytes())));
        if (issueTime != null) {
          try {
            o = o.withIssueTime(Instant.parse(issueTime));
          } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--issue-time is not RFC 3339: " + issueTime);
          }
        }
        try {
          return TdxEmulation.run(lease, o).log();
        } catch (EmulationException e) {
          throw new IOException("emulated TDX module refused: " + e.getMessage(), e);
        }
      });
    }
  }

  @Command(name = "snp", mixinStandardHelpOptions = true,
      description = "Emulated SNP firmware + KDS: launch, PVALIDATE, Page State Change, report v2/v3/v5, KDS collateral.")
  static final class Snp extends Common implements Callable<Integer> {
    @Option(names = "--product", defaultValue = "Milan", description = "Milan, Genoa or Turin (default: ${DEFAULT-VALUE}).")
    String product;

    @Option(names = "--report-version", defaultValue = "5", description = "2, 3 or 5 (default: ${DEFAULT-VALUE}).")
    int reportVersion;

    @Option(names = "--signer", defaultValue = "vcek", description = "vcek or vlek (default: ${DEFAULT-VALUE}).")
    String signer;

    @Override
    public Integer call() {
      return withLease("snp", lease -> {
        SnpProduct p = SnpProduct.fromName(product)
            .orElseThrow(() -> new IllegalArgumentException("--product must be Milan, Genoa or Turin, got " + product));
        SnpEmulation.Signer s;
        switch (signer.toLowerCase(Locale.ROOT)) {
          case "vcek": s = SnpEmulation.Signer.VCEK; break;
          case "vlek": s = SnpEmulation.Signer.VLEK; break;
          default: throw new IllegalArgumentException("--signer must be vcek or vlek, got " + signer);
        }
        SnpEmulation.Options o = SnpEmulation.Options.defaults(out).withProduct(p).withReportVersion(reportVersion)
            .withSigner(s).withSeed(seed).withReportData(io.guestmem.snp.abi.Bytes.copyOf(reportDataBytes()));
        try {
          return SnpEmulation.run(o, lease).log();
        } catch (SnpEmulation.EmulationException e) {
          throw new IOException("emulated SNP firmware refused: " + e.getMessage(), e);
        }
      });
    }
  }

  static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary directory: best effort
    }
  }
}
