package io.guestmem.rpc.auth;

import io.grpc.ServerCredentials;
import io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.InternalNettyServerCredentials;
import io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.InternalProtocolNegotiators;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslContext;
import java.util.function.BooleanSupplier;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.AsciiString;

/**
 * grpc-netty's server TLS negotiation, plus an audit line for every failed handshake with the
 * client's address and a stable reason: the {@link ClientCertificateException.Reason#code()} of a
 * certificate the verifier refused, {@code CLIENT_CERT_REQUIRED} for a client that sent none when
 * one is required, else {@code TLS_HANDSHAKE_FAILED}.
 *
 * <p>Uses grpc-netty's {@code Internal*} negotiation hooks (as {@link PeerCredentialsNegotiator}
 * does), the only place where a server transport's Netty pipeline is visible.
 */
public final class HandshakeAuditingNegotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
  /** Reason for a client without a certificate under {@code require}. */
  public static final String CLIENT_CERT_REQUIRED = "CLIENT_CERT_REQUIRED";
  /** Reason for any other failed handshake (protocol, cipher, a client that hung up). */
  public static final String TLS_HANDSHAKE_FAILED = "TLS_HANDSHAKE_FAILED";

  private final InternalProtocolNegotiator.ProtocolNegotiator tls;
  /** The negotiation used while {@link #useStrict} says so (client certificates required); may be {@link #tls}. */
  private final InternalProtocolNegotiator.ProtocolNegotiator strict;
  private final BooleanSupplier useStrict;

  private HandshakeAuditingNegotiator(SslContext ssl, SslContext strictSsl, BooleanSupplier useStrict) {
    this.tls = InternalProtocolNegotiators.serverTls(ssl);
    this.strict = strictSsl == ssl ? tls : InternalProtocolNegotiators.serverTls(strictSsl);
    this.useStrict = useStrict;
  }

  /** Server credentials for the TCP listener. */
  public static ServerCredentials serverCredentials(SslContext ssl) {
    return InternalNettyServerCredentials.create(new HandshakeAuditingNegotiator(ssl, ssl, () -> false));
  }

  /**
   * Server credentials whose client-certificate mode can change while the listener runs: each new
   * connection is negotiated with {@code required} (client certificate required) while
   * {@code requireNow} says so, else with {@code optional}; established connections keep theirs.
   */
  public static ServerCredentials serverCredentials(SslContext optional, SslContext required, BooleanSupplier requireNow) {
    return InternalNettyServerCredentials.create(new HandshakeAuditingNegotiator(optional, required, requireNow));
  }

  @Override
  public AsciiString scheme() {
    return tls.scheme();
  }

  @Override
  public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
    return new WatchHandshake((useStrict.getAsBoolean() ? strict : tls).newHandler(grpcHandler));
  }

  @Override
  public void close() {
    tls.close();
    if (strict != tls) {
      strict.close();
    }
  }

  /** The stable reason of a failed handshake. */
  static String reasonOf(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof ClientCertificateException c) {
        return c.reason().code();
      }
      // the JDK's words when a required client certificate is missing (TLS 1.2 and 1.3)
      if (t.getMessage() != null && t.getMessage().contains("Empty client certificate chain")) {
        return CLIENT_CERT_REQUIRED;
      }
    }
    return TLS_HANDSHAKE_FAILED;
  }

  /** Sits in front of grpc's TLS handler until the handshake is over, then leaves the pipeline. */
  private static final class WatchHandshake extends ChannelInboundHandlerAdapter {
    private final ChannelHandler next;
    private boolean watching;

    WatchHandshake(ChannelHandler next) {
      this.next = next;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      ctx.pipeline().addAfter(ctx.name(), null, next);
      watch(ctx);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      super.channelActive(ctx);
      watch(ctx);
    }

    private void watch(ChannelHandlerContext ctx) {
      SslHandler ssl = ctx.pipeline().get(SslHandler.class);
      if (watching || ssl == null) {
        return;
      }
      watching = true;
      ssl.handshakeFuture().addListener(f -> {
        if (!f.isSuccess()) {
          AuthorizationLog.handshakeFailed(ctx.channel().remoteAddress(), reasonOf(f.cause()), f.cause());
        }
        if (ctx.pipeline().context(this) != null) {
          ctx.pipeline().remove(this);
        }
      });
    }
  }
}
