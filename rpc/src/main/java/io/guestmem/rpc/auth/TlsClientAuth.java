package io.guestmem.rpc.auth;

import java.util.Locale;

/**
 * Client-certificate authentication on the TCP listener (mTLS).
 *
 * @param mode whether the TLS handshake asks for, or demands, a client certificate
 * @param verifier checks presented chains against the client CA bundle; null only with {@link Mode#NONE}
 * @param operators which verified certificates are operators
 */
public record TlsClientAuth(Mode mode, ClientCertificateVerifier verifier, TlsOperators operators) {
  /** {@code --tls-client-auth}. */
  public enum Mode {
    /** No client certificates: every TCP caller is an anonymous relying party. */
    NONE,
    /** Asked for; a client without one is an anonymous relying party, a bad one fails the handshake. */
    OPTIONAL,
    /** Demanded: a client without a valid certificate fails the handshake. */
    REQUIRE;

    public static Mode parse(String s) {
      try {
        return valueOf(s.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--tls-client-auth must be none, optional or require, got " + s);
      }
    }
  }

  public TlsClientAuth {
    if (mode != Mode.NONE && verifier == null) {
      throw new IllegalArgumentException("--tls-client-auth " + mode.name().toLowerCase(Locale.ROOT) + " needs a client CA bundle (--tls-client-ca)");
    }
    if (mode == Mode.NONE && !operators.mappings().isEmpty()) {
      throw new IllegalArgumentException("operator mappings (--tls-operator) need client certificates: give --tls-client-ca");
    }
  }

  public static TlsClientAuth none() {
    return new TlsClientAuth(Mode.NONE, null, TlsOperators.none());
  }

  public boolean enabled() {
    return mode != Mode.NONE;
  }
}
