package io.guestmem.rpc.restart;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryException;
import io.guestmem.rpc.errors.ErrorMapper;
import io.guestmem.rpc.v1.GuestMemoryGrpc;
import io.guestmem.rpc.v1.OpenLeaseResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adds a re-attach credential to every {@code OpenLease} reply. The credential's hash is durably
 * recorded before the reply leaves; if it cannot be recorded, the just-opened lease is released
 * and the call fails with {@code UNAVAILABLE} / {@link #NOT_RECORDED}, so no VMM ever holds a lease
 * it could not re-attach.
 */
public final class ReattachInterceptor implements ServerInterceptor {
  private static final Logger log = LoggerFactory.getLogger(ReattachInterceptor.class);
  /** ErrorInfo reason when the credential could not be recorded. */
  public static final String NOT_RECORDED = "REATTACH_CREDENTIAL_NOT_RECORDED";

  private final ReattachCredentials credentials;
  private final MemoryEngine engine;

  public ReattachInterceptor(ReattachCredentials credentials, MemoryEngine engine) {
    this.credentials = credentials;
    this.engine = engine;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(ServerCall<ReqT, RespT> call, Metadata headers,
      ServerCallHandler<ReqT, RespT> next) {
    if (!GuestMemoryGrpc.getOpenLeaseMethod().getFullMethodName().equals(call.getMethodDescriptor().getFullMethodName())) {
      return next.startCall(call, headers);
    }
    return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
      private boolean failed;

      @Override
      @SuppressWarnings("unchecked")
      public void sendMessage(RespT message) {
        if (!(message instanceof OpenLeaseResponse r)) {
          super.sendMessage(message);
          return;
        }
        String id = r.getLease().getLeaseId();
        String credential;
        try {
          credential = credentials.issue(id);
        } catch (IOException | RuntimeException e) {
          log.error("cannot record the re-attach credential of {}; releasing it: {}", id, e.toString());
          try {
            engine.closeLease(id);
          } catch (MemoryException ce) {
            log.error("lease {} could not be released after the failure: {}", id, ce.getMessage());
          }
          failed = true;
          StatusRuntimeException s = ErrorMapper.status(Status.Code.UNAVAILABLE, NOT_RECORDED,
              "the lease's re-attach credential could not be recorded in the state directory (" + e.getMessage() + "); the lease was released");
          super.close(s.getStatus(), s.getTrailers() == null ? new Metadata() : s.getTrailers());
          return;
        }
        super.sendMessage((RespT) r.toBuilder().setReattachCredential(credential).build());
      }

      @Override
      public void close(Status status, Metadata trailers) {
        if (!failed) {
          super.close(status, trailers);
        }
      }
    }, headers);
  }
}
