package io.guestmem.rpc.restart;

import io.guestmem.memory.Lease;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryEvent;
import io.guestmem.memory.MemoryEventListener;
import io.guestmem.memory.MemoryException;
import io.guestmem.rpc.server.ServiceManagerNotifier;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps every live lease's fds in the service manager's file-descriptor store, so that they
 * survive a restart of guestmem (systemd's {@code FDSTORE=1} protocol). Each fd is stored under
 * {@code FDNAME=<lease>.private} or {@code <lease>.shared}: when a lease is opened (owned mode: both;
 * attached mode: the shared memfd), when its guest_memfd is attached, and when it is re-adopted.
 * Releasing the lease removes both names ({@code FDSTOREREMOVE=1}).
 *
 * <p>The engine publishes these events while the lease is locked against release, so the fd
 * numbers read here cannot be closed and reused before they are sent. Sending happens before the
 * request that caused the event returns: a lease is in the store before its opener hears of it.
 */
public final class FdStore implements MemoryEventListener {
  private static final Logger log = LoggerFactory.getLogger(FdStore.class);
  public static final String PRIVATE_SUFFIX = ".private";
  public static final String SHARED_SUFFIX = ".shared";

  private final MemoryEngine engine;
  private final ServiceManagerNotifier manager;

  public FdStore(MemoryEngine engine, ServiceManagerNotifier manager) {
    this.engine = engine;
    this.manager = manager;
  }

  @Override
  public void onEvent(MemoryEvent event) {
    switch (event.kind()) {
      case LEASE_OPENED, LEASE_READOPTED -> store(event.leaseId(), true, true);
      case FD_ATTACHED -> store(event.leaseId(), true, false);
      case LEASE_CLOSED -> {
        manager.removeFromFdStore(event.leaseId() + PRIVATE_SUFFIX);
        manager.removeFromFdStore(event.leaseId() + SHARED_SUFFIX);
      }
      default -> { }
    }
  }

  private void store(String leaseId, boolean privateSide, boolean sharedSide) {
    Lease lease;
    try {
      lease = engine.lease(leaseId);
    } catch (MemoryException e) {
      log.warn("lease {} vanished before its fds were stored: {}", leaseId, e.getMessage());
      return;
    }
    if (privateSide) {
      send(leaseId + PRIVATE_SUFFIX, lease.privateFd());
    }
    if (sharedSide) {
      send(leaseId + SHARED_SUFFIX, lease.sharedFd());
    }
  }

  private void send(String name, OptionalInt fd) {
    if (fd.isPresent() && !manager.storeFd(name, fd.getAsInt())) {
      log.warn("the service manager did not take {}: that lease will be orphaned by a restart unless its VMM re-attaches it", name);
    }
  }
}
