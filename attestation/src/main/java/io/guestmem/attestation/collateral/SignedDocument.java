package io.guestmem.attestation.collateral;

import java.util.List;
import java.util.Objects;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * A signed collateral document exactly as served (for example an Intel PCS
 * {@code {"tcbInfo":…,"signature":…}} body) with the issuer chain that was served beside it (the
 * PCS {@code *-Issuer-Chain} header). The body bytes are kept verbatim because signatures cover
 * the raw bytes; the chain is empty when none was supplied.
 */
public final class SignedDocument {
  private final byte[] body;
  private final List<X509CertificateHolder> issuerChain;
  private final String source;

  public SignedDocument(byte[] body, List<X509CertificateHolder> issuerChain, String source) {
    this.body = body.clone();
    this.issuerChain = List.copyOf(issuerChain);
    this.source = Objects.requireNonNull(source, "source");
  }

  /** A copy of the body bytes. */
  public byte[] body() {
    return body.clone();
  }

  public List<X509CertificateHolder> issuerChain() {
    return issuerChain;
  }

  /** Where the document came from (a file path), for messages. */
  public String source() {
    return source;
  }
}
