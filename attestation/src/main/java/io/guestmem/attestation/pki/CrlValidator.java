package io.guestmem.attestation.pki;

import io.guestmem.attestation.Appraisal;
import io.guestmem.attestation.Ar4siClaim;
import io.guestmem.attestation.CollateralItem;
import io.guestmem.attestation.Reason;
import io.guestmem.attestation.collateral.VerifiedCache;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.X509CRLEntryHolder;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * Checks a CRL and the revocation status of certificates it covers:
 *
 * <ol>
 *   <li>{@code .issuer}: the CRL issuer DN equals the issuing certificate's subject;
 *   <li>{@code .signature}: the issuing certificate's key verifies the CRL (cached);
 *   <li>{@code .validity}: thisUpdate ≤ at ≤ nextUpdate (a CRL without nextUpdate is treated as
 *       expired);
 *   <li>{@code .revocation.<name>}: each given certificate's serial is not listed.
 * </ol>
 */
public final class CrlValidator {
  private CrlValidator() {}

  /**
   * @param subjects certificates whose serials must not be listed, by display name; they must
   *     have been issued by {@code issuer}
   */
  public static boolean check(String prefix, X509CRLHolder crl, X509CertificateHolder issuer,
      Map<String, X509CertificateHolder> subjects, Instant at, VerifiedCache cache, Appraisal out,
      Ar4siClaim category) {
    boolean ok = out.check(prefix + ".issuer", category, Certificates.sameName(crl.getIssuer(), issuer.getSubject()),
        Reason.CRL_ISSUER_MISMATCH, "CRL issuer " + Certificates.name(crl.getIssuer()) + ", expected " + Certificates.name(issuer.getSubject()));
    ok &= out.check(prefix + ".signature", category, signedBy(crl, issuer, at, cache),
        Reason.CRL_SIGNATURE_INVALID, "CRL signature by " + Certificates.name(issuer.getSubject()));
    Instant[] w = Certificates.window(crl);
    Instant thisUpdate = w[0];
    Instant nextUpdate = w[1];
    String window = "thisUpdate " + Times.iso(thisUpdate) + ", nextUpdate " + Times.iso(nextUpdate) + ", appraised at "
        + Times.iso(at);
    if (at.isBefore(thisUpdate)) {
      ok &= out.fail(prefix + ".validity", category, Reason.CRL_NOT_YET_VALID, window);
    } else if (nextUpdate == null || at.isAfter(nextUpdate)) {
      ok &= out.fail(prefix + ".validity", category, Reason.CRL_EXPIRED, window);
    } else {
      out.pass(prefix + ".validity", category, window);
    }
    if (nextUpdate != null) {
      out.collateral(new CollateralItem(prefix, thisUpdate, nextUpdate, Certificates.name(crl.getIssuer())));
    }
    for (Map.Entry<String, X509CertificateHolder> s : subjects.entrySet()) {
      Lookup lookup;
      try {
        lookup = lookup(crl, s.getValue().getSerialNumber());
      } catch (RuntimeException malformed) {
        ok &= out.fail(prefix + ".revocation." + s.getKey(), category, Reason.CRL_SIGNATURE_INVALID,
            "the CRL's entries do not decode: " + malformed.getMessage());
        continue;
      }
      ok &= out.check(prefix + ".revocation." + s.getKey(), category, !lookup.listed(), Reason.REVOKED, lookup.detail());
    }
    return ok;
  }

  /** Whether a serial is listed, with the check's detail. */
  private record Lookup(boolean listed, String detail) {}

  /**
   * Revocation lookups per CRL instance and serial: BouncyCastle scans every entry of the CRL on
   * each lookup, and the same platform's serials are looked up in the same (memoized) CRL on every
   * verification. The answer depends only on the CRL's content, never on the time; a lookup that
   * throws is not remembered. Bounded.
   */
  private static final Map<X509CRLHolder, Map<java.math.BigInteger, Lookup>> LOOKUPS =
      new java.util.IdentityHashMap<>();

  private static Lookup lookup(X509CRLHolder crl, java.math.BigInteger serial) {
    synchronized (LOOKUPS) {
      Map<java.math.BigInteger, Lookup> known = LOOKUPS.get(crl);
      Lookup l = known == null ? null : known.get(serial);
      if (l != null) {
        return l;
      }
    }
    X509CRLEntryHolder entry = crl.getRevokedCertificate(serial);
    Lookup l = entry == null ? new Lookup(false, "serial 0x" + serial.toString(16) + " not listed")
        : new Lookup(true, "serial 0x" + serial.toString(16) + " revoked " + entry.getRevocationDate().toInstant());
    synchronized (LOOKUPS) {
      if (LOOKUPS.size() >= 256) {
        LOOKUPS.clear();
      }
      Map<java.math.BigInteger, Lookup> known = LOOKUPS.computeIfAbsent(crl, k -> new java.util.HashMap<>());
      if (known.size() >= 256) {
        known.clear();
      }
      known.put(serial, l);
    }
    return l;
  }

  /**
   * Of the CRLs issued by {@code issuer}, the one to check at {@code at}: one whose window contains
   * {@code at} (the newest such), else the newest by thisUpdate, so that a stale copy next to a
   * fresh one (cache and fetch, or two files) is never preferred.
   */
  public static Optional<X509CRLHolder> choose(List<X509CRLHolder> crls, X500Name issuer, Instant at) {
    Comparator<X509CRLHolder> newest = Comparator.comparing(c -> Certificates.window(c)[0]);
    List<X509CRLHolder> mine = crls.stream().filter(c -> Certificates.sameName(c.getIssuer(), issuer)).toList();
    Optional<X509CRLHolder> current = mine.stream().filter(c -> {
      Instant[] w = Certificates.window(c);
      return !at.isBefore(w[0]) && w[1] != null && !at.isAfter(w[1]);
    }).max(newest);
    return current.isPresent() ? current : mine.stream().max(newest);
  }

  static boolean signedBy(X509CRLHolder crl, X509CertificateHolder issuer, Instant at, VerifiedCache cache) {
    String key;
    try {
      key = "crlsig:" + Certificates.sha256Hex(crl) + ":" + Certificates.sha256Hex(issuer);
    } catch (java.io.IOException e) {
      return false;
    }
    Instant until = Certificates.window(crl)[1] == null ? at : Certificates.window(crl)[1];
    return cache.getOrVerify(key, at, () -> Signatures.crlSignedBy(crl, issuer)
        ? Optional.of(new VerifiedCache.Verified<>(Boolean.TRUE, until.plusSeconds(1)))
        : Optional.<VerifiedCache.Verified<Boolean>>empty()).isPresent();
  }
}
