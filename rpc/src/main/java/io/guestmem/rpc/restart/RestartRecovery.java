package io.guestmem.rpc.restart;

import io.guestmem.memory.LeaseInfo;
import io.guestmem.memory.LeaseStatus;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.sys.ErrnoException;
import io.guestmem.memory.sys.Syscalls;
import io.guestmem.rpc.server.ServiceManagerNotifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-adopts leases at start from the fds the service manager passed back ({@link ListenFds}).
 *
 * <p>Contract: every ORPHANED lease whose {@code <lease>.private} and {@code <lease>.shared} fds
 * both came back is re-adopted through the engine, which proves they are the very kernel objects
 * the lease had (same inode, same boot, its size, still unmappable / still sealed) before it is
 * OPEN again with its journaled page states. A lease whose pair is incomplete or fails the proof
 * stays ORPHANED (quarantined: states kept, conversions refused) and is reported, never reset; its
 * fds stay in the store for a later attempt. Fds named for a released or unknown lease are removed
 * from the store. This process's copies of the passed fds are closed afterwards (the engine holds
 * its own duplicates).
 */
public final class RestartRecovery {
  private static final Logger log = LoggerFactory.getLogger(RestartRecovery.class);

  /**
   * What happened at start.
   *
   * @param readopted   leases live again from the store's fds
   * @param quarantined orphaned leases that stay quarantined, with the reason
   * @param discarded   fd names dropped from the store (released or unknown lease, bad name)
   */
  public record Report(List<String> readopted, Map<String, String> quarantined, List<String> discarded) {
    public Report {
      readopted = List.copyOf(readopted);
      quarantined = Map.copyOf(quarantined);
      discarded = List.copyOf(discarded);
    }

    public static Report empty() {
      return new Report(List.of(), Map.of(), List.of());
    }

    /** One line for logs and the service manager's STATUS. */
    public String summary() {
      return readopted.size() + " lease(s) re-adopted from the fd store, " + quarantined.size() + " quarantined, "
          + discarded.size() + " stale fd(s) dropped";
    }
  }

  private RestartRecovery() {}

  public static Report run(MemoryEngine engine, ListenFds passed, ServiceManagerNotifier manager) {
    Map<String, Integer> privateFds = new TreeMap<>();
    Map<String, Integer> sharedFds = new TreeMap<>();
    List<String> discarded = new ArrayList<>();
    List<Integer> toClose = new ArrayList<>();
    for (ListenFds.Named n : passed.fds()) {
      toClose.add(n.fd());
      try {
        Syscalls.setCloexec(n.fd()); // no child process inherits the store's fds
      } catch (ErrnoException e) {
        log.warn("passed fd {} ({}) is not open: {}", n.fd(), n.name(), e.getMessage());
        continue;
      }
      if (n.name().endsWith(FdStore.PRIVATE_SUFFIX)) {
        privateFds.put(n.name().substring(0, n.name().length() - FdStore.PRIVATE_SUFFIX.length()), n.fd());
      } else if (n.name().endsWith(FdStore.SHARED_SUFFIX)) {
        sharedFds.put(n.name().substring(0, n.name().length() - FdStore.SHARED_SUFFIX.length()), n.fd());
      } else {
        discarded.add(n.name());
        manager.removeFromFdStore(n.name());
      }
    }
    Map<String, LeaseInfo> orphaned = new LinkedHashMap<>();
    for (LeaseInfo l : engine.leases()) {
      if (l.status() == LeaseStatus.ORPHANED) {
        orphaned.put(l.id(), l);
      }
    }
    List<String> readopted = new ArrayList<>();
    Map<String, String> quarantined = new TreeMap<>();
    java.util.Set<String> named = new java.util.TreeSet<>(privateFds.keySet());
    named.addAll(sharedFds.keySet());
    for (String id : named) {
      if (!orphaned.containsKey(id)) {
        String why = engine.leases().stream().anyMatch(l -> l.id().equals(id)) ? "not orphaned" : "released or unknown";
        log.info("fd store holds fds of lease {} ({}): dropping them", id, why);
        for (String suffix : List.of(FdStore.PRIVATE_SUFFIX, FdStore.SHARED_SUFFIX)) {
          Map<String, Integer> side = suffix.equals(FdStore.PRIVATE_SUFFIX) ? privateFds : sharedFds;
          if (side.containsKey(id)) {
            discarded.add(id + suffix);
            manager.removeFromFdStore(id + suffix);
          }
        }
      }
    }
    for (String id : orphaned.keySet()) {
      Integer p = privateFds.get(id);
      Integer s = sharedFds.get(id);
      if (p == null || s == null) {
        String missing = p == null && s == null ? "no fds in the store" : p == null ? "no private fd in the store" : "no shared fd in the store";
        quarantined.put(id, missing);
        continue;
      }
      try {
        engine.readopt(id, p, s);
        readopted.add(id);
      } catch (MemoryException e) {
        quarantined.put(id, e.reason().name() + ": " + e.getMessage());
      }
    }
    for (int fd : toClose) {
      try {
        Syscalls.close(fd);
      } catch (ErrnoException e) {
        log.debug("closing passed fd {}: {}", fd, e.getMessage());
      }
    }
    Report r = new Report(readopted, quarantined, discarded);
    if (!passed.fds().isEmpty() || !orphaned.isEmpty()) {
      log.info("restart: {}", r.summary());
      quarantined.forEach((id, why) -> log.warn("lease {} stays quarantined (states kept, conversions refused): {}", id, why));
    }
    return r;
  }
}
