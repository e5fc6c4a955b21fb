package io.guestmem.rpc.auth;

import io.grpc.Attributes;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.guestmem.rpc.errors.ErrorMapper;
import java.time.Instant;
import java.util.Optional;

/**
 * Who is calling: a unix peer (with uid and pid), or a TCP client with or without a verified
 * client certificate ({@link TlsPeer}). Set on every call by {@link #interceptor()} from the
 * transport, never from anything the client sends.
 *
 * <p>The lease rule lives here ({@link #leaseActor}): a local caller acts as its uid (root on
 * every lease when root is an operator); a TCP caller whose certificate maps to an operator acts
 * as the mapping says; any other TCP caller may not use leases at all.
 */
public record Caller(UnixPeer unixPeer, TlsPeer tlsPeer) {
  private static final Context.Key<Caller> KEY = Context.key("guestmem.caller");
  private static final Caller REMOTE = new Caller(null, null);
  private static final int SERVICE_PID = (int) ProcessHandle.current().pid();

  /** The caller of the current call. */
  public static Caller current() {
    Caller c = KEY.get();
    return c != null ? c : REMOTE;
  }

  /** The caller a transport's attributes describe. */
  public static Caller of(Attributes transport) {
    UnixPeer peer = transport.get(PeerCredentialsNegotiator.PEER_CREDENTIALS);
    if (peer != null) {
      return new Caller(peer, null);
    }
    TlsPeer tls = transport.get(ClientCertificateFilter.TLS_PEER);
    return tls != null ? new Caller(null, tls) : REMOTE;
  }

  public Optional<UnixPeer> unix() {
    return Optional.ofNullable(unixPeer);
  }

  /** The verified client certificate of a TCP caller that presented one. */
  public Optional<TlsPeer> tls() {
    return Optional.ofNullable(tlsPeer);
  }

  public boolean isLocal() {
    return unixPeer != null;
  }

  /** Whether lease (and emulator) RPCs are open to this caller at all: local, or a mapped operator. */
  public boolean mayUseLeases() {
    return unixPeer != null || (tlsPeer != null && tlsPeer.operator() != null);
  }

  /**
   * Whom lease RPCs act for; empty for TCP callers without an operator mapping.
   *
   * @param rootIsOperator whether uid 0 (a local root, or a mapping to uid 0) acts on every lease
   */
  public Optional<LeaseActor> leaseActor(boolean rootIsOperator) {
    if (unixPeer != null) {
      return Optional.of(new LeaseActor(unixPeer.uid(), unixPeer.pid(), rootIsOperator && unixPeer.uid() == 0, null));
    }
    if (tlsPeer == null || tlsPeer.operator() == null) {
      return Optional.empty();
    }
    TlsOperator op = tlsPeer.operator();
    return Optional.of(new LeaseActor(op.uid(), SERVICE_PID, op.allLeases() || (rootIsOperator && op.uid() == 0),
        "tls operator " + op.name()));
  }

  /**
   * Puts the transport's peer into the call's context. A TCP call whose client certificate chain
   * has expired since the handshake is refused with {@code UNAUTHENTICATED} / {@code CLIENT_CERT_EXPIRED}.
   */
  public static ServerInterceptor interceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Caller caller = of(call.getAttributes());
        if (caller.tlsPeer != null && Instant.now().isAfter(caller.tlsPeer.validUntil())) {
          String why = caller.tlsPeer + " expired at " + caller.tlsPeer.validUntil();
          AuthorizationLog.denied(call.getMethodDescriptor().getFullMethodName(), call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR),
              caller, why);
          StatusRuntimeException e = ErrorMapper.status(Status.Code.UNAUTHENTICATED, ClientCertificateException.Reason.EXPIRED.code(),
              "the client certificate " + why + "; reconnect with a valid one");
          call.close(e.getStatus(), e.getTrailers() != null ? e.getTrailers() : new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return Contexts.interceptCall(Context.current().withValue(KEY, caller), call, headers, next);
      }
    };
  }
}
