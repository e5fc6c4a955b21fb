/**
 * Renderings of a verdict for machines: plain JSON, and EAR JWTs (draft-ietf-rats-ear) signed
 * ES384 with the verifier's key, whose public half is published as a JWKS. Not for appraisal.
 */
package io.guestmem.attestation.ear;
