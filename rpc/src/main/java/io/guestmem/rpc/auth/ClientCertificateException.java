package io.guestmem.rpc.auth;

import java.security.cert.CertificateException;

/**
 * A TLS client certificate (chain) the configured client CA bundle does not vouch for, with a
 * stable reason. Thrown from the TCP listener's trust manager, so the TLS handshake fails.
 */
public final class ClientCertificateException extends CertificateException {
  private static final long serialVersionUID = 1L;

  /** Why a client certificate was refused; {@link #code()} is the stable form logs and docs use. */
  public enum Reason {
    /** The chain does not lead to a certificate in the client CA bundle, or a signature on it is wrong. */
    UNTRUSTED,
    /** A certificate of the chain is past its notAfter. */
    EXPIRED,
    /** A certificate of the chain is before its notBefore. */
    NOT_YET_VALID,
    /** The leaf's extendedKeyUsage lacks clientAuth, or its keyUsage lacks digitalSignature. */
    WRONG_USAGE,
    /** Any other certification-path failure (an intermediate that is no CA, an unknown critical extension, …). */
    INVALID,
    /** A certificate of the chain is listed in its issuer's CRL. */
    REVOKED,
    /** The CRL of an issuer in the chain is past its nextUpdate (or has none, or is not yet valid): revocation cannot be decided. */
    CRL_STALE,
    /** A CRL names an issuer of the chain but its issuer did not sign it (or may not sign CRLs). */
    CRL_INVALID;

    /** {@code CLIENT_CERT_<NAME>}, e.g. {@code CLIENT_CERT_EXPIRED}. */
    public String code() {
      return "CLIENT_CERT_" + name();
    }
  }

  private final Reason reason;

  public ClientCertificateException(Reason reason, String message) {
    super(reason.code() + ": " + message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
