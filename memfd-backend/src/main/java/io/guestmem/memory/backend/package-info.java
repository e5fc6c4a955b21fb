/**
 * The three backings a lease can sit on — real {@code guest_memfd} ({@code kvm}), {@code memfd_secret}
 * ({@code secretmem}) and pure Java ({@code emulated}) — behind one interface; not the engine's
 * bookkeeping, which lives in {@link io.guestmem.memory}.
 */
package io.guestmem.memory.backend;
