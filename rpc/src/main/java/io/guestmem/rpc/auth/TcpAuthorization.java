package io.guestmem.rpc.auth;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.guestmem.rpc.errors.ErrorMapper;
import java.net.SocketAddress;
import java.util.Set;

/**
 * The TCP listener's gate in front of lease RPCs (all of {@code GuestMemory}, the emulator RPCs):
 * a caller whose certificate maps to an operator passes (the service then checks it per lease),
 * anyone else is refused with {@code PERMISSION_DENIED} / {@code LOCAL_CALLERS_ONLY}, the reason a
 * TCP caller always got. Both outcomes are written to the {@link AuthorizationLog}.
 */
public final class TcpAuthorization implements ServerInterceptor {
  private final Set<String> guardedServices;
  private final Set<String> guardedMethods;

  /**
   * @param guardedServices services all of whose methods are lease RPCs
   * @param guardedMethods further lease RPCs by full method name
   */
  public TcpAuthorization(Set<String> guardedServices, Set<String> guardedMethods) {
    this.guardedServices = Set.copyOf(guardedServices);
    this.guardedMethods = Set.copyOf(guardedMethods);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getFullMethodName();
    if (!guardedServices.contains(call.getMethodDescriptor().getServiceName()) && !guardedMethods.contains(method)) {
      return next.startCall(call, headers);
    }
    Caller caller = Caller.of(call.getAttributes());
    SocketAddress remote = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (caller.mayUseLeases()) {
      AuthorizationLog.allowed(method, remote, caller);
      return next.startCall(call, headers);
    }
    String why = caller.tls().isPresent()
        ? "its client certificate (sha256 " + caller.tlsPeer().certificateSha256() + ") is not mapped to an operator"
        : "it presented no client certificate";
    AuthorizationLog.denied(method, remote, caller, ErrorMapper.LOCAL_CALLERS_ONLY + ": " + why);
    StatusRuntimeException e = ErrorMapper.status(Status.Code.PERMISSION_DENIED, ErrorMapper.LOCAL_CALLERS_ONLY,
        method + " is served to local callers and to TCP callers whose client certificate maps to an operator; " + why);
    call.close(e.getStatus(), e.getTrailers() != null ? e.getTrailers() : new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
