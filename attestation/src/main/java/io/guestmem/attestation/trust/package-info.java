/**
 * Trust anchors: the vendor roots pinned by the SHA-256 of their certificate, and emulated roots
 * that are trusted only when a caller configures them explicitly. Not for path validation, which
 * lives in {@code pki}.
 */
package io.guestmem.attestation.trust;
