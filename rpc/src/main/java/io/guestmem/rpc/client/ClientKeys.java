package io.guestmem.rpc.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** Reads a client's TLS certificate chain and private key from PEM files. */
final class ClientKeys {
  private ClientKeys() {}

  /** The certificates of a PEM file, leaf first. */
  static X509Certificate[] chain(Path pem) throws IOException, GeneralSecurityException {
    try (InputStream in = Files.newInputStream(pem)) {
      Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new GeneralSecurityException(pem + ": no certificate");
      }
      return certs.stream().map(c -> (X509Certificate) c).toArray(X509Certificate[]::new);
    }
  }

  /** The first private key of a PEM file: PKCS#8 ({@code PRIVATE KEY}) or traditional ({@code EC/RSA PRIVATE KEY}); not encrypted. */
  static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
    try (Reader r = Files.newBufferedReader(pem, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
      JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
      for (Object o = p.readObject(); o != null; o = p.readObject()) {
        if (o instanceof PrivateKeyInfo k) {
          return conv.getPrivateKey(k);
        }
        if (o instanceof PEMKeyPair kp) {
          return conv.getKeyPair(kp).getPrivate();
        }
      }
    }
    throw new GeneralSecurityException(pem + ": no unencrypted private key (PKCS#8 or EC/RSA PEM)");
  }
}
