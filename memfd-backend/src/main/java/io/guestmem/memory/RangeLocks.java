package io.guestmem.memory;

import java.util.ArrayList;
import java.util.List;

/**
 * Range locks for one lease: a request holds all of its ranges at once; requests whose ranges
 * overlap are ordered first come, first served; disjoint requests run in parallel.
 *
 * <p>Model: a FIFO queue of tickets. A ticket may proceed when no ticket ahead of it in the queue
 * (holding or still waiting) overlaps it. Because a ticket waits only for earlier tickets, there
 * is no deadlock, and two overlapping requests are granted in arrival order.
 */
final class RangeLocks {
  /** A held (or waiting) set of ranges. */
  final class Ticket implements AutoCloseable {
    private final List<ByteRange> ranges;

    private Ticket(List<ByteRange> ranges) {
      this.ranges = ranges;
    }

    @Override
    public void close() {
      release(this);
    }
  }

  private final List<Ticket> queue = new ArrayList<>(); // guarded by this

  /** Blocks until every range is free of earlier overlapping tickets, then holds them. */
  synchronized Ticket acquire(List<ByteRange> ranges) {
    Ticket t = new Ticket(List.copyOf(ranges));
    queue.add(t);
    boolean interrupted = false;
    while (blocked(t)) {
      try {
        wait();
      } catch (InterruptedException e) {
        interrupted = true; // finish acquiring; re-assert the interrupt for the caller
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    return t;
  }

  /**
   * Holds {@code ranges} if no queued ticket overlaps them, without waiting; null (nothing
   * queued) otherwise. A new ticket would go to the end of the queue, so it is free exactly when
   * nothing already queued overlaps it.
   */
  synchronized Ticket tryAcquire(List<ByteRange> ranges) {
    for (Ticket earlier : queue) {
      if (overlaps(earlier.ranges, ranges)) {
        return null;
      }
    }
    Ticket t = new Ticket(List.copyOf(ranges));
    queue.add(t);
    return t;
  }

  private boolean blocked(Ticket t) {
    for (Ticket earlier : queue) {
      if (earlier == t) {
        return false;
      }
      if (overlaps(earlier.ranges, t.ranges)) {
        return true;
      }
    }
    throw new IllegalStateException("ticket not queued");
  }

  private static boolean overlaps(List<ByteRange> a, List<ByteRange> b) {
    for (ByteRange x : a) {
      for (ByteRange y : b) {
        if (x.overlaps(y)) {
          return true;
        }
      }
    }
    return false;
  }

  private synchronized void release(Ticket t) {
    if (queue.remove(t)) {
      notifyAll();
    }
  }

  /** Tickets queued or held (tests). */
  synchronized int queued() {
    return queue.size();
  }
}
