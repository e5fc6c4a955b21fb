package io.guestmem.attestation.pki;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.bouncycastle.asn1.ASN1InputStream;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.CertificateList;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * Reads certificates and CRLs in the encodings collateral arrives in: DER, one or more PEM
 * blocks (a trailing NUL, as in TDX certification data, is tolerated), and URL-encoded PEM as
 * Intel PCS sends issuer chains in HTTP headers. Serial number 0 (every AMD VCEK/VLEK) is
 * accepted: RFC 5280's positive-serial rule is deliberately not enforced.
 */
public final class Certificates {
  private static final String BEGIN = "-----BEGIN ";
  private static final String DASHES = "-----";

  private Certificates() {}

  /** All certificates in {@code data}, in order. */
  public static List<X509CertificateHolder> parseAll(byte[] data, String source)
      throws CertificateParseException {
    List<X509CertificateHolder> out = new ArrayList<>();
    for (byte[] der : derBlocks(data, "CERTIFICATE", source)) {
      out.add(certificate(der, source));
    }
    if (out.isEmpty()) {
      throw new CertificateParseException(source + ": no certificate found");
    }
    return out;
  }

  /** All CRLs in {@code data} (DER or PEM "X509 CRL"), in order. */
  public static List<X509CRLHolder> parseCrls(byte[] data, String source) throws CertificateParseException {
    List<X509CRLHolder> out = new ArrayList<>();
    for (byte[] der : derBlocks(data, "X509 CRL", source)) {
      X509CRLHolder crl;
      try {
        crl = new X509CRLHolder(CertificateList.getInstance(strictDer(der, source)));
      } catch (IllegalArgumentException | IllegalStateException e) {
        throw new CertificateParseException(source + ": not an X.509 CRL: " + e.getMessage(), e);
      }
      X509CRLHolder parsed = crl;
      requireCanonical(der, () -> parsed.toASN1Structure().getEncoded(org.bouncycastle.asn1.ASN1Encoding.DER), source, "CRL");
      out.add(crl);
    }
    if (out.isEmpty()) {
      throw new CertificateParseException(source + ": no CRL found");
    }
    return out;
  }

  /**
   * One DER certificate. The encoding must be canonical DER: BouncyCastle checks signatures over the
   * re-encoded TBS structure, so a certificate whose bytes differ from their re-encoding (a BER
   * BOOLEAN, a non-minimal length) would be verified over bytes other than the ones it carries.
   */
  public static X509CertificateHolder certificate(byte[] der, String source) throws CertificateParseException {
    X509CertificateHolder h;
    try {
      h = new X509CertificateHolder(Certificate.getInstance(strictDer(der, source)));
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new CertificateParseException(source + ": not an X.509 certificate: " + e.getMessage(), e);
    }
    X509CertificateHolder parsed = h;
    requireCanonical(der, () -> parsed.toASN1Structure().getEncoded(org.bouncycastle.asn1.ASN1Encoding.DER), source,
        "certificate");
    return h;
  }

  private interface Encoder {
    byte[] encode() throws IOException;
  }

  private static void requireCanonical(byte[] der, Encoder enc, String source, String what) throws CertificateParseException {
    byte[] again;
    try {
      again = enc.encode();
    } catch (IOException | RuntimeException e) {
      throw new CertificateParseException(source + ": " + what + " cannot be re-encoded: " + e.getMessage(), e);
    }
    if (!java.util.Arrays.equals(again, der)) {
      int at = java.util.Arrays.mismatch(again, der);
      throw new CertificateParseException(source + ": " + what + " is not canonical DER (first difference at byte "
          + at + "); signatures would be checked over a re-encoding");
    }
  }

  private static ASN1Primitive strictDer(byte[] der, String source) throws CertificateParseException {
    try (ASN1InputStream in = new ASN1InputStream(der, true)) {
      ASN1Primitive p = in.readObject();
      if (p == null) {
        throw new CertificateParseException(source + ": empty DER");
      }
      if (in.available() > 0 || in.readObject() != null) {
        throw new CertificateParseException(source + ": trailing bytes after DER object");
      }
      return p;
    } catch (IOException | RuntimeException e) {
      throw new CertificateParseException(source + ": malformed DER at byte 0: " + e.getMessage(), e);
    }
  }

