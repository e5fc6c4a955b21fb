package io.guestmem.cli;

import io.guestmem.vectors.CaseResult;
import io.guestmem.vectors.ProgressListener;
import io.guestmem.vectors.RunReport;
import io.guestmem.vectors.VectorRunner;
import io.guestmem.vectors.generate.VectorGenerator;
import io.guestmem.vectors.sweep.MutationSweep;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code guestmem vectors run|sweep|generate}: the conformance suite (format and groups: test-vectors/README.md). */
@Command(name = "vectors", mixinStandardHelpOptions = true, description = "Run, sweep or regenerate the conformance vectors.",
    subcommands = {VectorsCommand.Run.class, VectorsCommand.Sweep.class, VectorsCommand.Generate.class})
final class VectorsCommand {

  @Command(name = "run", mixinStandardHelpOptions = true,
      description = {"Run every case of the vector groups under PATH… (default: the bundled real, generated and memory vectors).",
          "Exit 0 only if every selected case passes (skipped cases, e.g. real vectors absent, do not fail)."})
  static final class Run implements Callable<Integer> {
    @Parameters(paramLabel = "PATH", arity = "0..*", description = "Group files (*.vectors.json) or directories.")
    List<Path> paths = new ArrayList<>();

    @Option(names = "--filter", paramLabel = "GLOB", description = "Only cases whose GROUP/ID matches, e.g. 'snp-real/*turin*'.")
    String filter;

    @Option(names = "--json", description = "Machine-readable results instead of the table.")
    boolean json;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      for (Path p : paths) {
        if (!Files.exists(p)) {
          err.println("guestmem vectors run: no such file or directory: " + p);
          return Main.EXIT_USAGE;
        }
      }
      boolean bar = !json && System.console() != null;
      RunReport report = VectorRunner.run(paths, filter, bar ? new Bar(err) : ProgressListener.NONE);
      if (json) {
        out.println(report.toJson());
      } else {
        for (CaseResult f : report.failures()) {
          out.println(f.describe());
        }
        out.print(report.table());
        for (String e : report.loadErrors()) {
          out.println("load error: " + e);
        }
      }
      out.flush();
      return report.allPassed() && report.loadErrors().isEmpty() ? 0 : 1;
    }
  }

  /** A one-line progress bar on stderr, redrawn in place. */
  static final class Bar implements ProgressListener {
    private final PrintWriter err;

    Bar(PrintWriter err) {
      this.err = err;
    }

    @Override
    public void caseFinished(CaseResult result, int done, int total) {
      if (done % 5 != 0 && done != total) {
        return;
      }
      int width = 40;
      int filled = total == 0 ? width : (int) ((long) done * width / total);
      err.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + done + "/" + total);
      if (done == total) {
        err.println();
      }
      err.flush();
    }
  }

  @Command(name = "sweep", mixinStandardHelpOptions = true,
      description = {"Mutation sweep: flip every bit of the signed region of every positive case, truncate and extend at every field",
          "boundary; every mutant must be refused. Exit 0 only with 0 accepted mutants and 0 unexpected exceptions."})
  static final class Sweep implements Callable<Integer> {
    @Parameters(paramLabel = "PATH", arity = "0..*", description = "Group files or directories (default: the bundled vectors).")
    List<Path> paths = new ArrayList<>();

    @Option(names = "--filter", paramLabel = "GLOB", description = "Only cases whose GROUP/ID matches.")
    String filter;

    @Option(names = "--max-bit-flips", defaultValue = "0", paramLabel = "N",
        description = "Sample at most N bit flips per case (0: every bit; default ${DEFAULT-VALUE}).")
    int maxBitFlips;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      List<MutationSweep.Report> reports = MutationSweep.sweepPositives(paths, filter, maxBitFlips, r -> {
        out.println(r);
        out.flush();
      });
      long mutants = reports.stream().mapToLong(MutationSweep.Report::mutants).sum();
      long accepted = reports.stream().mapToLong(r -> r.accepted().size()).sum();
      long unexpected = reports.stream().mapToLong(r -> r.unexpectedExceptions().size()).sum();
      out.printf("%d cases, %d mutants, %d accepted, %d unexpected exceptions%n", reports.size(), mutants, accepted, unexpected);
      reports.stream().filter(r -> !r.clean()).forEach(r -> {
        r.accepted().forEach(a -> out.println("  ACCEPTED " + r.caseId() + ": " + a));
        r.unexpectedExceptions().forEach(a -> out.println("  EXCEPTION " + r.caseId() + ": " + a));
      });
      out.flush();
      return accepted == 0 && unexpected == 0 ? 0 : 1;
    }
  }

  @Command(name = "generate", mixinStandardHelpOptions = true,
      description = "Regenerate the emulator-generated vector groups into DIR (byte-identical to the bundled ones for the same sources).")
  static final class Generate implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "An empty or new directory.")
    Path out;

    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      List<Path> written = VectorGenerator.generate(out);
      spec.commandLine().getOut().println("wrote " + written.size() + " files under " + out);
      spec.commandLine().getOut().flush();
      return 0;
    }
  }
}
