package io.guestmem.rpc.auth;

import io.grpc.Attributes;
import io.grpc.ServerCredentials;
import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.InternalNettyServerCredentials;
import io.grpc.netty.InternalProtocolNegotiationEvent;
import io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.ProtocolNegotiationEvent;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.PeerCredentials;
import io.netty.util.AsciiString;
import java.io.IOException;

/**
 * Plaintext server negotiation for the unix socket that also reads the peer's credentials
 * ({@code SO_PEERCRED}: pid, uid, gids, taken by the kernel when the client connected) and
 * attaches them to the transport as {@link #PEER_CREDENTIALS}. A connection whose credentials
 * cannot be read is closed before any call is accepted.
 *
 * <p>Uses grpc-netty's {@code Internal*} negotiation hooks, the only place where the Netty
 * channel of a server transport is visible.
 */
public final class PeerCredentialsNegotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
  /** The unix peer of a transport; absent on TCP transports. */
  public static final Attributes.Key<UnixPeer> PEER_CREDENTIALS = Attributes.Key.create("guestmem.unix-peer");

  /** Server credentials for the unix-socket listener. */
  public static ServerCredentials serverCredentials() {
    return InternalNettyServerCredentials.create(new PeerCredentialsNegotiator());
  }

  @Override
  public AsciiString scheme() {
    return AsciiString.of("http");
  }

  @Override
  public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
    ChannelHandler negotiation = InternalProtocolNegotiators.grpcNegotiationHandler(grpcHandler);
    return InternalProtocolNegotiators.waitUntilActiveHandler(new ReadPeerCredentials(negotiation), grpcHandler.getNegotiationLogger());
  }

  @Override
  public void close() {}

  private static final class ReadPeerCredentials extends ChannelInboundHandlerAdapter {
    private final ChannelHandler next;

    ReadPeerCredentials(ChannelHandler next) {
      this.next = next;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (!(evt instanceof ProtocolNegotiationEvent)) {
        super.userEventTriggered(ctx, evt);
        return;
      }
      ProtocolNegotiationEvent pne = (ProtocolNegotiationEvent) evt;
      UnixPeer peer;
      try {
        if (!(ctx.channel() instanceof EpollDomainSocketChannel)) {
          throw new IOException("not a unix domain socket: " + ctx.channel().getClass().getName());
        }
        PeerCredentials pc = ((EpollDomainSocketChannel) ctx.channel()).peerCredentials();
        peer = new UnixPeer(pc.uid(), pc.pid(), pc.gids());
      } catch (IOException e) {
        ctx.close();
        return;
      }
      Attributes attrs = InternalProtocolNegotiationEvent.getAttributes(pne).toBuilder().set(PEER_CREDENTIALS, peer).build();
      ctx.pipeline().addAfter(ctx.name(), null, next);
      ctx.pipeline().remove(this);
      ctx.pipeline().fireUserEventTriggered(InternalProtocolNegotiationEvent.withAttributes(pne, attrs));
    }
  }
}
