package io.guestmem.rpc.errors;

import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;

/**
 * Refuses a request whose bytes are not a valid message of the method's request type with
 * INVALID_ARGUMENT / {@value ErrorMapper#MALFORMED_MESSAGE}, like every other refusal.
 *
 * <p>grpc-java parses a request with the method's marshaller before any interceptor or handler
 * sees it, and a parse failure escapes the call: the client gets {@code UNKNOWN} ("Application
 * error processing RPC") without an {@code ErrorInfo}, and the server logs a stack trace per call.
 * {@link #guard} registers each method with a pass-through request marshaller instead, and parses
 * with the real one inside the call, where a failure closes just that call with a stable reason
 * before the handler sees anything. Responses, method names, schema descriptors (for reflection)
 * and the call's transport attributes (peer credentials) are unchanged.
 */
public final class MalformedRequests {
  private MalformedRequests() {}

  /** Hands the request's serialized bytes through unparsed. */
  private static final MethodDescriptor.Marshaller<InputStream> RAW = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(InputStream value) {
      return value;
    }

    @Override
    public InputStream parse(InputStream stream) {
      return stream;
    }
  };

  /** {@code service} with every method's request parsed inside the call (see the class comment). */
  public static ServerServiceDefinition guard(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName()).setSchemaDescriptor(original.getSchemaDescriptor());
    java.util.List<ServerMethodDefinition<?, ?>> methods = new java.util.ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      ServerMethodDefinition<?, ?> guarded = guardMethod(m);
      descriptor.addMethod(guarded.getMethodDescriptor());
      methods.add(guarded);
    }
    ServerServiceDefinition.Builder out = ServerServiceDefinition.builder(descriptor.build());
    methods.forEach(out::addMethod);
    return out.build();
  }

  private static <Q, R> ServerMethodDefinition<InputStream, R> guardMethod(ServerMethodDefinition<Q, R> m) {
    MethodDescriptor<Q, R> method = m.getMethodDescriptor();
    MethodDescriptor<InputStream, R> raw = method.toBuilder(RAW, method.getResponseMarshaller()).build();
    ServerCallHandler<Q, R> handler = m.getServerCallHandler();
    return ServerMethodDefinition.create(raw, (call, headers) -> {
      ParsedCall<Q, R> parsed = new ParsedCall<>(call, method);
      return new GuardListener<>(parsed, handler.startCall(parsed, headers));
    });
  }

  /** Parses each request with the method's marshaller; after a refusal the handler hears only the call's end. */
  private static final class GuardListener<Q, R> extends ServerCall.Listener<InputStream> {
    private final ParsedCall<Q, R> call;
    private final ServerCall.Listener<Q> inner;

    GuardListener(ParsedCall<Q, R> call, ServerCall.Listener<Q> inner) {
      this.call = call;
      this.inner = inner;
    }

    @Override
    public void onMessage(InputStream message) {
      if (call.refused) {
        return;
      }
      Q request;
      try {
        request = call.method.parseRequest(message);
      } catch (RuntimeException e) {
        call.refuse(e);
        return;
      }
      inner.onMessage(request);
    }

    @Override
    public void onHalfClose() {
      if (!call.refused) {
        inner.onHalfClose();
      }
    }

    @Override
    public void onCancel() {
      inner.onCancel();
    }

    @Override
    public void onComplete() {
      inner.onComplete();
    }

    @Override
    public void onReady() {
      if (!call.refused) {
        inner.onReady();
      }
    }
  }

  /** The call as the handler sees it: the original method descriptor, everything else the transport's call. */
  private static final class ParsedCall<Q, R> extends ServerCall<Q, R> {
    private final ServerCall<InputStream, R> call;
    private final MethodDescriptor<Q, R> method;
    /** Set (on the call's serialized executor) once the call was closed for a malformed request. */
    private boolean refused;

    ParsedCall(ServerCall<InputStream, R> call, MethodDescriptor<Q, R> method) {
      this.call = call;
      this.method = method;
    }

    void refuse(RuntimeException e) {
      refused = true;
      String why = e instanceof StatusRuntimeException s && s.getStatus().getCause() != null
          ? s.getStatus().getCause().getMessage() : e.getMessage();
      StatusRuntimeException st = ErrorMapper.status(Status.Code.INVALID_ARGUMENT, ErrorMapper.MALFORMED_MESSAGE,
          "the request is not a valid " + requestType(method) + " message" + (why == null ? "" : ": " + why));
      call.close(st.getStatus(), st.getTrailers() == null ? new Metadata() : st.getTrailers());
    }

    private static String requestType(MethodDescriptor<?, ?> m) {
      if (m.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> p && p.getMessagePrototype() instanceof com.google.protobuf.Message msg) {
        return msg.getDescriptorForType().getFullName();
      }
      return m.getFullMethodName() + " request";
    }

    @Override
    public void request(int numMessages) {
      call.request(numMessages);
    }

    @Override
    public void sendHeaders(Metadata headers) {
      call.sendHeaders(headers);
    }

    @Override
    public void sendMessage(R message) {
      call.sendMessage(message);
    }

    @Override
    public void close(Status status, Metadata trailers) {
      call.close(status, trailers);
    }

    @Override
    public boolean isCancelled() {
      return call.isCancelled();
    }

    @Override
    public boolean isReady() {
      return call.isReady();
    }

    @Override
    public void setMessageCompression(boolean enabled) {
      call.setMessageCompression(enabled);
    }

    @Override
    public void setCompression(String compressor) {
      call.setCompression(compressor);
    }

    @Override
    public void setOnReadyThreshold(int numBytes) {
      call.setOnReadyThreshold(numBytes);
    }

    @Override
    public io.grpc.SecurityLevel getSecurityLevel() {
      return call.getSecurityLevel();
    }

    @Override
    public Attributes getAttributes() {
      return call.getAttributes();
    }

    @Override
    public String getAuthority() {
      return call.getAuthority();
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return method;
    }
  }
}
