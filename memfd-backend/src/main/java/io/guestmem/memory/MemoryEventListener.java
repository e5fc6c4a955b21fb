package io.guestmem.memory;

/**
 * Receives acknowledged events (e.g. to stream conversions to a client). Called on the thread
 * that completed the request, after the journal write and before the request returns; it must not
 * block and must not call back into the engine for the same lease. Exceptions are logged and
 * ignored: a listener cannot undo an acknowledged change.
 */
@FunctionalInterface
public interface MemoryEventListener {
  void onEvent(MemoryEvent event);
}
