package io.guestmem.rpc.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A local client of a running guestmem: finds it through {@code <state-dir>/endpoints.json}
 * and talks to it over the unix socket.
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

  /** Connects to a guestmem unix socket. */
  public static ServiceClient connectUnix(Path socket) {
    EventLoopGroup g = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
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
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
