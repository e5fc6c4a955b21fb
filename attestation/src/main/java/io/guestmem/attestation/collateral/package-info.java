/**
 * Collateral: the offline directory layout (Intel PCS and AMD KDS responses), files given one by
 * one, and the in-memory cache of objects that have already been verified. Not for verifying
 * collateral, which the plug-ins do with {@code pki}.
 */
package io.guestmem.attestation.collateral;
