/**
 * The SEV-SNP verifier plug-in: VCEK/VLEK chains to the pinned ARKs, CRLs, the report signature,
 * TCB and chip-id cross-checks, and the SNP section of the appraisal policy. Not for byte
 * layouts, which live in {@code io.guestmem.snp.abi}.
 */
package io.guestmem.snp.verify;
