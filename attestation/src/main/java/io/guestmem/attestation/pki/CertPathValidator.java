package io.guestmem.attestation.pki;

import io.guestmem.attestation.Appraisal;
import io.guestmem.attestation.Ar4siClaim;
import io.guestmem.attestation.Check;
import io.guestmem.attestation.Reason;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.trust.TrustAnchor;
import io.guestmem.attestation.trust.TrustAnchors;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * Validates an ordered certificate path (leaf first, root last) and records one check per aspect
 * and level, so a failure names the level (e.g. {@code pck_chain.intermediate.signature}).
 *
 * <p>Steps, for a path c[0] (leaf) … c[n-1] (root):
 *
 * <ol>
 *   <li>c[n-1] must be one of the {@link TrustAnchors} by SHA-256 ({@code .root_pinned},
 *       {@link Reason#UNTRUSTED_ROOT}) and self-signed ({@code .root.signature}).
 *   <li>for every level: validity window contains {@code at} ({@code .<level>.validity});
 *   <li>for every non-root level: issuer DN equals the next certificate's subject DN
 *       ({@code .<level>.issuer}) and the next certificate's key verifies the signature
 *       ({@code .<level>.signature});
 *   <li>every issuing certificate has basicConstraints cA=TRUE with a sufficient pathLen, and a
 *       keyUsage, if present, with keyCertSign ({@code .<level>.ca}).
 * </ol>
 *
 * Every step runs even after an earlier one failed, so one appraisal shows all disagreements.
 * Signature results are cached (time-independent); validity windows are always re-checked.
 */
public final class CertPathValidator {
  private CertPathValidator() {}

  /** The outcome: whether every check passed, and the anchor the root matched (if any). */
  public record Result(boolean valid, Optional<TrustAnchor> anchor) {}

  /**
   * @param prefix check-id prefix, e.g. {@code pck_chain}
   * @param levels a name per certificate, leaf first (e.g. {@code leaf, intermediate, root})
   */
  public static Result validate(String prefix, List<String> levels, List<X509CertificateHolder> path,
      TrustAnchors anchors, Instant at, VerifiedCache cache, Appraisal out, Ar4siClaim category) {
    if (path.isEmpty()) {
      out.fail(prefix + ".present", category, Reason.CHAIN_MISSING, "no certificates");
      return new Result(false, Optional.empty());
    }
    if (levels.size() != path.size()) {
      throw new IllegalArgumentException("one level name per certificate");
    }
    boolean ok = true;
    int n = path.size();
    X509CertificateHolder root = path.get(n - 1);
    Optional<TrustAnchor> anchor = anchors.match(root);
    ok &= out.check(prefix + ".root_pinned", category, anchor.isPresent(), Reason.UNTRUSTED_ROOT,
        anchor.map(a -> (a.emulated() ? "emulated root " : "pinned root ") + a.name())
            .orElse("root " + Certificates.name(root.getSubject()) + " sha256 " + Certificates.sha256Hex(root)
                + " is not a trusted anchor"));
    for (int i = 0; i < n; i++) {
      X509CertificateHolder c = path.get(i);
      String level = prefix + "." + levels.get(i);
      ok &= validity(level, c, at, out, category);
      X509CertificateHolder issuer = i + 1 < n ? path.get(i + 1) : c;
      if (i + 1 < n) {
        ok &= out.check(level + ".issuer", category, Certificates.sameName(c.getIssuer(), issuer.getSubject()),
            Reason.ISSUER_MISMATCH, "issuer " + Certificates.name(c.getIssuer()) + " vs next subject " + Certificates.name(issuer.getSubject()));
      } else {
        ok &= out.check(level + ".issuer", category, Certificates.sameName(c.getIssuer(), c.getSubject()),
            Reason.ISSUER_MISMATCH, "root must be self-issued: " + Certificates.name(c.getSubject()));
      }
      ok &= out.check(level + ".signature", category, signedBy(c, issuer, at, cache),
          Reason.CERT_SIGNATURE_INVALID, "signature of " + Certificates.name(c.getSubject()) + " by " + Certificates.name(issuer.getSubject()));
      if (i > 0) {
        ok &= caCheck(level, c, i - 1, out, category);
      }
    }
    return new Result(ok, anchor);
  }

  /** Records {@code <level>.validity}. */
  public static boolean validity(String level, X509CertificateHolder c, Instant at, Appraisal out,
      Ar4siClaim category) {
    Instant[] window = Certificates.validity(c);
    Instant nb = window[0];
    Instant na = window[1];
    if (nb.isAfter(na)) {
      return out.fail(level + ".validity", category, Reason.CERT_PROFILE, "the validity period does not decode or ends before it starts");
    }
    String detail = "valid " + Times.iso(nb) + " to " + Times.iso(na) + ", appraised at " + Times.iso(at);
    if (at.isBefore(nb)) {
      return out.fail(level + ".validity", category, Reason.CERT_NOT_YET_VALID, detail);
    }
    if (at.isAfter(na)) {
      return out.fail(level + ".validity", category, Reason.CERT_EXPIRED, detail);
    }
    return out.pass(level + ".validity", category, detail);
  }

  /** Whether {@code issuer} signed {@code cert}, cached by both certificates' hashes. */
  public static boolean signedBy(X509CertificateHolder cert, X509CertificateHolder issuer, Instant at,
      VerifiedCache cache) {
    String key = signatureKey(cert, issuer);
    return cache.getOrVerify(key, at, () -> Signatures.certificateSignedBy(cert, issuer)
        ? Optional.of(new VerifiedCache.Verified<>(Boolean.TRUE, Certificates.validity(cert)[1]))
        : Optional.<VerifiedCache.Verified<Boolean>>empty()).isPresent();
  }

  private static final java.util.Map<X509CertificateHolder, java.util.Map<X509CertificateHolder, String>> SIGNATURE_KEYS =
      new java.util.IdentityHashMap<>();

  /**
   * The cache key of a certificate's signature by an issuer, per pair of parsed instances (the same
   * String instance, so its hash is computed once). Bounded.
   */
  private static String signatureKey(X509CertificateHolder cert, X509CertificateHolder issuer) {
    synchronized (SIGNATURE_KEYS) {
      java.util.Map<X509CertificateHolder, String> m = SIGNATURE_KEYS.get(cert);
      String k = m == null ? null : m.get(issuer);
      if (k != null) {
        return k;
      }
    }
    String k = "certsig:" + Certificates.sha256Hex(cert) + ":" + Certificates.sha256Hex(issuer);
    synchronized (SIGNATURE_KEYS) {
      if (SIGNATURE_KEYS.size() >= 1024) {
        SIGNATURE_KEYS.clear();
      }
      SIGNATURE_KEYS.computeIfAbsent(cert, x -> new java.util.IdentityHashMap<>()).put(issuer, k);
    }
    return k;
  }

  /**
   * CA-constraint checks per certificate instance and (id, certificates below, category): they
   * depend on the certificate's content only, and a {@link Check} is immutable. Bounded.
   */
  private static final java.util.Map<X509CertificateHolder, java.util.Map<String, Check>> CA_CHECKS =
      new java.util.IdentityHashMap<>();

  private static boolean caCheck(String level, X509CertificateHolder c, int certsBelow, Appraisal out,
      Ar4siClaim category) {
    String memo = level + "|" + certsBelow + "|" + category;
    Check known;
    synchronized (CA_CHECKS) {
      java.util.Map<String, Check> m = CA_CHECKS.get(c);
      known = m == null ? null : m.get(memo);
    }
    if (known == null) {
      known = caCheckResult(level, c, certsBelow, category);
      synchronized (CA_CHECKS) {
        if (CA_CHECKS.size() >= 1024) {
          CA_CHECKS.clear();
        }
        CA_CHECKS.computeIfAbsent(c, x -> new java.util.HashMap<>()).put(memo, known);
      }
    }
    return out.check(known);
  }

  private static Check caCheckResult(String level, X509CertificateHolder c, int certsBelow, Ar4siClaim category) {
    try {
      return caCheckDecoded(level, c, certsBelow, category);
    } catch (RuntimeException malformed) {
      return Check.fail(level + ".ca", category, Reason.CERT_PROFILE, "basicConstraints or keyUsage does not decode: "
          + malformed.getMessage());
    }
  }

  private static Check caCheckDecoded(String level, X509CertificateHolder c, int certsBelow, Ar4siClaim category) {
    BasicConstraints bc = BasicConstraints.fromExtensions(c.getExtensions());
    if (bc == null || !bc.isCA()) {
      return Check.fail(level + ".ca", category, Reason.NOT_A_CA, Certificates.name(c.getSubject()) + " issues certificates but is not a CA");
    }
    if (bc.getPathLenConstraint() != null && bc.getPathLenConstraint().intValue() < certsBelow) {
      return Check.fail(level + ".ca", category, Reason.PATH_LENGTH_EXCEEDED,
          "pathLen " + bc.getPathLenConstraint() + " but " + certsBelow + " CA certificates below");
    }
    KeyUsage ku = KeyUsage.fromExtensions(c.getExtensions());
    if (ku != null && !ku.hasUsages(KeyUsage.keyCertSign)) {
      return Check.fail(level + ".ca", category, Reason.KEY_USAGE, "keyUsage lacks keyCertSign");
    }
    return Check.pass(level + ".ca", category, "cA=TRUE" + (c.getExtension(Extension.keyUsage) != null ? ", keyCertSign" : ""));
  }
}
