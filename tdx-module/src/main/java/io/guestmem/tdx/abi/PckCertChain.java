package io.guestmem.tdx.abi;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Certification data type 5 (PCK certificate chain: PEM certificates, leaf first, then the PCK
 * Platform or Processor CA, then the Intel SGX Root CA) or type 4 (the PCK leaf alone).
 *
 * <p>Strict PEM: only {@code CERTIFICATE} blocks separated by whitespace, strict base64, each
 * block exactly one DER certificate. One trailing NUL byte, as real quotes carry, is tolerated
 * and remembered ({@link #trailingNul()}) so the data re-encodes byte-for-byte; any other
 * trailing byte is malformed. Certificates are decoded at parse time (a PEM text or DER seen
 * before is not decoded again), so a chain that does not decode never becomes a value.
 */
public record PckCertChain(int type, Bytes pem, boolean trailingNul, List<X509Certificate> certificates)
    implements CertificationData {
  private static final String BEGIN = "-----BEGIN CERTIFICATE-----";
  private static final String END = "-----END CERTIFICATE-----";

  public PckCertChain {
    if (type != TYPE_PCK_LEAF_CERT && type != TYPE_PCK_CERT_CHAIN) {
      throw new IllegalArgumentException("PCK certificate data types are 4 and 5");
    }
    certificates = List.copyOf(certificates);
  }

  /** The leaf (PCK) certificate. */
  public X509Certificate leaf() {
    return certificates.get(0);
  }

  /** Builds type-5 data from certificates (leaf first), PEM-encoded, optionally NUL-terminated. */
  public static PckCertChain of(List<X509Certificate> chain, boolean trailingNul) {
    StringBuilder sb = new StringBuilder();
    Base64.Encoder enc = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
    for (X509Certificate c : chain) {
      try {
        sb.append(BEGIN).append('\n').append(enc.encodeToString(c.getEncoded())).append('\n').append(END).append('\n');
      } catch (java.security.cert.CertificateEncodingException e) {
        throw new IllegalArgumentException("certificate cannot be encoded", e);
      }
    }
    return new PckCertChain(
        TYPE_PCK_CERT_CHAIN, Bytes.of(sb.toString().getBytes(StandardCharsets.US_ASCII)), trailingNul, chain);
  }

  /** Parses PEM text (possibly NUL-terminated) as type-5 data. */
  public static PckCertChain parsePem(byte[] data) throws MalformedLayoutException {
    return parse(new LayoutReader(data), 0, TYPE_PCK_CERT_CHAIN, "pck_cert_chain");
  }

  static PckCertChain parse(LayoutReader r, int at, int type, String name) throws MalformedLayoutException {
    int end = r.end();
    byte[] buf = r.buffer();
    boolean nul = end > at && buf[end - 1] == 0;
    int textEnd = nul ? end - 1 : end;
    for (Seen recent : RECENT) {
      // The chains seen last, compared byte for byte (vectorized) before hashing the whole text.
      if (recent != null && Arrays.equals(recent.pem(), 0, recent.pem().length, buf, at, textEnd)) {
        return chain(type, name, buf, at, textEnd, nul, recent.certificates());
      }
    }
    List<X509Certificate> seen = CHAINS.get(ByteBuffer.wrap(buf, at, textEnd - at));
    if (seen != null) {
      RECENT[Math.floorMod(textEnd - at, RECENT.length)] = new Seen(Arrays.copyOfRange(buf, at, textEnd), seen);
      return chain(type, name, buf, at, textEnd, nul, seen);
    }
    for (int i = at; i < textEnd; i++) {
      int c = buf[i] & 0xff;
      if (c >= 0x7f || (c < 0x20 && c != '\n' && c != '\r' && c != '\t')) {
        throw new MalformedLayoutException(name + ".pem", i, String.format("byte 0x%02x is not PEM text", c));
      }
    }
    String text = new String(buf, at, textEnd - at, StandardCharsets.US_ASCII);
    List<X509Certificate> certs = new ArrayList<>();
    CertificateFactory cf = null;
    int pos = 0;
    while (true) {
      while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
        pos++;
      }
      if (pos == text.length()) {
        break;
      }
      if (!text.startsWith(BEGIN, pos)) {
        throw new MalformedLayoutException(name + ".pem", at + pos, "expected " + BEGIN);
      }
      int bodyStart = pos + BEGIN.length();
      int endAt = text.indexOf(END, bodyStart);
      if (endAt < 0) {
        throw new MalformedLayoutException(name + ".pem", at + pos, "missing " + END);
      }
      String b64 = withoutLineBreaks(text, bodyStart, endAt);
      byte[] der;
      try {
        der = Base64.getDecoder().decode(b64);
      } catch (IllegalArgumentException e) {
        throw new MalformedLayoutException(name + ".pem", at + bodyStart, "certificate " + certs.size() + " is not base64", e);
      }
      X509Certificate known = DECODED.get(ByteBuffer.wrap(der));
      if (known != null) {
        certs.add(known);
        pos = endAt + END.length();
        continue;
      }
      if (cf == null) {
        cf = factory();
      }
      try {
        X509Certificate cert = (X509Certificate) cf.generateCertificate(new ByteArrayInputStream(der));
        if (cert.getEncoded().length != der.length) {
          throw new MalformedLayoutException(name + ".pem", at + bodyStart, "certificate " + certs.size() + " has trailing DER bytes");
        }
        certs.add(cert);
        remember(der, cert);
      } catch (CertificateException | RuntimeException e) {
        throw new MalformedLayoutException(
            name + ".pem", at + bodyStart, "certificate " + certs.size() + " does not decode: " + e.getMessage(), e);
      }
      pos = endAt + END.length();
    }
    if (certs.isEmpty()) {
      throw new MalformedLayoutException(name + ".pem", at, "PCK certificate chain holds no certificate");
    }
    if (CHAINS.size() >= DECODED_LIMIT) {
      CHAINS.clear();
    }
    CHAINS.put(ByteBuffer.wrap(Arrays.copyOfRange(buf, at, textEnd)), List.copyOf(certs));
    return chain(type, name, buf, at, textEnd, nul, certs);
  }

  private static PckCertChain chain(int type, String name, byte[] buf, int at, int textEnd, boolean nul,
      List<X509Certificate> certs) throws MalformedLayoutException {
    if (type == TYPE_PCK_LEAF_CERT && certs.size() != 1) {
      throw new MalformedLayoutException(name + ".pem", at, "PCK leaf certificate data holds " + certs.size() + " certificates");
    }
    return new PckCertChain(type, Bytes.of(buf, at, textEnd - at), nul, certs);
  }

  private static CertificateFactory factory() {
    try {
      return CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
    }
  }

  /** The base64 text between {@code from} and {@code to} without CR, LF, TAB and space. */
  private static String withoutLineBreaks(String text, int from, int to) {
    StringBuilder sb = new StringBuilder(to - from);
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c != '\r' && c != '\n' && c != '\t' && c != ' ') {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  /**
   * Certificates already decoded, by their exact DER: a platform's PCK chain arrives with every
   * one of its quotes, and the JDK's decoding costs more than the rest of the quote's parsing.
   * Only certificates that decoded (without trailing bytes) are kept, so a hit is exactly what
   * decoding would produce; {@code X509Certificate} is immutable. Bounded (cleared when full).
   */
  private static final Map<ByteBuffer, X509Certificate> DECODED = new ConcurrentHashMap<>();
  /** A chain's PEM text and its certificates (final fields: safely published through {@link #RECENT}). */
  private record Seen(byte[] pem, List<X509Certificate> certificates) {}

  /** A few chains seen last; slots are overwritten without locking, each with a whole immutable value. */
  private static final Seen[] RECENT = new Seen[4];
  /** Whole chains that decoded, by their exact PEM text (the same rule as {@link #DECODED}). */
  private static final Map<ByteBuffer, List<X509Certificate>> CHAINS = new ConcurrentHashMap<>();
  private static final int DECODED_LIMIT = 1024;

  private static void remember(byte[] der, X509Certificate cert) {
    if (DECODED.size() >= DECODED_LIMIT) {
      DECODED.clear();
    }
    DECODED.put(ByteBuffer.wrap(der), cert);
  }

  @Override
  public byte[] dataBytes() {
    byte[] p = pem.toByteArray();
    if (!trailingNul) {
      return p;
    }
    byte[] out = java.util.Arrays.copyOf(p, p.length + 1);
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PckCertChain c && c.type == type && c.pem.equals(pem) && c.trailingNul == trailingNul;
  }

  @Override
  public int hashCode() {
    return pem.hashCode() * 31 + type + (trailingNul ? 1 : 0);
  }
}
