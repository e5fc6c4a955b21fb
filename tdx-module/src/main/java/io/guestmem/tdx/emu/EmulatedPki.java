package io.guestmem.tdx.emu;

import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.PckExtensions;
import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.bc.BcX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;

/**
 * The emulated Intel SGX/TDX PKI, shaped after the Intel SGX PCK Certificate and CRL Profile:
 *
 * <pre>
 * root CA  "Intel SGX Root CA"          self-signed, CA pathLen 1, keyCertSign|cRLSign  → root CRL
 *  ├─ "Intel SGX PCK Platform CA"        CA pathLen 0, keyCertSign|cRLSign               → PCK CRL
 *  │   └─ "Intel SGX PCK Certificate"   end entity, digitalSignature|nonRepudiation, SGX extension
 *  └─ "Intel SGX TCB Signing"            end entity, signs TCB Info and QE Identity
 * </pre>
 *
 * Subject CNs are Intel's so verifier code that dispatches on them works unchanged; O is
 * {@value #ORGANIZATION} so that no emulated certificate passes for Intel's. All keys are P-256,
 * all signatures ECDSA/SHA-256 with deterministic nonces; serials and keys come from the seed.
 */
public final class EmulatedPki {
  public static final String ORGANIZATION = "guestmem emulated Intel PCS";
  public static final String ROOT_CRL_URL = "https://pcs.emulated.guestmem.invalid/IntelSGXRootCA.der";
  public static final String PCK_CRL_URL = "https://pcs.emulated.guestmem.invalid/sgx/certification/v4/pckcrl?ca=platform&encoding=der";

  private final EcdsaP256 rootKey;
  private final EcdsaP256 platformCaKey;
  private final EcdsaP256 pckKey;
  private final EcdsaP256 tcbSigningKey;
  private final X509Certificate root;
  private final X509Certificate platformCa;
  private final X509Certificate pck;
  private final X509Certificate tcbSigning;
  private final PckExtensions pckExtensions;
  private final byte[] rootCrl;
  private final byte[] pckCrl;

  public EmulatedPki(Seed seed, Instant issueTime, EmulationKnobs knobs, PlatformConfig platform) {
    rootKey = EcdsaP256.derive(seed, "root-ca");
    platformCaKey = EcdsaP256.derive(seed, "platform-ca");
    pckKey = EcdsaP256.derive(seed, "pck");
    tcbSigningKey = EcdsaP256.derive(seed, "tcb-signing");
    Instant notBefore = knobs.certsNotBefore().orElse(issueTime.minus(1, ChronoUnit.DAYS));
    Instant caNotAfter = knobs.caNotAfter().orElse(notBefore.atZone(ZoneOffset.UTC).plusYears(25).toInstant());
    Instant pckNotAfter = knobs.pckNotAfter().orElse(notBefore.atZone(ZoneOffset.UTC).plusYears(7).toInstant());

    List<Integer> comps = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      comps.add(platform.cpuSvn().get(i) & 0xff);
    }
    pckExtensions =
        new PckExtensions(
            Bytes.of(seed.bytes("ppid", 16)),
            new PckExtensions.Tcb(comps, knobs.pceSvn(), platform.cpuSvn()),
            knobs.pceId(),
            knobs.fmspc(),
            PckExtensions.SGX_TYPE_SCALABLE,
            Optional.of(Bytes.of(seed.bytes("platform-instance-id", 16))),
            Optional.of(new PckExtensions.Configuration(Optional.of(true), Optional.of(true), Optional.of(true))));

    X500Name rootName = name("Intel SGX Root CA");
    X500Name platformName = name("Intel SGX PCK Platform CA");
    root = certificate(seed.serial("root-ca"), rootName, rootName, rootKey, rootKey, notBefore, caNotAfter, true, 1, ROOT_CRL_URL, null);
    platformCa =
        certificate(seed.serial("platform-ca"), rootName, platformName, platformCaKey, rootKey, notBefore, caNotAfter, true, 0, ROOT_CRL_URL, null);
    pck =
        certificate(
            seed.serial("pck"), platformName, name("Intel SGX PCK Certificate"), pckKey, platformCaKey, notBefore, pckNotAfter, false, -1,
            PCK_CRL_URL, pckExtensions);
    tcbSigning =
        certificate(seed.serial("tcb-signing"), rootName, name("Intel SGX TCB Signing"), tcbSigningKey, rootKey, notBefore, caNotAfter, false, -1,
            ROOT_CRL_URL, null);

