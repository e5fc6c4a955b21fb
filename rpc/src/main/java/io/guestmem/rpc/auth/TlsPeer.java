package io.guestmem.rpc.auth;

import java.time.Instant;
import java.util.Optional;

/**
 * A TCP caller that presented a client certificate the client CA bundle vouched for during the
 * TLS handshake.
 *
 * @param certificateSha256 SHA-256 of the leaf's DER encoding, lower-case hex
 * @param subject the leaf's subject DN (RFC 2253)
 * @param validUntil the earliest notAfter of the chain it sent: calls after it are refused
 * @param operator the operator mapping it matched, or null for an anonymous relying party
 */
public record TlsPeer(String certificateSha256, String subject, Instant validUntil, TlsOperator operator) {
  public Optional<TlsOperator> mappedOperator() {
    return Optional.ofNullable(operator);
  }

  @Override
  public String toString() {
    return "certificate \"" + subject + "\" (sha256 " + certificateSha256 + ")"
        + (operator != null ? " = operator " + operator.name() : " (no operator mapping)");
  }
}
