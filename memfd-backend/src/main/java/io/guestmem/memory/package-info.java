/** The guest memory engine: leases, page-state ranges, conversions and the backends behind them. */
package io.guestmem.memory;
