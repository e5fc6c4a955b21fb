/**
 * Signatures, certificate paths and CRLs, checked with BouncyCastle against an injected time;
 * results are recorded as checks. Not for deciding which collateral to use (that is the
 * plug-ins' job) nor for policy.
 */
package io.guestmem.attestation.pki;
