/**
 * Deterministic generation of the emulated vector groups: the TDX and SEV-SNP emulators produce
 * evidence and collateral for positive cases and one-mutation negative cases, written with their
 * expected outcomes; the same code always writes the same bytes.
 */
package io.guestmem.vectors.generate;