  /** Splits PEM (or URL-encoded PEM) into DER blocks of the given label; DER input is one block. */
  static List<byte[]> derBlocks(byte[] data, String label, String source) throws CertificateParseException {
    int end = data.length;
    while (end > 0 && (data[end - 1] == 0 || Character.isWhitespace(data[end - 1]))) {
      end--;
    }
    if (end == 0) {
      throw new CertificateParseException(source + ": empty");
    }
    if ((data[0] & 0xFF) == 0x30) {
      return derSequence(data, end, source);
    }
    String text = new String(data, 0, end, StandardCharsets.US_ASCII);
    if (!text.contains(BEGIN) && text.contains("%")) {
      try {
        text = URLDecoder.decode(text, StandardCharsets.US_ASCII);
      } catch (IllegalArgumentException e) {
        throw new CertificateParseException(source + ": bad URL encoding: " + e.getMessage(), e);
      }
    }
    List<byte[]> out = new ArrayList<>();
    String begin = BEGIN + label + DASHES;
    String endMarker = "-----END " + label + DASHES;
    int pos = 0;
    while (true) {
      int b = text.indexOf(begin, pos);
      if (b < 0) {
        break;
      }
      int e = text.indexOf(endMarker, b);
      if (e < 0) {
        throw new CertificateParseException(source + ": PEM block at char " + b + " has no END line");
      }
      String body = text.substring(b + begin.length(), e).replaceAll("\\s", "");
      try {
        out.add(Base64.getDecoder().decode(body));
      } catch (IllegalArgumentException ex) {
        throw new CertificateParseException(source + ": bad base64 in PEM block at char " + b, ex);
      }
      pos = e + endMarker.length();
    }
    String rest = text.substring(pos).strip();
    if (!out.isEmpty() && !rest.isEmpty()) {
      throw new CertificateParseException(source + ": unexpected text after last PEM block at char " + pos);
    }
    return out;
  }

  /** One or more concatenated DER objects. */
  private static List<byte[]> derSequence(byte[] data, int end, String source) throws CertificateParseException {
    List<byte[]> out = new ArrayList<>();
    int pos = 0;
    while (pos < end) {
      int len = derLength(data, pos, source);
      if (pos + len > data.length) {
        throw new CertificateParseException(source + ": DER object at byte " + pos + " overruns input");
      }
      out.add(java.util.Arrays.copyOfRange(data, pos, pos + len));
      pos += len;
    }
    return out;
  }

  private static int derLength(byte[] d, int pos, String source) throws CertificateParseException {
    if (pos + 2 > d.length || (d[pos] & 0xFF) != 0x30) {
      throw new CertificateParseException(source + ": expected DER SEQUENCE at byte " + pos);
    }
    int l = d[pos + 1] & 0xFF;
    if (l < 0x80) {
      return 2 + l;
    }
    int n = l & 0x7F;
    if (n == 0 || n > 3 || pos + 2 + n > d.length) {
      throw new CertificateParseException(source + ": bad DER length at byte " + (pos + 1));
    }
    int len = 0;
    for (int i = 0; i < n; i++) {
      len = (len << 8) | (d[pos + 2 + i] & 0xFF);
    }
    return 2 + n + len;
  }

  private static final int MEMO_LIMIT = 4096;
  private static final java.util.Map<Object, String> FINGERPRINTS = new java.util.IdentityHashMap<>();

  /**
   * SHA-256 of the certificate's DER, memoized per parsed instance (re-encoding an RSA-4096
   * certificate costs more than the cached verification it keys).
   */
  public static String sha256Hex(X509CertificateHolder cert) {
    synchronized (FINGERPRINTS) {
      String fp = FINGERPRINTS.get(cert);
      if (fp != null) {
        return fp;
      }
    }
    String fp;
    try {
      fp = sha256Hex(cert.getEncoded());
    } catch (IOException e) {
      throw new IllegalStateException("re-encoding a parsed certificate failed", e);
    }
    remember(cert, fp);
    return fp;
  }

  /** SHA-256 of the CRL's DER, memoized per parsed instance. */
  public static String sha256Hex(X509CRLHolder crl) throws IOException {
    synchronized (FINGERPRINTS) {
      String fp = FINGERPRINTS.get(crl);
      if (fp != null) {
        return fp;
      }
    }
    String fp = sha256Hex(crl.getEncoded());
    remember(crl, fp);
    return fp;
  }

  private static void remember(Object o, String fp) {
    synchronized (FINGERPRINTS) {
      if (FINGERPRINTS.size() >= MEMO_LIMIT) {
        FINGERPRINTS.clear();
      }
      FINGERPRINTS.put(o, fp);
    }
  }

  private static final java.util.Map<String, X509CertificateHolder> BY_DER = new java.util.concurrent.ConcurrentHashMap<>();

  /**
   * A parsed certificate for DER bytes that may well have been parsed before (a platform's PCK
   * chain arrives with every quote): the earlier instance is reused, keyed by the SHA-256 of the
   * bytes, so its memoized fingerprint and key precomputation are reused too.
   */
  public static X509CertificateHolder certificateMemo(byte[] der, String source) throws CertificateParseException {
    String fp = sha256Hex(der);
    X509CertificateHolder h = BY_DER.get(fp);
    if (h != null) {
      return h;
    }
    h = certificate(der, source);
    if (BY_DER.size() >= MEMO_LIMIT) {
      BY_DER.clear();
    }
    BY_DER.put(fp, h);
    remember(h, fp);
    return h;
  }

