package io.guestmem.rpc.auth;

import java.security.cert.X509Certificate;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The TCP listener's operator mappings. A certificate is looked up by fingerprint first, then by
 * subjectAltName in configuration order; the first match wins, and no match leaves its holder an
 * anonymous relying party.
 */
public final class TlsOperators {
  private final List<TlsOperator> mappings;

  public TlsOperators(List<TlsOperator> mappings) {
    Set<String> seen = new HashSet<>();
    for (TlsOperator m : mappings) {
      String key = m.sha256() != null ? "sha256=" + m.sha256() : "san=" + m.san();
      if (!seen.add(key)) {
        throw new IllegalArgumentException("operator mapping " + key + " is given twice");
      }
    }
    this.mappings = List.copyOf(mappings);
  }

  public static TlsOperators none() {
    return new TlsOperators(List.of());
  }

  public List<TlsOperator> mappings() {
    return mappings;
  }

  /** The operator {@code leaf} maps to, if any. */
  public Optional<TlsOperator> lookup(X509Certificate leaf, String leafSha256) {
    for (TlsOperator m : mappings) {
      if (m.sha256() != null && m.matches(leaf, leafSha256)) {
        return Optional.of(m);
      }
    }
    for (TlsOperator m : mappings) {
      if (m.san() != null && m.matches(leaf, leafSha256)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }
}
