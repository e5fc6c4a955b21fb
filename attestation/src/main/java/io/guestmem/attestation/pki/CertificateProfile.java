package io.guestmem.attestation.pki;

import io.guestmem.attestation.Appraisal;
import io.guestmem.attestation.Ar4siClaim;
import io.guestmem.attestation.Reason;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERNull;
import org.bouncycastle.asn1.nist.NISTObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.pkcs.RSAPublicKey;
import org.bouncycastle.asn1.pkcs.RSASSAPSSparams;
import org.bouncycastle.asn1.sec.SECObjectIdentifiers;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * The certificate profile a vendor's PKI promises, checked per certificate of a path beyond what
 * path validation needs (go-tdx-guest's {@code validateX509Cert}; go-sev-guest's name and CRL
 * distribution point checks):
 *
 * <ul>
 *   <li>{@code <level>.version}: X.509 v3 ({@link Reason#CERT_PROFILE});
 *   <li>{@code <level>.signature_algorithm}: the issuer's one algorithm — ecdsa-with-SHA256
 *       (Intel), or RSASSA-PSS with exactly SHA-384, MGF1-SHA-384, salt 48, trailer 1 (AMD)
 *       ({@link Reason#UNSUPPORTED_ALGORITHM});
 *   <li>{@code <level>.public_key}: key algorithm and size or curve — EC P-256, EC P-384 or
 *       RSA-4096 ({@link Reason#UNSUPPORTED_ALGORITHM});
 *   <li>{@code <level>.subject}: the subject CN is one of the profile's, and every other
 *       attribute the profile fixes (AMD: OU, C, L, ST, O) has its value
 *       ({@link Reason#CERT_PROFILE});
 *   <li>{@code <level>.crl_distribution_points}, when the profile names them: exactly these
 *       URIs, one distribution point each ({@link Reason#CERT_PROFILE}).
 * </ul>
 *
 * A conforming certificate gives one passing check {@code <level>.profile}; each aspect that does
 * not conform gives its own failing check, so a verdict names exactly what is wrong. The outcome
 * depends only on the certificate and the profile and is memoized by the certificate's SHA-256.
 */
public final class CertificateProfile {
  /** The signature algorithm a certificate must be signed with. */
  public enum SignatureAlgorithm {
    ECDSA_SHA256("ecdsa-with-SHA256"),
    RSASSA_PSS_SHA384("RSASSA-PSS (SHA-384, MGF1-SHA-384, salt 48, trailer 1)");

    private final String label;

    SignatureAlgorithm(String label) {
      this.label = label;
    }
  }

  /** The subject public key a certificate must carry. */
  public enum PublicKeyType {
    EC_P256("EC P-256"),
    EC_P384("EC P-384"),
    RSA_4096("RSA-4096");

    private final String label;

    PublicKeyType(String label) {
      this.label = label;
    }
  }

  private final String name;
  private final SignatureAlgorithm signature;
  private final PublicKeyType key;
  private final Set<String> commonNames;
  private final Map<ASN1ObjectIdentifier, String> fixedAttributes;
  private final Optional<List<String>> crlDistributionPoints;

  private CertificateProfile(String name, SignatureAlgorithm signature, PublicKeyType key, Set<String> commonNames,
      Map<ASN1ObjectIdentifier, String> fixedAttributes, Optional<List<String>> crlDistributionPoints) {
    this.name = name;
    this.signature = signature;
    this.key = key;
    this.commonNames = Set.copyOf(commonNames);
    this.fixedAttributes = Map.copyOf(fixedAttributes);
    this.crlDistributionPoints = crlDistributionPoints.map(List::copyOf);
  }

  /**
   * A profile; {@code name} identifies it in the memo (two profiles with different rules must have
   * different names).
   *
   * @param commonNames the accepted subject CNs
   * @param fixedAttributes further subject attributes (BCStyle OIDs) and their required values
   * @param crlDistributionPoints the exact CDP URIs, or empty for no rule
   */
  public static CertificateProfile of(String name, SignatureAlgorithm signature, PublicKeyType key,
      Set<String> commonNames, Map<ASN1ObjectIdentifier, String> fixedAttributes,
      Optional<List<String>> crlDistributionPoints) {
    return new CertificateProfile(name, signature, key, commonNames, fixedAttributes, crlDistributionPoints);
  }

  /** The subject attributes every AMD SEV certificate carries besides its CN (evidence-formats.md §1.6). */
  public static final Map<ASN1ObjectIdentifier, String> AMD_NAME = Map.of(BCStyle.OU, "Engineering", BCStyle.C, "US",
      BCStyle.L, "Santa Clara", BCStyle.ST, "CA", BCStyle.O, "Advanced Micro Devices");

  /** One non-conforming aspect. */
  private record Finding(String aspect, String reason, String detail) {}

  private static final Map<String, List<Finding>> MEMO = new ConcurrentHashMap<>();

  /** Records the profile checks of {@code c} at {@code level}; true if it conforms. */
  public boolean check(String level, X509CertificateHolder c, Appraisal out, Ar4siClaim category) {
    String memoKey = name + ":" + Certificates.sha256Hex(c);
    List<Finding> findings = MEMO.get(memoKey);
    if (findings == null) {
      findings = evaluate(c);
      if (MEMO.size() >= 4096) {
        MEMO.clear();
      }
      MEMO.put(memoKey, findings);
    }
    if (findings.isEmpty()) {
      return out.pass(level + ".profile", category, "X.509 v3, " + signature.label + ", " + key.label + ", CN "
          + Certificates.commonName(c.getSubject()));
    }
    for (Finding f : findings) {
      out.fail(level + "." + f.aspect(), category, f.reason(), f.detail());
    }
    return false;
  }

  private List<Finding> evaluate(X509CertificateHolder c) {
    List<Finding> f = new ArrayList<>();
    try {
      if (c.getVersionNumber() != 3) {
        f.add(new Finding("version", Reason.CERT_PROFILE, "X.509 version " + c.getVersionNumber() + ", 3 required"));
      }
      String sig = signatureProblem(c.getSignatureAlgorithm());
      if (sig != null) {
        f.add(new Finding("signature_algorithm", Reason.UNSUPPORTED_ALGORITHM, sig + "; " + signature.label + " required"));
      }
      String k = keyProblem(c.getSubjectPublicKeyInfo());
      if (k != null) {
        f.add(new Finding("public_key", Reason.UNSUPPORTED_ALGORITHM, k + "; " + key.label + " required"));
      }
      String s = subjectProblem(c.getSubject());
      if (s != null) {
        f.add(new Finding("subject", Reason.CERT_PROFILE, s));
      }
      if (crlDistributionPoints.isPresent()) {
        List<String> have = distributionPoints(c);
        if (!have.equals(crlDistributionPoints.get())) {
          f.add(new Finding("crl_distribution_points", Reason.CERT_PROFILE, "CRL distribution points " + have + ", "
              + crlDistributionPoints.get() + " required"));
        }
      }
    } catch (RuntimeException malformed) {
      f.add(new Finding("profile", Reason.CERT_PROFILE, "a profile field does not decode: " + malformed.getMessage()));
    }
    return List.copyOf(f);
  }

  private String signatureProblem(AlgorithmIdentifier alg) {
    ASN1ObjectIdentifier oid = alg.getAlgorithm();
    switch (signature) {
      case ECDSA_SHA256:
        if (!oid.equals(X9ObjectIdentifiers.ecdsa_with_SHA256)) {
          return "signature algorithm " + oid.getId();
        }
        return alg.getParameters() == null ? null : "ecdsa-with-SHA256 with parameters";
      case RSASSA_PSS_SHA384:
      default:
        if (!oid.equals(PKCSObjectIdentifiers.id_RSASSA_PSS)) {
          return "signature algorithm " + oid.getId();
        }
        RSASSAPSSparams p = RSASSAPSSparams.getInstance(alg.getParameters());
        boolean hash = isSha384(p.getHashAlgorithm());
        boolean mgf = p.getMaskGenAlgorithm().getAlgorithm().equals(PKCSObjectIdentifiers.id_mgf1)
            && isSha384(AlgorithmIdentifier.getInstance(p.getMaskGenAlgorithm().getParameters()));
        boolean salt = p.getSaltLength().equals(BigInteger.valueOf(48));
        boolean trailer = p.getTrailerField().equals(BigInteger.ONE);
        if (hash && mgf && salt && trailer) {
          return null;
        }
        return "RSASSA-PSS with hash " + p.getHashAlgorithm().getAlgorithm().getId() + ", MGF "
            + p.getMaskGenAlgorithm().getAlgorithm().getId() + ", salt " + p.getSaltLength() + ", trailer "
            + p.getTrailerField();
    }
  }

  private static boolean isSha384(AlgorithmIdentifier a) {
    if (a == null || !a.getAlgorithm().equals(NISTObjectIdentifiers.id_sha384)) {
      return false;
    }
    ASN1Encodable params = a.getParameters();
    return params == null || DERNull.INSTANCE.equals(params);
  }

  private String keyProblem(SubjectPublicKeyInfo spki) {
    ASN1ObjectIdentifier alg = spki.getAlgorithm().getAlgorithm();
    switch (key) {
      case EC_P256:
      case EC_P384: {
        ASN1ObjectIdentifier want = key == PublicKeyType.EC_P256 ? SECObjectIdentifiers.secp256r1 : SECObjectIdentifiers.secp384r1;
        if (!alg.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
          return "key algorithm " + alg.getId();
        }
        ASN1Encodable curve = spki.getAlgorithm().getParameters();
        if (!(curve instanceof ASN1ObjectIdentifier) || !curve.equals(want)) {
          return "EC key on curve " + (curve instanceof ASN1ObjectIdentifier o ? o.getId() : "(explicit parameters)");
        }
        return null;
      }
      case RSA_4096:
      default: {
        if (!alg.equals(PKCSObjectIdentifiers.rsaEncryption)) {
          return "key algorithm " + alg.getId();
        }
        try {
          int bits = RSAPublicKey.getInstance(spki.parsePublicKey()).getModulus().bitLength();
          return bits == 4096 ? null : "RSA key of " + bits + " bits";
        } catch (java.io.IOException e) {
          return "RSA key does not decode";
        }
      }
    }
  }

  private String subjectProblem(X500Name subject) {
    String cn = Certificates.commonName(subject);
    if (!commonNames.contains(cn)) {
      return "subject CN \"" + cn + "\", one of " + new java.util.TreeSet<>(commonNames) + " required";
    }
    for (Map.Entry<ASN1ObjectIdentifier, String> e : fixedAttributes.entrySet()) {
      RDN[] rdns = subject.getRDNs(e.getKey());
      List<String> values = new ArrayList<>();
      for (RDN r : rdns) {
        for (AttributeTypeAndValue tv : r.getTypesAndValues()) {
          if (tv.getType().equals(e.getKey())) {
            values.add(IETFUtils.valueToString(tv.getValue()));
          }
        }
      }
      if (!values.equals(List.of(e.getValue()))) {
        return "subject " + BCStyle.INSTANCE.oidToDisplayName(e.getKey()) + " " + values + ", \"" + e.getValue()
            + "\" required";
      }
    }
    return null;
  }

  private static List<String> distributionPoints(X509CertificateHolder c) {
    Extension ext = c.getExtension(Extension.cRLDistributionPoints);
    List<String> out = new ArrayList<>();
    if (ext == null) {
      return out;
    }
    for (DistributionPoint dp : CRLDistPoint.getInstance(ext.getParsedValue()).getDistributionPoints()) {
      DistributionPointName n = dp.getDistributionPoint();
      if (n == null || n.getType() != DistributionPointName.FULL_NAME) {
        out.add("(not a full name)");
        continue;
      }
      for (GeneralName g : GeneralNames.getInstance(n.getName()).getNames()) {
        out.add(g.getTagNo() == GeneralName.uniformResourceIdentifier ? g.getName().toString() : "(not a URI)");
      }
    }
    return out;
  }
}
