package io.guestmem.rpc.auth;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Optional;

/**
 * Who is calling: a unix peer (with uid and pid) or a remote TCP client. Set on every call by
 * {@link #interceptor()} from the transport, never from anything the client sends.
 */
public record Caller(UnixPeer unixPeer) {
  private static final Context.Key<Caller> KEY = Context.key("guestmem.caller");
  private static final Caller REMOTE = new Caller(null);

  /** The caller of the current call. */
  public static Caller current() {
    Caller c = KEY.get();
    return c != null ? c : REMOTE;
  }

  public Optional<UnixPeer> unix() {
    return Optional.ofNullable(unixPeer);
  }

  public boolean isLocal() {
    return unixPeer != null;
  }

  /** Puts the transport's peer into the call's context. */
  public static ServerInterceptor interceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        UnixPeer peer = call.getAttributes().get(PeerCredentialsNegotiator.PEER_CREDENTIALS);
        Caller caller = peer != null ? new Caller(peer) : REMOTE;
        return Contexts.interceptCall(Context.current().withValue(KEY, caller), call, headers, next);
      }
    };
  }
}
