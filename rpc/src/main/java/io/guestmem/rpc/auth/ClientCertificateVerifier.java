package io.guestmem.rpc.auth;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateParsingException;
import java.security.cert.PKIXCertPathValidatorResult;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Verifies TLS client certificates against the configured client CA bundle, and nothing else (no
 * system trust store): RFC 5280 path validation (JDK PKIX) at the current time with every
 * certificate of the bundle as a trust anchor, then two end-entity rules — an extendedKeyUsage, if
 * present, must list {@code id-kp-clientAuth}; a keyUsage, if present, must allow digitalSignature
 * (what a TLS client's CertificateVerify needs) — then revocation against the configured CRLs, if
 * any ({@link ClientCrls}: an issuer without a CRL there is not checked; OCSP is not used).
 *
 * <p>The chain is taken in the order the client sent it (leaf first); it is cut before the first
 * certificate after the leaf that is itself in the bundle, so a client may or may not include the
 * root. The leaf is always validated, even when it is a certificate of the bundle.
 */
public final class ClientCertificateVerifier {
  /** id-kp-clientAuth (RFC 5280 §4.2.1.12). */
  public static final String CLIENT_AUTH_EKU = "1.3.6.1.5.5.7.3.2";

  private final List<X509Certificate> anchors;
  private final Set<TrustAnchor> trustAnchors;
  private final Clock clock;
  private final ClientCrls crls;

  private ClientCertificateVerifier(List<X509Certificate> anchors, Clock clock, ClientCrls crls) {
    this.crls = crls;
    this.anchors = List.copyOf(anchors);
    Set<TrustAnchor> t = new LinkedHashSet<>();
    anchors.forEach(a -> t.add(new TrustAnchor(a, null)));
    this.trustAnchors = Set.copyOf(t);
    this.clock = clock;
  }

  /** The CA certificates in a PEM bundle (one or more {@code CERTIFICATE} blocks). */
  public static ClientCertificateVerifier fromPem(Path bundle, Clock clock) throws IOException, GeneralSecurityException {
    List<X509Certificate> certs = new ArrayList<>();
    try (InputStream in = Files.newInputStream(bundle)) {
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        certs.add((X509Certificate) c);
      }
    } catch (CertificateException e) {
      throw new CertificateException(bundle + ": not a PEM certificate bundle: " + e.getMessage(), e);
    }
    if (certs.isEmpty()) {
      throw new CertificateException(bundle + ": no certificate in the client CA bundle");
    }
    return new ClientCertificateVerifier(certs, clock, ClientCrls.none());
  }

  /** This verifier, also checking revocation against {@code crls}. */
  public ClientCertificateVerifier withCrls(ClientCrls crls) {
    return new ClientCertificateVerifier(anchors, clock, crls);
  }

  /** The CRLs checked ({@link ClientCrls#none()} if none). */
  public ClientCrls crls() {
    return crls;
  }

  /** The bundle's certificates (what the server names as acceptable issuers in its CertificateRequest). */
  public List<X509Certificate> anchors() {
    return anchors;
  }

  /** Checks a client's chain (leaf first) now; returns normally when the bundle vouches for it. */
  public void verify(X509Certificate[] chain) throws ClientCertificateException {
    if (chain == null || chain.length == 0) {
      throw new ClientCertificateException(ClientCertificateException.Reason.UNTRUSTED, "empty certificate chain");
    }
    X509Certificate leaf = chain[0];
    List<X509Certificate> path = new ArrayList<>(List.of(leaf));
    for (int i = 1; i < chain.length && !anchors.contains(chain[i]); i++) {
      path.add(chain[i]);
    }
    X509Certificate anchor = validatePath(path, leaf);
    checkUsage(leaf);
    crls.check(path, anchor);
  }

  /** Validates the path; returns the bundle certificate it leads to. */
  private X509Certificate validatePath(List<X509Certificate> path, X509Certificate leaf) throws ClientCertificateException {
    try {
      CertPath cp = CertificateFactory.getInstance("X.509").generateCertPath(path);
      PKIXParameters params = new PKIXParameters(trustAnchors);
      params.setRevocationEnabled(false); // revocation: ClientCrls, after the path is known to be valid
      params.setDate(Date.from(clock.instant()));
      PKIXCertPathValidatorResult result = (PKIXCertPathValidatorResult) CertPathValidator.getInstance("PKIX").validate(cp, params);
      return result.getTrustAnchor().getTrustedCert();
    } catch (CertPathValidatorException e) {
      throw new ClientCertificateException(reasonOf(e), describe(leaf) + ": " + e.getMessage());
    } catch (CertificateException | InvalidAlgorithmParameterException | NoSuchAlgorithmException e) {
      throw new ClientCertificateException(ClientCertificateException.Reason.INVALID, describe(leaf) + ": " + e.getMessage());
    }
  }

  private static ClientCertificateException.Reason reasonOf(CertPathValidatorException e) {
    CertPathValidatorException.Reason r = e.getReason();
    if (r == CertPathValidatorException.BasicReason.EXPIRED) {
      return ClientCertificateException.Reason.EXPIRED;
    }
    if (r == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
      return ClientCertificateException.Reason.NOT_YET_VALID;
    }
    if (r == PKIXReason.NO_TRUST_ANCHOR || r == CertPathValidatorException.BasicReason.INVALID_SIGNATURE) {
      return ClientCertificateException.Reason.UNTRUSTED;
    }
    return ClientCertificateException.Reason.INVALID;
  }

  private static void checkUsage(X509Certificate leaf) throws ClientCertificateException {
    List<String> eku;
    try {
      eku = leaf.getExtendedKeyUsage();
    } catch (CertificateParsingException e) {
      throw new ClientCertificateException(ClientCertificateException.Reason.INVALID, describe(leaf) + ": unreadable extendedKeyUsage");
    }
    if (eku != null && !eku.contains(CLIENT_AUTH_EKU)) {
      throw new ClientCertificateException(ClientCertificateException.Reason.WRONG_USAGE,
          describe(leaf) + ": extendedKeyUsage " + eku + " does not include clientAuth (" + CLIENT_AUTH_EKU + ")");
    }
    boolean[] ku = leaf.getKeyUsage();
    if (ku != null && !ku[0]) {
      throw new ClientCertificateException(ClientCertificateException.Reason.WRONG_USAGE,
          describe(leaf) + ": keyUsage does not allow digitalSignature");
    }
  }

  /** {@code subject (sha256 HEX)}, as the audit log names a certificate. */
  static String describe(X509Certificate c) {
    return "\"" + c.getSubjectX500Principal().getName() + "\" (sha256 " + sha256(c) + ")";
  }

  /** SHA-256 of the DER certificate, lower-case hex: the fingerprint operator mappings pin. */
  public static String sha256(X509Certificate c) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(c.getEncoded()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 or DER encoding unavailable", e);
    }
  }

  /**
   * A trust manager for the TCP listener's client side of the handshake: {@link #verify} every
   * chain a client presents and fail the handshake with the reason (which reaches the audit log
   * through {@link HandshakeAuditingNegotiator}). It never trusts servers (it
   * is only installed on the server).
   */
  public X509ExtendedTrustManager trustManager() {
    return new X509ExtendedTrustManager() {
      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        verify(chain);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        verify(chain);
      }

      @Override
      public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        verify(chain);
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("the client CA bundle is for client certificates only");
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("the client CA bundle is for client certificates only");
      }

      @Override
      public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("the client CA bundle is for client certificates only");
      }

      @Override
      public X509Certificate[] getAcceptedIssuers() {
        return anchors.toArray(new X509Certificate[0]);
      }
    };
  }
}
