/** The {@code guestmem.v1.GuestMemory} service over the memory engine, with per-uid lease ownership. */
package io.guestmem.rpc.memory;
