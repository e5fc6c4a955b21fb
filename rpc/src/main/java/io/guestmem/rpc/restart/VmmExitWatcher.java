package io.guestmem.rpc.restart;

import io.guestmem.memory.LeaseInfo;
import io.guestmem.memory.LeaseStatus;
import io.guestmem.memory.MemoryEngine;
import io.guestmem.memory.MemoryException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Optional policy for leases whose VMM has exited: released once their owner process has been
 * gone for a grace period. Off by default — guestmem then keeps such leases (states and memory
 * intact) until someone closes them, because a VMM may be restarting and only it or an operator
 * knows. Orphaned leases (after a guestmem restart) are never touched: they are waiting for their
 * fds, not for a process.
 *
 * <p>A lease's owner is the pid that opened it. The process is identified by pid and start time
 * ({@code /proc/<pid>/stat} field 22, read the first time the lease is seen), so a reused pid does
 * not keep a dead VMM's lease alive. Releasing refused by the engine (e.g. a host I/O mapping is
 * open) is retried on the next tick.
 */
public final class VmmExitWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(VmmExitWatcher.class);

  private final MemoryEngine engine;
  private final Duration grace;
  private final Map<String, Long> startTimes = new HashMap<>();
  private final Map<String, Long> goneSince = new HashMap<>();
  private final ScheduledExecutorService timer;

  /** Checks every {@code period}; releases a lease {@code grace} after its owner was first seen gone. */
  public VmmExitWatcher(MemoryEngine engine, Duration grace, Duration period) {
    this.engine = engine;
    this.grace = grace;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "guestmem-vmm-exit");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(this::tick, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Start time of {@code pid} in clock ticks since boot, empty if there is no such process. */
  static OptionalLong startTime(int pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      int close = stat.lastIndexOf(')');
      String[] f = stat.substring(close + 2).split(" ");
      // f[0] is field 3 (state); start time is field 22
      return OptionalLong.of(Long.parseLong(f[19]));
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
  }

  private synchronized void tick() {
    try {
      check(System.nanoTime());
    } catch (RuntimeException e) {
      log.warn("checking for exited VMMs failed: {}", e.toString());
    }
  }

  private void check(long now) {
    Map<String, Boolean> live = new HashMap<>();
    for (LeaseInfo l : engine.leases()) {
      if (l.status() != LeaseStatus.OPEN && l.status() != LeaseStatus.AWAITING_FD) {
        continue;
      }
      live.put(l.id(), true);
      OptionalLong st = startTime(l.owner().pid());
      Long known = startTimes.get(l.id());
      if (known == null && st.isPresent()) {
        startTimes.put(l.id(), st.getAsLong());
        continue;
      }
      boolean gone = st.isEmpty() || (known != null && known != st.getAsLong());
      if (!gone) {
        goneSince.remove(l.id());
        continue;
      }
      long since = goneSince.computeIfAbsent(l.id(), k -> {
        log.info("lease {}: its VMM (pid {}) has exited; releasing it in {} s unless closed first", k, l.owner().pid(), grace.toSeconds());
        return now;
      });
      if (now - since >= grace.toNanos()) {
        try {
          engine.closeLease(l.id());
          log.info("lease {} released: its VMM (pid {}) exited more than {} s ago", l.id(), l.owner().pid(), grace.toSeconds());
          startTimes.remove(l.id());
          goneSince.remove(l.id());
        } catch (MemoryException e) {
          log.warn("lease {} of exited VMM pid {} not released yet: {}", l.id(), l.owner().pid(), e.getMessage());
        }
      }
    }
    startTimes.keySet().retainAll(live.keySet());
    goneSince.keySet().retainAll(live.keySet());
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
