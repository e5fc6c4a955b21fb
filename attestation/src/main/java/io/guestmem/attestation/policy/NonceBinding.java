package io.guestmem.attestation.policy;

import io.guestmem.attestation.pki.Ecdsa;
import java.util.Arrays;

/**
 * How a relying party's nonce must appear in the 64-byte REPORTDATA: verbatim ({@code raw}, the
 * nonce at most 64 bytes, zero padded) or as a digest of the nonce in the first bytes with the
 * rest zero ({@code sha256}, {@code sha384}) or filling the field ({@code sha512}, as Intel Trust
 * Authority binds).
 */
public enum NonceBinding {
  RAW(null),
  SHA256("SHA-256"),
  SHA384("SHA-384"),
  SHA512("SHA-512");

  private final String digest;

  NonceBinding(String digest) {
    this.digest = digest;
  }

  /** The 64-byte REPORTDATA this nonce must produce; empty if a raw nonce is longer than 64 bytes. */
  public java.util.Optional<byte[]> expectedReportData(byte[] nonce) {
    byte[] value = digest == null ? nonce : Ecdsa.digest(digest, nonce, 0, nonce.length);
    if (value.length > 64) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(Arrays.copyOf(value, 64));
  }
}
