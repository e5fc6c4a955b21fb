package io.guestmem.rpc.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.guestmem.memory.HostCapabilities;
import io.guestmem.memory.HostProbe;
import io.guestmem.memory.Durability;
import io.guestmem.memory.EngineConfig;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryException;
import io.guestmem.rpc.auth.Caller;
import io.guestmem.rpc.auth.ClientCertificateFilter;
import io.guestmem.rpc.auth.HandshakeAuditingNegotiator;
import io.guestmem.rpc.auth.PeerCredentialsNegotiator;
import io.guestmem.rpc.auth.TcpAuthorization;
import io.guestmem.rpc.auth.ReloadableClientAuth;
import io.guestmem.rpc.auth.TlsClientAuth;
import io.guestmem.rpc.v1.AttestationGrpc;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.guestmem.rpc.errors.MalformedRequests;
import io.guestmem.rpc.fdchannel.AttachWaiters;
import io.guestmem.rpc.fdchannel.FdChannelServer;
import io.guestmem.rpc.fdchannel.HandoffTokens;
import io.guestmem.rpc.memory.GuestMemoryService;
import io.guestmem.rpc.restart.FdStore;
import io.guestmem.rpc.restart.ListenFds;
import io.guestmem.rpc.restart.ReattachCredentials;
import io.guestmem.rpc.restart.ReattachInterceptor;
import io.guestmem.rpc.restart.RestartRecovery;
import io.guestmem.rpc.restart.VmmExitWatcher;
import io.grpc.ServerInterceptors;
import java.time.Clock;
import java.time.Duration;
import io.guestmem.attestation.InvalidRequestException;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.ear.VerifierKey;
import io.guestmem.attestation.trust.TrustAnchors;
import io.guestmem.rpc.attestation.AttestationService;
import io.guestmem.rpc.attestation.NonceStore;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicInteger;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires and runs guestmem: a unix-socket listener for local clients (the VMM) and a TCP+TLS
 * listener for relying parties, both serving {@code guestmem.v1} plus the standard health and
 * reflection services. {@code GuestMemory} is served on TCP only with client certificates
 * configured ({@link TlsClientAuth}), and there only to callers whose certificate maps to an
 * operator ({@link TcpAuthorization}). Writes {@code endpoints.json} once listening.
 */
