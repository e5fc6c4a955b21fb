package io.guestmem.tdx.abi;

import java.io.ByteArrayInputStream;
import java.security.cert.CRLException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;

/**
 * A DER-encoded X.509 CRL as PCS serves it (PCK Platform/Processor CA CRL, Intel SGX Root CA
 * CRL). Keeps the exact DER; {@link #x509()} is the decoded form for signature and entry checks.
 */
public record CertificateRevocationList(Bytes der, X509CRL x509) {
  /** Decodes DER bytes; anything that is not exactly one DER CRL is malformed. */
  public static CertificateRevocationList parse(byte[] der) throws MalformedLayoutException {
    if (der.length == 0 || der[0] != 0x30) {
      throw new MalformedLayoutException("crl", 0, "not a DER SEQUENCE");
    }
    try {
      X509CRL crl =
          (X509CRL) CertificateFactory.getInstance("X.509").generateCRL(new ByteArrayInputStream(der));
      if (crl.getEncoded().length != der.length) {
        throw new MalformedLayoutException("crl", crl.getEncoded().length, "trailing bytes after the CRL");
      }
      return new CertificateRevocationList(Bytes.of(der), crl);
    } catch (CRLException | CertificateException | RuntimeException e) {
      throw new MalformedLayoutException("crl", 0, "does not decode as an X.509 CRL: " + e.getMessage(), e);
    }
  }

  public byte[] toBytes() {
    return der.toByteArray();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CertificateRevocationList c && c.der.equals(der);
  }

  @Override
  public int hashCode() {
    return der.hashCode();
  }
}
