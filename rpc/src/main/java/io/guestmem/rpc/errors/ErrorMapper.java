package io.guestmem.rpc.errors;

import com.google.protobuf.Any;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.guestmem.memory.MemoryException;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where domain errors become gRPC statuses. Every status carries a
 * {@code google.rpc.ErrorInfo} in domain {@value #DOMAIN} whose {@code reason} is stable: clients
 * and tests branch on it, never on the message. Codes follow the {@code io.grpc.Status} litmus test:
 * INVALID_ARGUMENT for malformed input, OUT_OF_RANGE for bounds, FAILED_PRECONDITION for wrong
 * state that a retry will not fix, ABORTED for contention a higher-level retry may fix,
 * RESOURCE_EXHAUSTED for quotas, PERMISSION_DENIED for not-the-owner, UNIMPLEMENTED for what this
 * kernel cannot do, UNAVAILABLE for a retryable outage, INTERNAL (generic message) for bugs.
 */
public final class ErrorMapper {
  private static final Logger log = LoggerFactory.getLogger(ErrorMapper.class);

  public static final String DOMAIN = "guestmem.io";

  /** Reasons raised by the rpc layer itself (request shape, tokens, authorisation). */
  public static final String INVALID_REQUEST = "INVALID_REQUEST";
  public static final String UNKNOWN_ENUM_VALUE = "UNKNOWN_ENUM_VALUE";
  public static final String LOCAL_CALLERS_ONLY = "LOCAL_CALLERS_ONLY";
  public static final String INTERNAL = "INTERNAL";
  /** The request's bytes are not a message of the method's request type (see {@link MalformedRequests}). */
  public static final String MALFORMED_MESSAGE = "MALFORMED_MESSAGE";

  /**
   * Most UTF-8 bytes of a status message, and of each ErrorInfo metadata value, that are sent.
   * Messages may quote the caller's input (an unknown lease id, a media type); the message travels
   * percent-encoded in {@code grpc-message} and again in {@code grpc-status-details-bin}, and a
   * client's response headers are limited (8 KiB by default in grpc-java), so a long quote would
   * turn the refusal into an unreadable transport error. Longer text is clipped, ending in "…".
   */
  static final int MAX_TEXT_BYTES = 512;

  private ErrorMapper() {}

  /** The gRPC code for a memory-engine reason. Unknown reasons are treated as bugs. */
  public static Status.Code codeFor(MemoryException.Reason reason) {
    switch (reason) {
      case UNALIGNED:
      case INVALID_ARGUMENT:
      case BAD_FD:
        return Status.Code.INVALID_ARGUMENT;
      case OUT_OF_RANGE:
        return Status.Code.OUT_OF_RANGE;
      case LEASE_NOT_FOUND:
        return Status.Code.NOT_FOUND;
      case LEASE_CLOSED:
      case LEASE_QUARANTINED:
      case RANGE_NOT_SHARED:
      case NOT_ATTACHED:
        return Status.Code.FAILED_PRECONDITION;
      case RANGE_BUSY:
        return Status.Code.ABORTED;
      case QUOTA_EXCEEDED:
        return Status.Code.RESOURCE_EXHAUSTED;
      case NOT_OWNER:
        return Status.Code.PERMISSION_DENIED;
      case UNSUPPORTED:
        return Status.Code.UNIMPLEMENTED;
      case JOURNAL_FAILED:
        return Status.Code.UNAVAILABLE;
      case SYSCALL_FAILED:
      default:
        return Status.Code.INTERNAL;
    }
  }

  /** A refused memory request; the reason name is the ErrorInfo reason. */
  public static StatusRuntimeException fromMemory(MemoryException e) {
    Status.Code code = codeFor(e.reason());
    if (code == Status.Code.INTERNAL) {
      log.error("memory engine failure", e);
      return status(code, e.reason().name(), "internal error in the memory engine");
    }
    return status(code, e.reason().name(), e.getMessage());
  }

  /** A status with a stable reason. */
  public static StatusRuntimeException status(Status.Code code, String reason, String message) {
    return status(code, reason, message, Map.of());
  }

  /** A status with a stable reason and metadata (e.g. the offending range). */
  public static StatusRuntimeException status(Status.Code code, String reason, String message, Map<String, String> metadata) {
    ErrorInfo.Builder info = ErrorInfo.newBuilder().setDomain(DOMAIN).setReason(reason);
    metadata.forEach((k, v) -> info.putMetadata(k, clip(v)));
    com.google.rpc.Status st = com.google.rpc.Status.newBuilder()
        .setCode(code.value())
        .setMessage(message == null ? "" : clip(message))
        .addDetails(Any.pack(info.build()))
        .build();
    return StatusProto.toStatusRuntimeException(st);
  }

  /** {@code text} if it has at most {@link #MAX_TEXT_BYTES} UTF-8 bytes, else its longest prefix of whole code points that fits with "…". */
  static String clip(String text) {
    if (text.length() * 3L <= MAX_TEXT_BYTES || text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= MAX_TEXT_BYTES) {
      return text;
    }
    int budget = MAX_TEXT_BYTES - 3; // "…" is 3 bytes
    int end = 0;
    while (end < text.length()) {
      int cp = text.codePointAt(end);
      int bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes > budget) {
        break;
      }
      budget -= bytes;
      end += Character.charCount(cp);
    }
    return text.substring(0, end) + "…";
  }

  public static StatusRuntimeException invalid(String message) {
    return status(Status.Code.INVALID_ARGUMENT, INVALID_REQUEST, message);
  }

  /** A bug: logged with its stack here, a generic message to the client (no server state leaks). */
  public static StatusRuntimeException internal(Throwable t) {
    log.error("internal error", t);
    return status(Status.Code.INTERNAL, INTERNAL, "internal error");
  }

  /** The stable reason of a status produced here, if any (for clients and tests). */
  public static Optional<String> reasonOf(Throwable t) {
    com.google.rpc.Status st = StatusProto.fromThrowable(t);
    if (st == null) {
      return Optional.empty();
    }
    for (Any any : st.getDetailsList()) {
      if (any.is(ErrorInfo.class)) {
        try {
          return Optional.of(any.unpack(ErrorInfo.class).getReason());
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }
}
