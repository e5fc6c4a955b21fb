package io.guestmem.rpc.errors;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.guestmem.attestation.InvalidRequestException;
import io.guestmem.memory.MemoryException;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs a unary call's work on a bounded pool (never on a transport thread: journal writes and
 * signature checks block) and answers with its result or with the one status its failure maps
 * to. A full pool answers RESOURCE_EXHAUSTED ({@code OVERLOADED}) at once.
 */
public final class BlockingCalls {
  private BlockingCalls() {}

  /** The work of one call; may throw any domain exception. */
  @FunctionalInterface
  public interface Body<R> {
    R run() throws Exception;
  }

  public static <R> void unary(Executor pool, StreamObserver<R> out, Body<R> body) {
    Context ctx = Context.current();
    try {
      pool.execute(ctx.wrap(() -> {
        R reply;
        try {
          reply = body.run();
        } catch (Exception e) {
          out.onError(toStatus(e));
          return;
        }
        out.onNext(reply);
        out.onCompleted();
      }));
    } catch (RejectedExecutionException e) {
      out.onError(ErrorMapper.status(Status.Code.RESOURCE_EXHAUSTED, "OVERLOADED", "too many requests in flight"));
    }
  }

  /** The status for a failure of a call's work. */
  public static StatusRuntimeException toStatus(Exception e) {
    if (e instanceof StatusRuntimeException) {
      return (StatusRuntimeException) e;
    }
    if (e instanceof MemoryException) {
      return ErrorMapper.fromMemory((MemoryException) e);
    }
    if (e instanceof InvalidRequestException) {
      InvalidRequestException ire = (InvalidRequestException) e;
      return ErrorMapper.status(Status.Code.INVALID_ARGUMENT, ire.reason().toUpperCase(Locale.ROOT), ire.getMessage());
    }
    return ErrorMapper.internal(e);
  }
}
