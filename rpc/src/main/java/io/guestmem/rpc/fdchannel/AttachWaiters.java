package io.guestmem.rpc.fdchannel;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;

/** Pending {@code AttachPrivateMemory} calls, completed when the fd channel's attach for their lease succeeds. */
public final class AttachWaiters {
  private final Map<String, List<CompletableFuture<Void>>> waiting = new ConcurrentHashMap<>();

  /**
   * A future that completes once the lease is attached. {@code attachedAlready} is checked after
   * registering, so an attach that lands between the caller's check and this call is not missed.
   */
  public CompletableFuture<Void> await(String leaseId, BooleanSupplier attachedAlready) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    List<CompletableFuture<Void>> list = waiting.computeIfAbsent(leaseId, k -> new CopyOnWriteArrayList<>());
    list.add(f);
    f.whenComplete((v, e) -> list.remove(f));
    if (attachedAlready.getAsBoolean()) {
      f.complete(null);
    }
    return f;
  }

  /** The lease was attached: completes every waiter. */
  public void signal(String leaseId) {
    List<CompletableFuture<Void>> list = waiting.remove(leaseId);
    if (list != null) {
      list.forEach(f -> f.complete(null));
    }
  }
}
