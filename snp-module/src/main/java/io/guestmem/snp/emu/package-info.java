/**
 * Emulated AMD SEV-SNP: the SNP firmware (RMP, PVALIDATE, Page State Change, launch digest, ID
 * block, MSG_REPORT_REQ) and AMD's key infrastructure (ARK, ASK, ASVK, VCEK, VLEK, CRL, a KDS
 * directory), deterministic from a seed; it converts real memory through
 * {@link io.guestmem.memory.ConvertibleMemory}. Not for verifying evidence — that is
 * {@code io.guestmem.snp.verify}, which must never depend on this package.
 */
package io.guestmem.snp.emu;
