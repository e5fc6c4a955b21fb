/** Keeping leases alive across guestmem restarts: re-attach credentials, the service manager's fd store, and re-adoption at start. */
package io.guestmem.rpc.restart;
