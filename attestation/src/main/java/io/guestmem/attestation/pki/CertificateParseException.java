package io.guestmem.attestation.pki;

/** Certificate or CRL bytes that do not parse; the message names the source and position. */
public final class CertificateParseException extends Exception {
  public CertificateParseException(String message) {
    super(message);
  }

  public CertificateParseException(String message, Throwable cause) {
    super(message, cause);
  }
}