    Instant nextUpdate = issueTime.plus(knobs.collateralValidity());
    List<BigInteger> rootRevoked = new ArrayList<>();
    if (knobs.revokePlatformCa()) {
      rootRevoked.add(platformCa.getSerialNumber());
    }
    List<BigInteger> pckRevoked = new ArrayList<>(knobs.extraRevokedSerials());
    if (knobs.revokePckLeaf()) {
      pckRevoked.add(pck.getSerialNumber());
    }
    rootCrl = crl(rootName, rootKey, issueTime, nextUpdate, rootRevoked);
    pckCrl = crl(platformName, platformCaKey, issueTime, nextUpdate, pckRevoked);
  }

  private static X500Name name(String cn) {
    return new X500Name("CN=" + cn + ",O=" + ORGANIZATION + ",L=Santa Clara,ST=CA,C=US");
  }

  private static X509Certificate certificate(
      BigInteger serial, X500Name issuer, X500Name subject, EcdsaP256 subjectKey, EcdsaP256 issuerKey, Instant notBefore, Instant notAfter,
      boolean ca, int pathLen, String crlUrl, PckExtensions sgx) {
    try {
      BcX509ExtensionUtils ext = new BcX509ExtensionUtils();
      X509v3CertificateBuilder b =
          new X509v3CertificateBuilder(issuer, serial, Date.from(notBefore), Date.from(notAfter), subject, subjectKey.subjectPublicKeyInfo());
      b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerKey.subjectPublicKeyInfo()));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey.subjectPublicKeyInfo()));
      b.addExtension(
          Extension.cRLDistributionPoints,
          false,
          new CRLDistPoint(
              new DistributionPoint[] {
                new DistributionPoint(
                    new DistributionPointName(new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, crlUrl))), null, null)
              }));
      if (ca) {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(pathLen));
      } else {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation));
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      }
      if (sgx != null) {
        b.addExtension(new ASN1ObjectIdentifier(PckExtensions.SGX_EXTENSIONS_OID), false, sgx.toDer());
      }
      X509CertificateHolder holder = b.build(issuerKey.contentSigner());
      return new JcaX509CertificateConverter().getCertificate(holder);
    } catch (IOException | CertificateException e) {
      throw new IllegalStateException("building an emulated certificate failed", e);
    }
  }

  private static byte[] crl(X500Name issuer, EcdsaP256 key, Instant thisUpdate, Instant nextUpdate, List<BigInteger> revoked) {
    try {
      X509v2CRLBuilder b = new X509v2CRLBuilder(issuer, Date.from(thisUpdate));
      b.setNextUpdate(Date.from(nextUpdate));
      for (BigInteger serial : revoked) {
        b.addCRLEntry(serial, Date.from(thisUpdate), CRLReason.keyCompromise);
      }
      b.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.ONE));
      b.addExtension(Extension.authorityKeyIdentifier, false, new BcX509ExtensionUtils().createAuthorityKeyIdentifier(key.subjectPublicKeyInfo()));
      X509CRLHolder holder = b.build(key.contentSigner());
      return holder.getEncoded();
    } catch (IOException e) {
      throw new IllegalStateException("building an emulated CRL failed", e);
    }
  }

  public X509Certificate root() {
    return root;
  }

  public X509Certificate platformCa() {
    return platformCa;
  }

  public X509Certificate pck() {
    return pck;
  }

  public X509Certificate tcbSigning() {
    return tcbSigning;
  }

  public PckExtensions pckExtensions() {
    return pckExtensions;
  }

  /** The PCK chain as it goes into a quote: leaf, Platform CA, root. */
  public List<X509Certificate> pckChain() {
    return List.of(pck, platformCa, root);
  }

  EcdsaP256 pckKey() {
    return pckKey;
  }

  EcdsaP256 tcbSigningKey() {
    return tcbSigningKey;
  }

  /** DER of the root CA CRL (issuer: root). */
  public Bytes rootCrl() {
    return Bytes.of(rootCrl);
  }

  /** DER of the PCK Platform CA CRL (issuer: Platform CA). */
  public Bytes pckCrl() {
    return Bytes.of(pckCrl);
  }
}
