/** The {@code guestmem.v1.Attestation} service: verification for relying parties, nonces, EAR keys, and the emulated TEE for local callers. */
package io.guestmem.rpc.attestation;