  public static String sha256Hex(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
    }
  }

  private static final java.util.Map<Object, java.time.Instant[]> TIMES = new java.util.IdentityHashMap<>();

  /**
   * notBefore and notAfter of a certificate (memoized per parsed instance: BouncyCastle parses the
   * ASN.1 time text with a new SimpleDateFormat on every call).
   */
  public static java.time.Instant[] validity(X509CertificateHolder cert) {
    synchronized (TIMES) {
      java.time.Instant[] t = TIMES.get(cert);
      if (t != null) {
        return t.clone();
      }
    }
    java.time.Instant[] t;
    try {
      t = new java.time.Instant[] {cert.getNotBefore().toInstant(), cert.getNotAfter().toInstant()};
    } catch (RuntimeException malformed) {
      // An undecodable validity is never valid: notBefore after notAfter, reported as such.
      t = new java.time.Instant[] {java.time.Instant.MAX, java.time.Instant.MIN};
    }
    rememberTimes(cert, t);
    return t.clone();
  }

  /** thisUpdate and nextUpdate (null when absent) of a CRL, memoized per parsed instance. */
  public static java.time.Instant[] window(X509CRLHolder crl) {
    synchronized (TIMES) {
      java.time.Instant[] t = TIMES.get(crl);
      if (t != null) {
        return t.clone();
      }
    }
    java.time.Instant[] t;
    try {
      t = new java.time.Instant[] {crl.getThisUpdate().toInstant(),
          crl.getNextUpdate() == null ? null : crl.getNextUpdate().toInstant()};
    } catch (RuntimeException malformed) {
      t = new java.time.Instant[] {java.time.Instant.MAX, null};
    }
    rememberTimes(crl, t);
    return t.clone();
  }

  private static void rememberTimes(Object o, java.time.Instant[] t) {
    synchronized (TIMES) {
      if (TIMES.size() >= MEMO_LIMIT) {
        TIMES.clear();
      }
      TIMES.put(o, t.clone());
    }
  }

  private static final java.util.Map<X500Name, String[]> NAMES = new java.util.IdentityHashMap<>();

  /** The CN of a name, or "" if it has none (memoized per parsed name). */
  public static String commonName(X500Name name) {
    return names(name)[1];
  }

  /** The RFC 4514-style string of a name, for messages (memoized per parsed name: rendering is costly). */
  public static String name(X500Name name) {
    return names(name)[0];
  }

  /**
   * Whether two names are equal under BouncyCastle's X.500 comparison; names that this comparison
   * cannot process (hostile encodings make it throw) are equal only if their DER is identical.
   */
  public static boolean sameName(X500Name a, X500Name b) {
    if (a == b) {
      return true;
    }
    synchronized (SAME_NAME) {
      java.util.Map<X500Name, Boolean> known = SAME_NAME.get(a);
      Boolean same = known == null ? null : known.get(b);
      if (same != null) {
        return same;
      }
    }
    boolean same;
    try {
      same = a.equals(b);
    } catch (RuntimeException malformed) {
      same = encodedHex(a).equals(encodedHex(b));
    }
    synchronized (SAME_NAME) {
      if (SAME_NAME.size() >= MEMO_LIMIT) {
        SAME_NAME.clear();
      }
      java.util.Map<X500Name, Boolean> known = SAME_NAME.computeIfAbsent(a, k -> new java.util.IdentityHashMap<>());
      if (known.size() >= 64) {
        known.clear();
      }
      known.put(b, same);
    }
    return same;
  }

  /**
   * {@link #sameName} results per pair of parsed name instances (parsed certificates and CRLs are
   * memoized, so the same instances recur; BouncyCastle's comparison of two different names
   * normalizes every attribute value each time).
   */
  private static final java.util.Map<X500Name, java.util.Map<X500Name, Boolean>> SAME_NAME = new java.util.IdentityHashMap<>();

  private static String encodedHex(X500Name name) {
    try {
      return java.util.HexFormat.of().formatHex(name.getEncoded());
    } catch (IOException | RuntimeException e) {
      return "unencodable";
    }
  }

  private static String[] names(X500Name name) {
    synchronized (NAMES) {
      String[] n = NAMES.get(name);
      if (n != null) {
        return n;
      }
    }
    String[] n;
    try {
      RDN[] cns = name.getRDNs(BCStyle.CN);
      n = new String[] {name.toString(), cns.length == 0 ? "" : IETFUtils.valueToString(cns[0].getFirst().getValue())};
    } catch (RuntimeException malformed) {
      // A hostile name can make BouncyCastle's rendering throw; it must not escape the verifier.
      n = new String[] {"<malformed name " + encodedHex(name) + ">", ""};
    }
    synchronized (NAMES) {
      if (NAMES.size() >= MEMO_LIMIT) {
        NAMES.clear();
      }
      NAMES.put(name, n);
    }
    return n;
  }
}
