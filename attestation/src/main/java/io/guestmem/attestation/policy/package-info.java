/**
 * The appraisal policy: a typed JSON file compiled once (generic TCB, collateral-age and nonce
 * rules here; each TEE plug-in compiles its own reference-value section) and applied after the
 * plug-in's checks. Not for signature or chain checks.
 */
package io.guestmem.attestation.policy;
