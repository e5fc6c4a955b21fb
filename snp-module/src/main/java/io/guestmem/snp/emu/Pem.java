package io.guestmem.snp.emu;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** PEM text for DER certificates (RFC 7468): 64-character base64 lines. */
final class Pem {
  private Pem() {}

  static String certificate(byte[] der) {
    String b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN CERTIFICATE-----\n" + b64 + "\n-----END CERTIFICATE-----\n";
  }
}
