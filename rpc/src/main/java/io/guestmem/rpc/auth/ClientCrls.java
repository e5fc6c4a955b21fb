package io.guestmem.rpc.auth;

import io.guestmem.attestation.pki.Signatures;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.X509CRLEntryHolder;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Certificate revocation lists for TLS client certificates ({@code serve --tls-client-crl FILE},
 * repeatable; each file one or more PEM {@code X509 CRL} blocks, or one DER CRL), parsed and
 * verified with BouncyCastle.
 *
 * <p><b>Which certificates are checked.</b> Every certificate of a client's validated path (leaf
 * and intermediates) whose issuer has a CRL here: a CRL is that issuer's when its issuer name
 * equals the certificate's issuer name and its signature, over the CRL's own TBS bytes (a CRL must
 * be DER-encoded, so these are the bytes that were signed), verifies
 * with the issuing certificate's key (the next certificate of the path, or the bundle's anchor);
 * if the issuer has a keyUsage it must allow cRLSign. Of several such CRLs the one with the latest
 * thisUpdate counts. Then, failing closed: a serial listed there is {@code CLIENT_CERT_REVOKED};
 * a CRL past its nextUpdate, without one, or not yet valid is {@code CLIENT_CERT_CRL_STALE}; a
 * CRL with the issuer's name whose signature does not verify is {@code CLIENT_CERT_CRL_INVALID}.
 * An issuer with no CRL here is not checked (the operator decides which CAs need revocation by
 * listing their CRLs). Delta CRLs, partitioned CRLs (issuingDistributionPoint) and indirect CRLs
 * are not supported: a CRL with any critical extension, or with a critical entry extension, is
 * refused when it is loaded.
 *
 * <p><b>Reloading.</b> The files are read again at most once per {@link #RECHECK} (at a
 * handshake), and parsed again when one's content changed (SHA-256), so a CA's new CRL is used
 * without a restart. A file that no longer parses leaves the previous CRLs in force (logged),
 * which then go stale and fail closed; {@link #load} refuses a bad file at start.
 */
public final class ClientCrls {
  /** How often the files are read again to see whether they changed. */
  public static final Duration RECHECK = Duration.ofSeconds(1);
  private static final Logger LOG = LoggerFactory.getLogger(ClientCrls.class);

  private final List<Path> files;
  private final Clock clock;
  private volatile State state;

  /** The CRLs read from the files, and what the files looked like when they were read. */
  /** The CRLs in force, the SHA-256 of each file's bytes they came from, and when the files were last looked at. */
  private record State(List<X509CRLHolder> crls, List<byte[]> digests, Instant checked) {}

  private ClientCrls(List<Path> files, Clock clock, State state) {
    this.files = List.copyOf(files);
    this.clock = clock;
    this.state = state;
  }

  /** No CRLs: nothing is checked. */
  public static ClientCrls none() {
    return new ClientCrls(List.of(), Clock.systemUTC(), new State(List.of(), List.of(), Instant.MAX));
  }

  /**
   * Reads every file now.
   *
   * @throws IOException if a file cannot be read, holds no CRL, is not a CRL, or a CRL uses what
   *     this verifier does not support (naming the file)
   */
  public static ClientCrls load(List<Path> files, Clock clock) throws IOException {
    return new ClientCrls(files, clock, read(files, clock.instant()));
  }

  /** The files, as given. */
  public List<Path> files() {
    return files;
  }

  private static State read(List<Path> files, Instant now) throws IOException {
    List<X509CRLHolder> crls = new ArrayList<>();
    List<byte[]> digests = new ArrayList<>();
    for (Path f : files) {
      byte[] bytes = Files.readAllBytes(f);
      digests.add(sha256(bytes));
      crls.addAll(parse(f, bytes));
    }
    return new State(List.copyOf(crls), digests, now);
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JDK", e);
    }
  }

  /** The CRLs of one file's bytes: PEM {@code X509 CRL} blocks, or one DER CRL. */
  static List<X509CRLHolder> parse(Path f, byte[] bytes) throws IOException {
    List<X509CRLHolder> out = new ArrayList<>();
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    if (text.contains("-----BEGIN")) {
      try (PemReader r = new PemReader(new java.io.StringReader(text))) {
        PemObject o;
        while ((o = r.readPemObject()) != null) {
          if (!o.getType().equals("X509 CRL")) {
            throw new IOException(f + ": a PEM " + o.getType() + " block where an X509 CRL was expected");
          }
          out.add(holder(f, o.getContent()));
        }
      }
    } else {
      out.add(holder(f, bytes));
    }
    if (out.isEmpty()) {
      throw new IOException(f + ": no CRL in the file");
    }
    return out;
  }

  private static X509CRLHolder holder(Path f, byte[] der) throws IOException {
    X509CRLHolder h;
    try {
      h = new X509CRLHolder(der);
    } catch (IOException | RuntimeException e) {
      throw new IOException(f + ": not an X.509 CRL (" + e.getMessage() + ")", e);
    }
    if (!Arrays.equals(h.getEncoded(), der)) {
      // the signature is checked over the DER of the parsed TBS; only for DER input is that the signed bytes
      throw new IOException(f + ": CRL of \"" + h.getIssuer() + "\" is not DER-encoded");
    }
    Set<?> critical = h.getCriticalExtensionOIDs();
    if (!critical.isEmpty()) {
      throw new IOException(f + ": CRL of \"" + h.getIssuer() + "\" has critical extensions " + critical
          + " (delta, partitioned and indirect CRLs are not supported)");
    }
    for (Object e : h.getRevokedCertificates()) {
      X509CRLEntryHolder entry = (X509CRLEntryHolder) e;
      if (!entry.getCriticalExtensionOIDs().isEmpty()) {
        throw new IOException(f + ": CRL of \"" + h.getIssuer() + "\" has an entry with critical extensions "
            + entry.getCriticalExtensionOIDs());
      }
    }
    return h;
  }

  private State current() {
    State s = state;
    Instant now = clock.instant();
    if (files.isEmpty() || now.isBefore(s.checked().plus(RECHECK))) {
      return s;
    }
    synchronized (this) {
      s = state;
      if (now.isBefore(s.checked().plus(RECHECK))) {
        return s;
      }
      try {
        boolean changed = false;
        for (int i = 0; i < files.size() && !changed; i++) {
          // by content: a new CRL written within one timestamp tick at the same size is still new
          changed = !java.util.Arrays.equals(sha256(Files.readAllBytes(files.get(i))), s.digests().get(i));
        }
        state = changed ? read(files, now) : new State(s.crls(), s.digests(), now);
        if (changed) {
          LOG.info("client CRLs reloaded from {}: {} CRLs", files, state.crls().size());
        }
      } catch (IOException | RuntimeException e) {
        LOG.error("client CRLs: cannot reload ({}); the previous CRLs stay in force until their nextUpdate", e.getMessage());
        state = new State(s.crls(), s.digests(), now);
      }
      return state;
    }
  }

  /**
   * Checks the certificates of a validated path (leaf first); {@code anchor} is the bundle
   * certificate that issued the last one.
   */
  void check(List<X509Certificate> path, X509Certificate anchor) throws ClientCertificateException {
    State s = current();
    if (s.crls().isEmpty()) {
      return;
    }
    Instant now = clock.instant();
    for (int i = 0; i < path.size(); i++) {
      X509Certificate c = path.get(i);
      X509Certificate issuer = i + 1 < path.size() ? path.get(i + 1) : anchor;
      checkOne(s.crls(), c, issuer, now);
    }
  }

  private static void checkOne(List<X509CRLHolder> crls, X509Certificate c, X509Certificate issuer, Instant now)
      throws ClientCertificateException {
    X500Name issuerName = X500Name.getInstance(c.getIssuerX500Principal().getEncoded());
    X509CRLHolder best = null;
    boolean nameMatched = false;
    for (X509CRLHolder crl : crls) {
      if (!crl.getIssuer().equals(issuerName)) {
        continue;
      }
      nameMatched = true;
      if (signedBy(crl, issuer) && (best == null || crl.getThisUpdate().after(best.getThisUpdate()))) {
        best = crl;
      }
    }
    if (best == null) {
      if (nameMatched) {
        throw new ClientCertificateException(ClientCertificateException.Reason.CRL_INVALID, ClientCertificateVerifier.describe(c)
            + ": the CRL of \"" + issuerName + "\" is not signed by the certificate that issued it");
      }
      return; // no CRL for this issuer: not checked
    }
    boolean[] ku = issuer.getKeyUsage();
    if (ku != null && (ku.length < 7 || !ku[6])) {
      throw new ClientCertificateException(ClientCertificateException.Reason.CRL_INVALID, ClientCertificateVerifier.describe(c)
          + ": its issuer's keyUsage does not allow cRLSign, so its CRL cannot be relied on");
    }
    Instant thisUpdate = best.getThisUpdate().toInstant();
    Instant nextUpdate = best.getNextUpdate() == null ? null : best.getNextUpdate().toInstant();
    if (thisUpdate.isAfter(now) || nextUpdate == null || !now.isBefore(nextUpdate)) {
      throw new ClientCertificateException(ClientCertificateException.Reason.CRL_STALE, ClientCertificateVerifier.describe(c)
          + ": the CRL of \"" + issuerName + "\" (thisUpdate " + thisUpdate + ", nextUpdate " + (nextUpdate == null ? "none" : nextUpdate)
          + ") is not current");
    }
    X509CRLEntryHolder entry = best.getRevokedCertificate(c.getSerialNumber());
    if (entry != null) {
      throw new ClientCertificateException(ClientCertificateException.Reason.REVOKED, ClientCertificateVerifier.describe(c)
          + ": serial 0x" + c.getSerialNumber().toString(16) + " revoked on " + entry.getRevocationDate().toInstant() + reason(entry));
    }
  }

  private static String reason(X509CRLEntryHolder entry) {
    org.bouncycastle.asn1.x509.Extensions ext = entry.getExtensions();
    if (ext == null || ext.getExtension(Extension.reasonCode) == null) {
      return "";
    }
    try {
      BigInteger v = CRLReason.getInstance(ext.getExtension(Extension.reasonCode).getParsedValue()).getValue();
      return " (reason " + v + ")";
    } catch (RuntimeException e) {
      return "";
    }
  }

  private static boolean signedBy(X509CRLHolder crl, X509Certificate issuer) {
    try {
      return Signatures.crlSignedBy(crl, new JcaX509CertificateHolder(issuer));
    } catch (java.security.cert.CertificateEncodingException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return "ClientCrls" + Arrays.toString(files.toArray());
  }
}
