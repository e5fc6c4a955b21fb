package io.guestmem.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code guestmem} command line: one process that serves, probes, emulates and verifies.
 *
 * <p>Exit codes: 0 success; 1 the service refused or failed; 2 usage or input errors;
 * 3 a verdict that is contraindicated ({@code verify}).
 */
@Command(
    name = "guestmem",
    mixinStandardHelpOptions = true,
    versionProvider = VersionProvider.class,
    description = "Private guest memory (KVM guest_memfd) and attestation for TDX and SEV-SNP VMs.",
    subcommands = {ServeCommand.class, CapsCommand.class, HealthCommand.class, LeaseCommand.class, EmulateCommand.class, VerifyCommand.class, VectorsCommand.class, CommandLine.HelpCommand.class})
public final class Main {
  public static final int EXIT_USAGE = 2;

  public static void main(String[] args) {
    // before the first logger exists: GUESTMEM_LOG_FORMAT=json switches to one JSON object per line
    if ("json".equalsIgnoreCase(System.getenv("GUESTMEM_LOG_FORMAT")) && System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "logback-json.xml");
    }
    // the service logs at INFO; one-shot commands only warn, so their output stays readable
    if (System.getenv("GUESTMEM_LOG_LEVEL") == null && (args.length == 0 || !args[0].equals("serve"))) {
      System.setProperty("GUESTMEM_LOG_LEVEL", "WARN");
    }
    System.exit(run(args));
  }

  /** Runs the CLI and returns its exit code (used by tests without exiting the JVM). */
  public static int run(String... args) {
    CommandLine cl = new CommandLine(new Main());
    cl.setExitCodeExceptionMapper(e -> EXIT_USAGE);
    cl.setParameterExceptionHandler((ex, a) -> {
      ex.getCommandLine().getErr().println("guestmem: " + ex.getMessage());
      ex.getCommandLine().usage(ex.getCommandLine().getErr());
      return EXIT_USAGE;
    });
    return cl.execute(args);
  }
}
