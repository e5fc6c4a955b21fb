package io.guestmem.rpc.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A client of a running guestmem: finds it through {@code <state-dir>/endpoints.json} and talks
 * to it over the unix socket (the default), or over TCP with TLS — the server pinned by the
 * SHA-256 of its certificate, the client presenting its own certificate (mTLS), e.g. as an
 * operator from another host.
 */
public final class ServiceClient implements AutoCloseable {
  private final EventLoopGroup group;
  private final ManagedChannel channel;

  private ServiceClient(EventLoopGroup group, ManagedChannel channel) {
    this.group = group;
    this.channel = channel;
  }

  /** Connects to the unix socket named in {@code endpoints.json} of {@code stateDir}. */
  public static ServiceClient connect(Path stateDir) throws IOException {
    Path ep = stateDir.resolve("endpoints.json");
    if (!Files.isReadable(ep)) {
      throw new IOException("no running guestmem found: " + ep + " does not exist (start one with ./guestmem serve)");
    }
    JsonNode n = new ObjectMapper().readTree(ep.toFile());
    JsonNode unix = n.get("unix");
    if (unix == null || !unix.isTextual()) {
      throw new IOException(ep + " has no \"unix\" endpoint");
    }
    return connectUnix(Path.of(unix.asText()));
  }

  /**
   * Connects over TCP to the {@code tcp} endpoint of {@code endpoints.json} in {@code stateDir},
   * pinning the server certificate by its {@code tlsCertSha256}, with a client certificate.
   */
  public static ServiceClient connectTcp(Path stateDir, Path certificate, Path privateKey) throws IOException {
    Path ep = stateDir.resolve("endpoints.json");
    if (!Files.isReadable(ep)) {
      throw new IOException("no running guestmem found: " + ep + " does not exist (give --tcp and --tls-server-sha256 for a remote one)");
    }
    JsonNode n = new ObjectMapper().readTree(ep.toFile());
    JsonNode tcp = n.get("tcp");
    JsonNode sha = n.get("tlsCertSha256");
    if (tcp == null || !tcp.isTextual() || sha == null || !sha.isTextual()) {
      throw new IOException(ep + " has no \"tcp\" endpoint with a \"tlsCertSha256\" (is TCP disabled?)");
    }
    return connectTcp(tcp.asText(), sha.asText(), certificate, privateKey);
  }

  /**
   * Connects over TCP+TLS to {@code hostPort} ({@code HOST:PORT}, {@code [v6]:PORT}). The server
   * must present the certificate whose DER SHA-256 is {@code serverSha256} (host names are not
   * checked: the pin is the identity). {@code certificate} (PEM: leaf first, then any
   * intermediates) and {@code privateKey} (PEM: PKCS#8, or a traditional EC/RSA key) are the
   * client's; both null connects without a client certificate.
   */
  public static ServiceClient connectTcp(String hostPort, String serverSha256, Path certificate, Path privateKey) throws IOException {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0) {
      throw new IOException("want HOST:PORT, got " + hostPort);
    }
    String host = hostPort.substring(0, colon).replace("[", "").replace("]", "");
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IOException("bad port in " + hostPort);
    }
    String pin = serverSha256.replace(":", "").toLowerCase(java.util.Locale.ROOT);
    if (!pin.matches("[0-9a-f]{64}")) {
      throw new IOException("the server certificate pin is 64 hex digits (SHA-256 of its DER), got " + serverSha256);
    }
    if ((certificate == null) != (privateKey == null)) {
      throw new IOException("a client certificate needs its private key, and the other way round");
    }
    try {
      io.netty.handler.ssl.SslContextBuilder ssl = io.grpc.netty.GrpcSslContexts.forClient().trustManager(new PinnedServerTrust(pin));
      if (certificate != null) {
        ssl.keyManager(new FixedClientKey(ClientKeys.privateKey(privateKey), ClientKeys.chain(certificate)));
      }
      ManagedChannel ch = NettyChannelBuilder.forAddress(host, port).sslContext(ssl.build()).build();
      return new ServiceClient(null, ch);
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException(e.getMessage(), e);
    }
  }

  /** Connects to a guestmem unix socket. */
  public static ServiceClient connectUnix(Path socket) {
    EventLoopGroup g = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("guestmem-client"), EpollIoHandler.newFactory());
    ManagedChannel ch = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollDomainSocketChannel.class)
        .eventLoopGroup(g)
        .usePlaintext()
        .build();
    return new ServiceClient(g, ch);
  }

  public ManagedChannel channel() {
    return channel;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (group != null) {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }
}