public final class GuestmemServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GuestmemServer.class);

  /** Where and how to listen. */
  public record Options(Path stateDir, String tcpHost, int tcpPort, boolean tcpEnabled,
                        Path tlsCertificate, Path tlsPrivateKey, int maxInboundMessageBytes,
                        String backend, boolean rootIsOperator, Path trustEmulatedRoots, String metricsHost, int metricsPort,
                        boolean directExecutor, TlsClientAuth clientAuth, Durability durability) {
    public static final int DEFAULT_TCP_PORT = 7443;
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

    public static Options defaults(Path stateDir) {
      return new Options(stateDir, "127.0.0.1", DEFAULT_TCP_PORT, true, null, null, DEFAULT_MAX_MESSAGE_BYTES, EngineConfig.AUTO, true, null, "127.0.0.1", 0, true, TlsClientAuth.none(), Durability.PROCESS_CRASH);
    }

    public Options withTcp(String host, int port) {
      return new Options(stateDir, host, port, true, tlsCertificate, tlsPrivateKey, maxInboundMessageBytes, backend, rootIsOperator, trustEmulatedRoots, metricsHost, metricsPort, directExecutor, clientAuth, durability);
    }

    public Options withoutTcp() {
      return new Options(stateDir, tcpHost, tcpPort, false, tlsCertificate, tlsPrivateKey, maxInboundMessageBytes, backend, rootIsOperator, trustEmulatedRoots, metricsHost, metricsPort, directExecutor, clientAuth, durability);
    }

    public Options withBackend(String b) {
      return new Options(stateDir, tcpHost, tcpPort, tcpEnabled, tlsCertificate, tlsPrivateKey, maxInboundMessageBytes, b, rootIsOperator, trustEmulatedRoots, metricsHost, metricsPort, directExecutor, clientAuth, durability);
    }

    public Options withTls(Path certificate, Path privateKey) {
      return new Options(stateDir, tcpHost, tcpPort, tcpEnabled, certificate, privateKey, maxInboundMessageBytes, backend, rootIsOperator, trustEmulatedRoots, metricsHost, metricsPort, directExecutor, clientAuth, durability);
    }

    /** Also trust the emulated roots in {@code dir} (CI with the emulated TEE); every verdict then says so. */
    public Options withTrustedEmulatedRoots(Path dir) {
      return new Options(stateDir, tcpHost, tcpPort, tcpEnabled, tlsCertificate, tlsPrivateKey, maxInboundMessageBytes, backend, rootIsOperator, dir, metricsHost, metricsPort, directExecutor, clientAuth, durability);
    }

    /** Prometheus endpoint; port 0 picks a free port, -1 disables it. */
    public Options withMetrics(String host, int port) {
      return new Options(stateDir, tcpHost, tcpPort, tcpEnabled, tlsCertificate, tlsPrivateKey, maxInboundMessageBytes, backend, rootIsOperator, trustEmulatedRoots, host, port, directExecutor, clientAuth, durability);
    }

    /**
     * Run calls on the transport threads (direct executor, the default: every slow call hands its
     * work to a bounded pool itself) or on grpc-java's default cached pool.
     */
    public Options withDirectExecutor(boolean direct) {
      return new Options(stateDir, tcpHost, tcpPort, tcpEnabled, tlsCertificate, tlsPrivateKey, maxInboundMessageBytes, backend, rootIsOperator, trustEmulatedRoots, metricsHost, metricsPort, direct, clientAuth, durability);
    }

    /** Client certificates on the TCP listener (mTLS) and the operator mappings built on them. */
    public Options withClientAuth(TlsClientAuth auth) {
      return new Options(stateDir, tcpHost, tcpPort, tcpEnabled, tlsCertificate, tlsPrivateKey, maxInboundMessageBytes, backend, rootIsOperator, trustEmulatedRoots, metricsHost, metricsPort, directExecutor, auth, durability);
    }

    /**
     * What an acknowledged page-state change survives: {@code PROCESS_CRASH} (the default: the
     * process being killed) or {@code POWER_LOSS} (also a kernel crash or power cut: an fsync per
     * record, on the bounded pool rather than the transport threads).
     */
    public Options withDurability(Durability d) {
      return new Options(stateDir, tcpHost, tcpPort, tcpEnabled, tlsCertificate, tlsPrivateKey, maxInboundMessageBytes, backend, rootIsOperator, trustEmulatedRoots, metricsHost, metricsPort, directExecutor, clientAuth, d);
    }

    public Options withRootIsOperator(boolean operator) {
      return new Options(stateDir, tcpHost, tcpPort, tcpEnabled, tlsCertificate, tlsPrivateKey, maxInboundMessageBytes, backend, operator, trustEmulatedRoots, metricsHost, metricsPort, directExecutor, clientAuth, durability);
    }
  }

  /** Threads of the lease-operation pool under {@code POWER_LOSS} durability (group commit; see {@code Journal}). */
  static final int POWER_LOSS_MEMORY_THREADS = 32;

  /** What a started server listens on (the content of {@code endpoints.json}). */
  public record Endpoints(Path unix, Path fdChannel, String tcp, String tlsCertSha256, String metrics) {}

  private final Options options;
  private final HealthStatusManager health = new HealthStatusManager();
  private final List<Server> servers = new ArrayList<>();
  private EventLoopGroup unixBoss;
  private EventLoopGroup unixWorkers;
  private StateDirectory state;
  private MemoryEngine engine;
  private FdChannelServer fdChannel;
  private GuestMemoryService memoryService;
  private ExecutorService attestationPool;
  private final Metrics metrics = new Metrics();
  private volatile Endpoints endpoints;
  /** Orders a reload's rewrite of endpoints.json against its removal at close. */
  private final Object endpointsLock = new Object();
  /** Whether this instance bound the control socket (and so may remove it and endpoints.json); written under endpointsLock once serving. */
  private volatile boolean ownsSocket;
  private ServiceManagerNotifier manager = new ServiceManagerNotifier(null, 0);
  private ListenFds passedFds = ListenFds.none();
  private RestartRecovery.Report restart = RestartRecovery.Report.empty();
  private Duration vmmExitGrace;
  private VmmExitWatcher vmmExitWatcher;
  /** The TCP listener's client-certificate settings, when it has them. */
  private volatile ReloadableClientAuth tcpClientAuth;

  public GuestmemServer(Options options) {
    this.options = options;
  }

  /**
   * Runs under a service manager: lease fds go to its fd store through {@code manager}, and the
   * fds it passed back at start ({@code passed}) re-adopt the leases they belong to. Call before
   * {@link #start()}.
   */
  public GuestmemServer withServiceManager(ServiceManagerNotifier manager, ListenFds passed) {
    this.manager = manager;
    this.passedFds = passed;
    return this;
  }

  /**
   * Releases a lease once the process that opened it has been gone for {@code grace}; null (the
   * default) keeps such leases until they are closed. Call before {@link #start()}.
   */
  public GuestmemServer withVmmExitGrace(Duration grace) {
    this.vmmExitGrace = grace;
    return this;
  }

  /** What re-adoption from the service manager's fd store did at start. */
  public RestartRecovery.Report restartReport() {
    return restart;
  }

  /** Starts both listeners; on any failure, whatever was started is stopped again. */
  public Endpoints start() throws IOException, GeneralSecurityException {
    state = StateDirectory.open(options.stateDir());
    HostCapabilities caps = HostProbe.probe();
    try {
      refuseIfAnotherInstanceServes(state.controlSocket());
      try {
        engine = MemoryEngine.open(EngineConfig.of(state.root(), options.backend()).withDurability(options.durability()));
      } catch (MemoryException e) {
        throw new IOException("cannot open the memory engine in " + state.root() + ": " + e.getMessage(), e);
      }
      state.restrictDatabaseFiles();
      ReattachCredentials credentials = ReattachCredentials.open(state.root());
      restart = RestartRecovery.run(engine, passedFds, manager);
      if (manager.socket().isPresent()) {
        engine.addListener(new FdStore(engine, manager));
      }
      if (vmmExitGrace != null) {
        Duration period = vmmExitGrace.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofMillis(Math.max(50, vmmExitGrace.toMillis())) : Duration.ofSeconds(1);
        vmmExitWatcher = new VmmExitWatcher(engine, vmmExitGrace, period);
      }
      engine.addListener(e -> {
        if (e.kind() == io.guestmem.memory.MemoryEvent.Kind.LEASE_CLOSED) {
          try {
            credentials.forget(e.leaseId());
          } catch (IOException ex) {
            log.warn("cannot remove the re-attach record of released lease {}: {}", e.leaseId(), ex.toString());
          }
        }
      });
      HandoffTokens tokens = new HandoffTokens(Clock.systemUTC(), HandoffTokens.DEFAULT_LIFETIME);
      AttachWaiters waiters = new AttachWaiters();
      // Under POWER_LOSS a pool thread mostly waits for its group's fsync, and a group can only be as
      // large as the number of threads waiting: more threads, larger groups, the same CPU.
      int memoryThreads = 2 * Runtime.getRuntime().availableProcessors() + 2;
      if (options.durability() == Durability.POWER_LOSS) {
        memoryThreads = Math.max(memoryThreads, POWER_LOSS_MEMORY_THREADS);
      }
      memoryService = new GuestMemoryService(engine, tokens, waiters, options.rootIsOperator(), boundedPool("guestmem-memory", memoryThreads, 1024));
      metrics.bind(engine);
      List<ServerServiceDefinition> localServices = new ArrayList<>();
      List<ServerServiceDefinition> remoteServices = new ArrayList<>();
      for (BindableService s : List.of(new CapabilitiesService(caps), health.getHealthService(), ProtoReflectionServiceV1.newInstance())) {
        localServices.add(ServerInterceptors.intercept(s, Caller.interceptor()));
        remoteServices.add(ServerInterceptors.intercept(s, Caller.interceptor()));
      }
      localServices.add(ServerInterceptors.intercept(memoryService, new ReattachInterceptor(credentials, engine), Caller.interceptor()));
      TrustAnchors anchors = TrustAnchors.pinned();
      if (options.trustEmulatedRoots() != null) {
        try {
          anchors = anchors.withEmulatedRootsFrom(options.trustEmulatedRoots());
        } catch (InvalidRequestException e) {
          throw new IOException("--trust-emulated-roots: " + e.getMessage(), e);
        }
      }
      VerifierKey earKey = VerifierKey.loadOrCreate(state.root().resolve("ear-signing-key.jwk"));
      Files.writeString(state.root().resolve("jwks.json"), earKey.jwks());
      attestationPool = boundedPool("guestmem-verify", Math.max(2, Runtime.getRuntime().availableProcessors()), 4096);
      AttestationService attestation = new AttestationService(Verifiers.discover(),
          new AttestationService.Config(anchors, state.root().resolve("collateral"), state.root().resolve("policies"), earKey,
              "guestmem " + BuildInfo.version()),
          new NonceStore(Clock.systemUTC(), Duration.ofMinutes(5), 100_000), engine, attestationPool, metrics::verified);
      localServices.add(ServerInterceptors.intercept(attestation, Caller.interceptor()));
      remoteServices.add(ServerInterceptors.intercept(attestation, Caller.interceptor()));
      fdChannel = new FdChannelServer(state.fdChannelSocket(), engine, tokens, waiters, credentials, 32);
      fdChannel.start();
      Path sock = startUnix(localServices);
      TlsClientAuth clientAuth = options.clientAuth();
      List<ServerServiceDefinition> services = remoteServices;
      if (clientAuth.enabled()) {
        // With client certificates, lease and emulator RPCs are served on TCP too, behind the operator gate;
        // without them GuestMemory is not served on TCP at all.
        TcpAuthorization gate = new TcpAuthorization(Set.of(GuestMemoryGrpc.SERVICE_NAME),
            Set.of(AttestationGrpc.getEmulateTdxMethod().getFullMethodName(), AttestationGrpc.getEmulateSnpMethod().getFullMethodName()));
        services = new ArrayList<>();
        for (ServerServiceDefinition d : remoteServices) {
          services.add(ServerInterceptors.intercept(d, gate));
        }
        services.add(ServerInterceptors.intercept(memoryService, new ReattachInterceptor(credentials, engine), Caller.interceptor(), gate));
      }
      String tcp = null;
      String sha = null;
      if (options.tcpEnabled()) {
        TlsMaterial tls = options.tlsCertificate() != null
            ? TlsMaterial.fromFiles(options.tlsCertificate(), options.tlsPrivateKey())
            : TlsMaterial.selfSigned(state.tlsDirectory());
        SslContextBuilder ssl = GrpcSslContexts.forServer(tls.certificate().toFile(), tls.privateKey().toFile());
        InetSocketAddress at = new InetSocketAddress(options.tcpHost(), options.tcpPort());
        NettyServerBuilder tcpBuilder;
        if (clientAuth.enabled()) {
          ReloadableClientAuth reloadable = new ReloadableClientAuth(clientAuth);
          ssl.trustManager(reloadable.trustManager());
          SslContext optional = ssl.clientAuth(ClientAuth.OPTIONAL).build();
          SslContext required = ssl.clientAuth(ClientAuth.REQUIRE).build();
          // the same TLS negotiation, with every failed handshake in the audit log; a reload may switch the mode for new connections
          tcpBuilder = withServices(NettyServerBuilder.forAddress(at, HandshakeAuditingNegotiator.serverCredentials(optional, required,
              () -> reloadable.current().mode() == TlsClientAuth.Mode.REQUIRE)), services)
              .addTransportFilter(new ClientCertificateFilter(() -> reloadable.current().operators()));
          tcpClientAuth = reloadable;
        } else {
          tcpBuilder = withServices(NettyServerBuilder.forAddress(at), services).sslContext(ssl.build());
        }
        Server s = tcpBuilder.build().start();
        servers.add(s);
        InetSocketAddress bound = (InetSocketAddress) s.getListenSockets().get(0);
        tcp = hostPort(options.tcpHost(), bound.getPort());
        sha = tls.certificateSha256();
      }
      health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.SERVING);
      String metricsAt = null;
      if (options.metricsPort() >= 0) {
        metricsAt = hostPort(options.metricsHost(), metrics.serve(options.metricsHost(), options.metricsPort()));
      }
      endpoints = new Endpoints(sock, fdChannel.path(), tcp, sha, metricsAt);
      writeEndpoints(endpoints);
      log.info("guestmem serving: unix={} tcp={}", sock, tcp);
      return endpoints;
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      close();
      throw e;
    }
  }

  private Path startUnix(List<ServerServiceDefinition> services) throws IOException {
    if (!Epoll.isAvailable()) {
      throw new IOException("unix-socket transport needs Linux epoll: " + Epoll.unavailabilityCause());
    }
    Path sock = state.controlSocket();
    Files.deleteIfExists(sock);
    // named threads: thread dumps and per-thread CPU (benchmarks' RpcCpu) tell the transport apart
    unixBoss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("guestmem-unix-accept"), EpollIoHandler.newFactory());
    unixWorkers = new MultiThreadIoEventLoopGroup(Math.max(2, Runtime.getRuntime().availableProcessors()),
        new DefaultThreadFactory("guestmem-unix"), EpollIoHandler.newFactory());
    Server s = withServices(NettyServerBuilder.forAddress(new DomainSocketAddress(sock.toString()), PeerCredentialsNegotiator.serverCredentials()), services)
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(unixBoss)
        .workerEventLoopGroup(unixWorkers)
        .build()
        .start();
    servers.add(s);
    ownsSocket = true;
    // Any local user may connect; what they may do is decided per call from their peer credentials.
    Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-rw-rw-"));
    return sock;
  }

  private NettyServerBuilder withServices(NettyServerBuilder b, List<ServerServiceDefinition> services) {
    if (options.directExecutor()) {
      // safe because GuestMemory and Attestation move journal writes and signature checks to bounded pools
      b.directExecutor();
    }
    b.intercept(metrics.rpcInterceptor())
        .maxInboundMessageSize(options.maxInboundMessageBytes())
        .maxConcurrentCallsPerConnection(1024)
        .permitKeepAliveTime(10, TimeUnit.SECONDS);
    // a request that is not a valid message gets INVALID_ARGUMENT / MALFORMED_MESSAGE, not UNKNOWN
    services.forEach(s -> b.addService(MalformedRequests.guard(s)));
    return b;
  }

  /** A socket file left by a dead instance is stale; one that still answers means another guestmem runs. */
  private static void refuseIfAnotherInstanceServes(Path sock) throws IOException {
    if (!Files.exists(sock)) {
      return;
    }
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(sock));
      throw new IOException("another guestmem is already serving on " + sock);
    } catch (java.net.SocketException e) {
      // stale: removed when this instance binds
    }
  }

  private static ExecutorService boundedPool(String name, int threads, int queue) {
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queue), r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** The memory engine (for in-process tests and the emulators). */
  public MemoryEngine engine() {
    return engine;
  }

  private static String hostPort(String host, int port) {
    return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
  }

  private void writeEndpoints(Endpoints e) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("unix", e.unix().toString());
    m.put("fdChannel", e.fdChannel().toString());
    if (e.tcp() != null) {
      m.put("tcp", e.tcp());
      m.put("tlsCertSha256", e.tlsCertSha256());
      TlsClientAuth auth = tcpClientAuth != null ? tcpClientAuth.current() : options.clientAuth();
      if (auth.enabled()) {
        m.put("tlsClientAuth", auth.mode().name().toLowerCase(java.util.Locale.ROOT));
      }
    }
    if (e.metrics() != null) {
      m.put("metrics", "http://" + e.metrics() + "/metrics");
    }
    Path target = state.endpointsFile();
    Path tmp = target.resolveSibling("endpoints.json.tmp");
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), m);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /**
   * Replaces the TCP listener's client-certificate mode (optional or require), CA bundle, CRLs and
   * operator mappings for new handshakes and connections (what {@code serve} does on SIGHUP);
   * {@code endpoints.json} is rewritten when the mode changes.
   *
   * @throws IllegalStateException if the listener was not started with client certificates
   * @throws IllegalArgumentException if {@code next} switches client certificates off; nothing changes then
   */
  public void reloadClientAuth(TlsClientAuth next) {
    ReloadableClientAuth r = tcpClientAuth;
    if (r == null) {
      throw new IllegalStateException("the TCP listener was not started with client certificates (--tls-client-ca)");
    }
    TlsClientAuth.Mode before = r.current().mode();
    r.replace(next);
    log.info("tls client settings reloaded: client certificates {}, {} operator mapping(s), CRLs {}", next.mode().name().toLowerCase(java.util.Locale.ROOT),
        next.operators().mappings().size(), next.verifier().crls().files());
    if (next.mode() != before) {
      synchronized (endpointsLock) {
        if (ownsSocket && endpoints != null) {
          try {
            writeEndpoints(endpoints);
          } catch (IOException e) {
            log.warn("cannot rewrite {} with the new client certificate mode: {}", state.endpointsFile(), e.toString());
          }
        }
      }
    }
  }

  public Endpoints endpoints() {
    return endpoints;
  }

  /** Blocks until the servers terminate. */
  public void awaitTermination() throws InterruptedException {
    for (Server s : servers) {
      s.awaitTermination();
    }
  }

  /**
   * Graceful stop: health goes NOT_SERVING, new calls are refused, in-flight calls get
   * {@code drainSeconds} to finish, then the rest are cancelled.
   */
  public void shutdown(long drainSeconds) throws InterruptedException {
    health.enterTerminalState();
    for (Server s : servers) {
      s.shutdown();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(drainSeconds);
    for (Server s : servers) {
      long left = Math.max(0, deadline - System.nanoTime());
      if (!s.awaitTermination(left, TimeUnit.NANOSECONDS)) {
        s.shutdownNow();
      }
    }
    close();
  }

  @Override
  public void close() {
    for (Server s : servers) {
      s.shutdownNow();
    }
    servers.clear();
    if (vmmExitWatcher != null) {
      vmmExitWatcher.close();
      vmmExitWatcher = null;
    }
    if (fdChannel != null) {
      fdChannel.close();
      fdChannel = null;
    }
    if (memoryService != null) {
      try {
        memoryService.shutdown();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      memoryService = null;
    }
    metrics.close();
    if (attestationPool != null) {
      attestationPool.shutdownNow();
      attestationPool = null;
    }
    if (engine != null) {
      engine.close();
      engine = null;
    }
    if (unixBoss != null) {
      unixBoss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      unixWorkers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      unixBoss = null;
    }
    if (state != null && ownsSocket) {
      synchronized (endpointsLock) {
        ownsSocket = false; // a reload from now on does not write endpoints.json again
      }
      try {
        Files.deleteIfExists(state.controlSocket());
        Files.deleteIfExists(state.endpointsFile());
      } catch (IOException e) {
        log.warn("cannot remove socket or endpoints file: {}", e.toString());
      }
    }
  }
}
