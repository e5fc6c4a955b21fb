package io.guestmem.cli;

import io.guestmem.memory.Durability;
import io.guestmem.rpc.restart.ListenFds;
import io.guestmem.rpc.restart.RestartRecovery;
import io.guestmem.rpc.server.GuestmemServer;
import io.guestmem.rpc.server.ServiceManagerNotifier;
import io.guestmem.rpc.server.StateDirectory;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import io.guestmem.rpc.auth.ClientCertificateVerifier;
import io.guestmem.rpc.auth.ClientCrls;
import io.guestmem.rpc.auth.TlsClientAuth;
import io.guestmem.rpc.auth.TlsOperator;
import io.guestmem.rpc.auth.TlsOperators;
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

  @Option(names = "--tls-client-ca", paramLabel = "PEM",
      description = "CA bundle (PEM, one or more certificates) for TLS client certificates on TCP; the only trust anchors used for them. "
          + "Enables mTLS (see --tls-client-auth).")
  Path tlsClientCa;

  @Option(names = "--tls-client-crl", paramLabel = "FILE",
      description = "CRL file (PEM X509 CRL blocks or one DER CRL, repeatable) of a CA of client certificates: a listed certificate "
          + "is refused (CLIENT_CERT_REVOKED), a CRL past its nextUpdate refuses that CA's clients (CLIENT_CERT_CRL_STALE); "
          + "CAs without a CRL here are not checked. Files are re-read when they change. Needs --tls-client-ca.")
  List<Path> tlsClientCrl;

  @Option(names = "--tls-client-auth", paramLabel = "none|optional|require",
      description = "Client certificates on TCP: none; optional (asked for; clients without one stay anonymous relying parties); "
          + "require (the handshake fails without a valid one). Default: optional with --tls-client-ca, else none.")
  String tlsClientAuth;

  @Option(names = "--tls-operator", paramLabel = "MAPPING",
      description = "Maps a client certificate to an operator (repeatable): sha256=HEX or san=dns:NAME|uri:URI, then ,uid=N "
          + "(act as uid N) and/or ,allLeases (act on every lease), optionally ,name=LABEL. Needs --tls-client-ca.")
  List<String> tlsOperator;

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

  @Option(names = "--durability", defaultValue = "process-crash", paramLabel = "LEVEL",
      description = "What an acknowledged page-state change survives: process-crash (the process being killed; "
          + "the record is in the page cache when the call returns) or power-loss (also a kernel crash or power cut: "
          + "an fsync per change, run off the transport threads; much slower). Default: ${DEFAULT-VALUE}.")
  String durability;

  @Option(names = "--drain-seconds", defaultValue = "10", description = "How long in-flight calls may finish on shutdown (default: ${DEFAULT-VALUE}).")
  long drainSeconds;

  @Option(names = "--release-after-vmm-exit", defaultValue = "-1", paramLabel = "SECONDS",
      description = "Release a lease once the VMM process that opened it has been gone this long; -1 (the default) keeps such leases until closed.")
  long releaseAfterVmmExit;

  @Option(names = "--config", paramLabel = "FILE",
      description = "JSON config file; its keys are these options' long names without dashes (stateDir, listen, "
          + "noTcp, tlsCert, tlsKey, tlsClientCa, tlsClientCrl (an array), tlsClientAuth, tlsOperator (an array), backend, "
          + "trustEmulatedRoots, metrics, executor, durability, "
          + "drainSeconds, releaseAfterVmmExit). Command-line options win.")
  Path config;

  @Spec CommandSpec spec;

  /** The {@code --durability} level, or null if it names none. */
  Durability durability() {
    return switch (durability) {
      case "process-crash" -> Durability.PROCESS_CRASH;
      case "power-loss" -> Durability.POWER_LOSS;
      default -> null;
    };
  }

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
      if (option.equals("--tls-client-crl")) {
        spec0.setValue(pathList(e.getKey(), v));
        continue;
      }
      if (spec0.type() == List.class) {
        spec0.setValue(operatorSpecs(e.getKey(), v));
        continue;
      }
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

  /** An array of file names, relative to the config file's directory. */
  private List<Path> pathList(String key, com.fasterxml.jackson.databind.JsonNode v) {
    if (!v.isArray()) {
      throw new IllegalArgumentException(config + ": \"" + key + "\" must be an array of file names");
    }
    List<Path> out = new ArrayList<>();
    for (int i = 0; i < v.size(); i++) {
      if (!v.get(i).isTextual() || v.get(i).asText().isEmpty()) {
        throw new IllegalArgumentException(config + ": \"" + key + "\"[" + i + "] must be a file name");
      }
      out.add(config.toAbsolutePath().getParent().resolve(v.get(i).asText()));
    }
    return out;
  }

  /**
   * {@code tlsOperator}: an array whose elements are mapping strings ({@code sha256=…,uid=…}) or
   * objects with the same keys ({@code {"sha256": "…", "uid": 1000, "allLeases": false, "name": "…"}}).
   */
  private List<String> operatorSpecs(String key, com.fasterxml.jackson.databind.JsonNode v) {
    if (!v.isArray()) {
      throw new IllegalArgumentException(config + ": \"" + key + "\" must be an array of operator mappings");
    }
    List<String> specs = new ArrayList<>();
    for (int i = 0; i < v.size(); i++) {
      com.fasterxml.jackson.databind.JsonNode m = v.get(i);
      String where = config + ": \"" + key + "\"[" + i + "]";
      try {
        if (m.isTextual()) {
          specs.add(TlsOperator.parse(m.asText()).spec());
          continue;
        }
        if (!m.isObject()) {
          throw new IllegalArgumentException("must be a mapping string or object");
        }
        java.util.Iterator<String> names = m.fieldNames();
        while (names.hasNext()) {
          String n = names.next();
          if (!List.of("sha256", "san", "uid", "allLeases", "name").contains(n)) {
            throw new IllegalArgumentException("unknown key \"" + n + "\" (keys: sha256, san, uid, allLeases, name)");
          }
        }
        com.fasterxml.jackson.databind.JsonNode uid = m.get("uid");
        com.fasterxml.jackson.databind.JsonNode all = m.get("allLeases");
        if (uid != null && !(uid.isInt() && uid.asInt() >= 0)) {
          throw new IllegalArgumentException("uid must be a number >= 0");
        }
        if (all != null && !all.isBoolean()) {
          throw new IllegalArgumentException("allLeases must be true or false");
        }
        for (String text : List.of("sha256", "san", "name")) {
          if (m.get(text) != null && (!m.get(text).isTextual() || m.get(text).asText().contains(","))) {
            throw new IllegalArgumentException(text + " must be a string without commas");
          }
        }
        specs.add(new TlsOperator(m.hasNonNull("name") ? m.get("name").asText() : null, m.hasNonNull("sha256") ? m.get("sha256").asText() : null,
            m.hasNonNull("san") ? m.get("san").asText() : null, uid != null ? uid.asInt() : -1, all != null && all.asBoolean()).spec());
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException(where + ": " + ex.getMessage(), ex);
      }
    }
    return specs;
  }

  /** The TCP listener's client-certificate settings from --tls-client-ca, --tls-client-auth and --tls-operator. */
  TlsClientAuth clientAuth() throws java.io.IOException, java.security.GeneralSecurityException {
    TlsClientAuth.Mode mode = tlsClientAuth != null ? TlsClientAuth.Mode.parse(tlsClientAuth)
        : tlsClientCa != null ? TlsClientAuth.Mode.OPTIONAL : TlsClientAuth.Mode.NONE;
    List<TlsOperator> ops = new ArrayList<>();
    for (String m : tlsOperator != null ? tlsOperator : List.<String>of()) {
      try {
        ops.add(TlsOperator.parse(m));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--tls-operator " + m + ": " + e.getMessage(), e);
      }
    }
    List<Path> crlFiles = tlsClientCrl != null ? tlsClientCrl : List.of();
    if (mode == TlsClientAuth.Mode.NONE) {
      if (!crlFiles.isEmpty()) {
        throw new IllegalArgumentException("--tls-client-crl needs client certificates: --tls-client-ca (and --tls-client-auth optional or require)");
      }
      if (!ops.isEmpty()) {
        throw new IllegalArgumentException("--tls-operator needs client certificates: --tls-client-ca (and --tls-client-auth optional or require)");
      }
      return TlsClientAuth.none();
    }
    if (tlsClientCa == null) {
      throw new IllegalArgumentException("--tls-client-auth " + tlsClientAuth + " needs --tls-client-ca");
    }
    ClientCertificateVerifier verifier = ClientCertificateVerifier.fromPem(tlsClientCa, java.time.Clock.systemUTC());
    if (!crlFiles.isEmpty()) {
      verifier = verifier.withCrls(ClientCrls.load(crlFiles, java.time.Clock.systemUTC()));
    }
    return new TlsClientAuth(mode, verifier, new TlsOperators(ops));
  }

  /**
   * The client-certificate settings as a reload sees them: options given on the command line keep
   * their values, the others are read again from the config file (which must still be valid).
   */
  TlsClientAuth reloadedClientAuth() throws java.io.IOException, java.security.GeneralSecurityException {
    picocli.CommandLine.ParseResult given = spec.commandLine().getParseResult();
    List<String> args = new ArrayList<>();
    if (config != null) {
      args.addAll(List.of("--config", config.toString()));
    }
    if (given.hasMatchedOption("--tls-client-ca")) {
      args.addAll(List.of("--tls-client-ca", tlsClientCa.toString()));
    }
    if (given.hasMatchedOption("--tls-client-auth")) {
      args.addAll(List.of("--tls-client-auth", tlsClientAuth));
    }
    if (given.hasMatchedOption("--tls-client-crl")) {
      tlsClientCrl.forEach(f -> args.addAll(List.of("--tls-client-crl", f.toString())));
    }
    if (given.hasMatchedOption("--tls-operator")) {
      tlsOperator.forEach(m -> args.addAll(List.of("--tls-operator", m)));
    }
    ServeCommand fresh = new ServeCommand();
    new picocli.CommandLine(fresh).parseArgs(args.toArray(new String[0]));
    if (fresh.config != null) {
      fresh.applyConfig();
    }
    return fresh.clientAuth();
  }

  /** On SIGHUP: {@link #reloadedClientAuth} into the running server, or a log line saying why not. */
  private void reloadOnHangup(GuestmemServer server) {
    try {
      sun.misc.SignalHandler previous = sun.misc.Signal.handle(new sun.misc.Signal("HUP"), sig -> {
        try {
          server.reloadClientAuth(reloadedClientAuth());
        } catch (Exception e) {
          org.slf4j.LoggerFactory.getLogger(ServeCommand.class).error("SIGHUP: tls client settings not reloaded, the previous ones stay: {}",
              e.getMessage());
        }
      });
      if (previous == sun.misc.SignalHandler.SIG_IGN) {
        // the JVM leaves a signal ignored at start (nohup, some supervisors) ignored
        org.slf4j.LoggerFactory.getLogger(ServeCommand.class).warn("SIGHUP is ignored in this process (started under nohup?); "
            + "reloading the tls client settings needs a restart");
      }
    } catch (IllegalArgumentException e) {
      org.slf4j.LoggerFactory.getLogger(ServeCommand.class).warn("SIGHUP cannot be handled here ({}); reloading needs a restart", e.getMessage());
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
    TlsClientAuth clientAuth;
    try {
      clientAuth = clientAuth();
    } catch (IllegalArgumentException | java.io.IOException | java.security.GeneralSecurityException e) {
      err.println("guestmem serve: " + e.getMessage());
      return Main.EXIT_USAGE;
    }
    Path dir = stateDir != null ? stateDir : StateDirectory.defaultPath();
    GuestmemServer.Options opts = GuestmemServer.Options.defaults(dir).withTcp(host, port).withBackend(backend).withTls(tlsCert, tlsKey)
        .withTrustedEmulatedRoots(trustEmulatedRoots).withDirectExecutor(!"default".equals(executor)).withClientAuth(clientAuth);
    if (!executor.equals("direct") && !executor.equals("default")) {
      err.println("guestmem serve: --executor must be direct or default");
      return Main.EXIT_USAGE;
    }
    Durability level = durability();
    if (level == null) {
      err.println("guestmem serve: --durability must be process-crash or power-loss");
      return Main.EXIT_USAGE;
    }
    opts = opts.withDurability(level);
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
    out.println("  durability  " + durability + (level == Durability.POWER_LOSS ? " (an fsynced journal commit per group of changes)"
        : " (acknowledged changes survive the process being killed, not a kernel crash or power cut)"));
    out.println("  unix        " + ep.unix());
    out.println("  fd channel  " + ep.fdChannel());
    if (ep.tcp() != null) {
      out.println("  tcp (TLS)   " + ep.tcp() + "  certificate sha256 " + ep.tlsCertSha256());
      if (clientAuth.enabled()) {
        out.println("  tls clients " + clientAuth.mode().name().toLowerCase(java.util.Locale.ROOT) + ", CA " + tlsClientCa.toAbsolutePath()
            + ", " + clientAuth.operators().mappings().size() + " operator mapping(s)"
            + (clientAuth.verifier().crls().files().isEmpty() ? "" : ", CRLs " + clientAuth.verifier().crls().files()));
      }
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
    if (clientAuth.enabled() && ep.tcp() != null) {
      reloadOnHangup(server);
    }
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
