package io.guestmem.cli;

import io.guestmem.rpc.restart.ListenFds;
import io.guestmem.rpc.restart.RestartRecovery;
import io.guestmem.rpc.server.GuestmemServer;
import io.guestmem.rpc.server.ServiceManagerNotifier;
import io.guestmem.rpc.server.StateDirectory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code guestmem serve}: run the service until SIGTERM/SIGINT. */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Serve guestmem.v1 on a unix socket (local VMMs) and on TCP with TLS (relying parties).")
final class ServeCommand implements Callable<Integer> {
  @Option(names = "--state-dir", paramLabel = "DIR",
      description = "State directory (default: /var/lib/guestmem as root, else $XDG_STATE_HOME/guestmem).")
  Path stateDir;

  @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:" + GuestmemServer.Options.DEFAULT_TCP_PORT,
      description = "TCP+TLS listen address (default: ${DEFAULT-VALUE}; port 0 picks a free port).")
  String listen;

  @Option(names = "--no-tcp", description = "Serve only the unix socket.")
  boolean noTcp;

  @Option(names = "--tls-cert", paramLabel = "PEM", description = "TLS certificate (default: self-signed, created in the state directory).")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "PEM", description = "TLS private key (PKCS#8 PEM) for --tls-cert.")
  Path tlsKey;

  @Option(names = "--backend", defaultValue = "auto", paramLabel = "NAME",
      description = "Memory backend: kvm, secretmem, emulated or auto (default: ${DEFAULT-VALUE}; see guestmem caps).")
  String backend;

  @Option(names = "--trust-emulated-roots", paramLabel = "DIR",
      description = "Also trust the emulated roots in DIR when verifying (CI only; every verdict says emulated).")
  Path trustEmulatedRoots;

  @Option(names = "--metrics", defaultValue = "127.0.0.1:0", paramLabel = "HOST:PORT|off",
      description = "Prometheus endpoint (default: ${DEFAULT-VALUE}, a free loopback port, published in endpoints.json).")
  String metrics;

  @Option(names = "--executor", defaultValue = "direct", description = "direct (calls on transport threads; slow work goes to bounded pools) or default (grpc-java's pool); default ${DEFAULT-VALUE}.")
  String executor;

  @Option(names = "--drain-seconds", defaultValue = "10", description = "How long in-flight calls may finish on shutdown (default: ${DEFAULT-VALUE}).")
  long drainSeconds;

  @Option(names = "--release-after-vmm-exit", defaultValue = "-1", paramLabel = "SECONDS",
      description = "Release a lease once the VMM process that opened it has been gone this long; -1 (the default) keeps such leases until closed.")
  long releaseAfterVmmExit;

  @Option(names = "--config", paramLabel = "FILE",
      description = "JSON config file; its keys are these options' long names without dashes (stateDir, listen, "
          + "noTcp, tlsCert, tlsKey, backend, trustEmulatedRoots, metrics, executor, drainSeconds, releaseAfterVmmExit). Command-line options win.")
  Path config;

  @Spec CommandSpec spec;

  /** Applies the config file's values to every option not given on the command line; unknown keys are errors. */
  void applyConfig() throws java.io.IOException {
    com.fasterxml.jackson.databind.JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(config.toFile());
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(config + ": a config file is one JSON object");
    }
    java.util.Iterator<java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode>> it = root.fields();
    while (it.hasNext()) {
      java.util.Map.Entry<String, com.fasterxml.jackson.databind.JsonNode> e = it.next();
      String option = "--" + e.getKey().replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
      picocli.CommandLine.Model.OptionSpec spec0 = spec.findOption(option);
      if (spec0 == null || option.equals("--config") || option.equals("--help") || option.equals("--version")) {
        throw new IllegalArgumentException(config + ": unknown key \"" + e.getKey() + "\"");
      }
      if (spec.commandLine().getParseResult().hasMatchedOption(option)) {
        continue;
      }
      com.fasterxml.jackson.databind.JsonNode v = e.getValue();
      if (!(v.isTextual() || v.isNumber() || v.isBoolean())) {
        throw new IllegalArgumentException(config + ": \"" + e.getKey() + "\" must be a string, number or boolean");
      }
      Object typed;
      Class<?> type = spec0.type();
      if (type == boolean.class || type == Boolean.class) {
        if (!v.isBoolean()) {
          throw new IllegalArgumentException(config + ": \"" + e.getKey() + "\" must be true or false");
        }
        typed = v.asBoolean();
      } else if (type == long.class || type == Long.class) {
        if (!v.canConvertToLong()) {
          throw new IllegalArgumentException(config + ": \"" + e.getKey() + "\" must be a whole number");
        }
        typed = v.asLong();
      } else if (type == Path.class) {
        typed = config.toAbsolutePath().getParent().resolve(v.asText());
      } else {
        typed = v.asText();
      }
      spec0.setValue(typed);
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    if (config != null) {
      try {
        applyConfig();
      } catch (IllegalArgumentException | java.io.IOException e) {
        err.println("guestmem serve: " + e.getMessage());
        return Main.EXIT_USAGE;
      }
    }
    if ((tlsCert == null) != (tlsKey == null)) {
      err.println("guestmem serve: --tls-cert and --tls-key go together");
      return Main.EXIT_USAGE;
    }
    int colon = listen.lastIndexOf(':');
    if (colon <= 0) {
      err.println("guestmem serve: --listen wants HOST:PORT, got " + listen);
      return Main.EXIT_USAGE;
    }
    String host = listen.substring(0, colon).replace("[", "").replace("]", "");
    int port;
    try {
      port = Integer.parseInt(listen.substring(colon + 1));
    } catch (NumberFormatException e) {
      err.println("guestmem serve: bad port in --listen " + listen);
      return Main.EXIT_USAGE;
    }
    if (releaseAfterVmmExit < -1) {
      err.println("guestmem serve: --release-after-vmm-exit is a number of seconds, or -1 to keep leases of exited VMMs");
      return Main.EXIT_USAGE;
    }
    Path dir = stateDir != null ? stateDir : StateDirectory.defaultPath();
    GuestmemServer.Options opts = GuestmemServer.Options.defaults(dir).withTcp(host, port).withBackend(backend).withTls(tlsCert, tlsKey)
        .withTrustedEmulatedRoots(trustEmulatedRoots).withDirectExecutor(!"default".equals(executor));
    if (!executor.equals("direct") && !executor.equals("default")) {
      err.println("guestmem serve: --executor must be direct or default");
      return Main.EXIT_USAGE;
    }
    if (metrics.equals("off")) {
      opts = opts.withMetrics("127.0.0.1", -1);
    } else {
      int mc = metrics.lastIndexOf(':');
      try {
        opts = opts.withMetrics(metrics.substring(0, mc).replace("[", "").replace("]", ""), Integer.parseInt(metrics.substring(mc + 1)));
      } catch (RuntimeException e) {
        err.println("guestmem serve: --metrics wants HOST:PORT or off, got " + metrics);
        return Main.EXIT_USAGE;
      }
    }
    ServiceManagerNotifier manager = ServiceManagerNotifier.fromEnvironment();
    GuestmemServer server = new GuestmemServer(noTcp ? opts.withoutTcp() : opts)
        .withServiceManager(manager, ListenFds.fromEnvironment())
        .withVmmExitGrace(releaseAfterVmmExit >= 0 ? java.time.Duration.ofSeconds(releaseAfterVmmExit) : null);
    GuestmemServer.Endpoints ep = server.start();
    RestartRecovery.Report restart = server.restartReport();
    PrintWriter out = spec.commandLine().getOut();
    out.println("guestmem " + VersionProvider.version() + " serving");
    out.println("  state dir   " + dir.toAbsolutePath());
    out.println("  unix        " + ep.unix());
    out.println("  fd channel  " + ep.fdChannel());
    if (ep.tcp() != null) {
      out.println("  tcp (TLS)   " + ep.tcp() + "  certificate sha256 " + ep.tlsCertSha256());
    }
    if (ep.metrics() != null) {
      out.println("  metrics     http://" + ep.metrics() + "/metrics");
    }
    out.println("  endpoints   " + dir.toAbsolutePath().resolve("endpoints.json"));
    if (!restart.readopted().isEmpty() || !restart.quarantined().isEmpty() || !restart.discarded().isEmpty()) {
      out.println("  restart     " + restart.summary());
      restart.quarantined().forEach((id, why) -> out.println("    quarantined " + id + ": " + why));
    }
    out.flush();
    manager.ready("serving on " + ep.unix() + (ep.tcp() != null ? " and " + ep.tcp() : "")
        + (restart.readopted().isEmpty() && restart.quarantined().isEmpty() ? "" : "; " + restart.summary()));
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      manager.stopping();
      try {
        server.shutdown(drainSeconds);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        stopped.countDown();
      }
    }, "guestmem-shutdown"));
    server.awaitTermination();
    stopped.await();
    return 0;
  }
}
