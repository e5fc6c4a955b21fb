package io.guestmem.rpc.auth;

import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.ServerTransportFilter;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Names the client of each TLS connection once, when it is ready: the verified client
 * certificate (the handshake already ran {@link ClientCertificateVerifier}) and the operator
 * mapping it matches, attached to the transport as {@link #TLS_PEER}; a connection without a
 * certificate gets none and stays an anonymous relying party.
 */
public final class ClientCertificateFilter extends ServerTransportFilter {
  /** The verified client certificate of a TLS transport; absent without one. */
  public static final Attributes.Key<TlsPeer> TLS_PEER = Attributes.Key.create("guestmem.tls-peer");

  private final java.util.function.Supplier<TlsOperators> operators;

  /** {@code operators} is asked when each connection becomes ready (so a reload applies to new connections). */
  public ClientCertificateFilter(java.util.function.Supplier<TlsOperators> operators) {
    this.operators = operators;
  }

  @Override
  public Attributes transportReady(Attributes transport) {
    SSLSession session = transport.get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return transport;
    }
    Certificate[] chain;
    try {
      chain = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      AuthorizationLog.anonymous(transport.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
      return transport;
    }
    if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
      AuthorizationLog.anonymous(transport.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
      return transport;
    }
    Instant validUntil = leaf.getNotAfter().toInstant();
    for (Certificate c : chain) {
      if (c instanceof X509Certificate x && x.getNotAfter().toInstant().isBefore(validUntil)) {
        validUntil = x.getNotAfter().toInstant();
      }
    }
    String sha = ClientCertificateVerifier.sha256(leaf);
    TlsPeer peer = new TlsPeer(sha, leaf.getSubjectX500Principal().getName(), validUntil, operators.get().lookup(leaf, sha).orElse(null));
    AuthorizationLog.connected(transport.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR), peer);
    return transport.toBuilder().set(TLS_PEER, peer).build();
  }
}
