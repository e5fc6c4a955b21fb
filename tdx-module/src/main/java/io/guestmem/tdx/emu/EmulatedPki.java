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
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509v1CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;

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
  private final List<X509Certificate> pckChain;
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
    EcdsaP384 platformCaP384 = knobs.platformCaP384() ? EcdsaP384.derive(seed, "platform-ca") : null;
    SubjectPublicKeyInfo platformSpki =
        platformCaP384 != null ? platformCaP384.subjectPublicKeyInfo() : platformCaKey.subjectPublicKeyInfo();
    root = certificate(seed.serial("root-ca"), rootName, rootName, rootKey.subjectPublicKeyInfo(), rootKey.subjectPublicKeyInfo(),
        signer(rootKey, EmulationKnobs.CertRole.ROOT, knobs), notBefore, caNotAfter, true, 1, ROOT_CRL_URL, null,
        EmulationKnobs.CertRole.ROOT, knobs);
    platformCa = certificate(seed.serial("platform-ca"), rootName, platformName, platformSpki, rootKey.subjectPublicKeyInfo(),
        signer(rootKey, EmulationKnobs.CertRole.PLATFORM_CA, knobs), notBefore, caNotAfter, true, 0, ROOT_CRL_URL, null,
        EmulationKnobs.CertRole.PLATFORM_CA, knobs);
    X500Name pckIssuer = knobs.pckIssuerCn().map(EmulatedPki::name).orElse(platformName);
    pck = certificate(seed.serial("pck"), pckIssuer, name(knobs.pckSubjectCn().orElse("Intel SGX PCK Certificate")),
        pckKey.subjectPublicKeyInfo(), platformSpki,
        platformCaP384 != null ? platformCaP384.contentSigner(true) : signer(platformCaKey, EmulationKnobs.CertRole.PCK, knobs),
        notBefore, pckNotAfter, false, -1, PCK_CRL_URL, knobs.omitPckSgxExtensions() ? null : pckExtensions,
        EmulationKnobs.CertRole.PCK, knobs);
    tcbSigning = certificate(seed.serial("tcb-signing"), rootName, name("Intel SGX TCB Signing"), tcbSigningKey.subjectPublicKeyInfo(),
        rootKey.subjectPublicKeyInfo(), signer(rootKey, EmulationKnobs.CertRole.TCB_SIGNING, knobs), notBefore, caNotAfter, false, -1,
        ROOT_CRL_URL, null, EmulationKnobs.CertRole.TCB_SIGNING, knobs);
    pckChain = knobs.pckChainWithoutRoot() ? List.of(pck, platformCa) : List.of(pck, platformCa, root);

    Instant nextUpdate = issueTime.plus(knobs.collateralValidity());
    List<BigInteger> rootRevoked = new ArrayList<>();
    if (knobs.revokePlatformCa()) {
      rootRevoked.add(platformCa.getSerialNumber());
    }
    List<BigInteger> pckRevoked = new ArrayList<>(knobs.extraRevokedSerials());
    if (knobs.revokePckLeaf()) {
      pckRevoked.add(pck.getSerialNumber());
    }
    EcdsaP256 stranger = EcdsaP256.derive(seed, "crl-stranger");
    EcdsaP256 rootCrlKey = knobs.crlsSignedWithWrongKey() ? stranger : rootKey;
    rootCrl = crl(rootName, rootCrlKey.subjectPublicKeyInfo(), rootCrlKey.contentSigner(), issueTime, nextUpdate, rootRevoked);
    X500Name pckCrlIssuer = knobs.pckCrlIssuerCn().map(EmulatedPki::name).orElse(platformName);
    if (knobs.crlsSignedWithWrongKey()) {
      pckCrl = crl(pckCrlIssuer, stranger.subjectPublicKeyInfo(), stranger.contentSigner(), issueTime, nextUpdate, pckRevoked);
    } else {
      pckCrl = crl(pckCrlIssuer, platformSpki, platformCaP384 != null ? platformCaP384.contentSigner(true) : platformCaKey.contentSigner(),
          issueTime, nextUpdate, pckRevoked);
    }
  }

  private static ContentSigner signer(EcdsaP256 issuerKey, EmulationKnobs.CertRole role, EmulationKnobs knobs) {
    return issuerKey.contentSigner(knobs.sha384Certificate().equals(java.util.Optional.of(role)));
  }

  private static X500Name name(String cn) {
    return new X500Name("CN=" + cn + ",O=" + ORGANIZATION + ",L=Santa Clara,ST=CA,C=US");
  }

  private static X509Certificate certificate(
      BigInteger serial, X500Name issuer, X500Name subject, SubjectPublicKeyInfo subjectKey, SubjectPublicKeyInfo issuerKey,
      ContentSigner signer, Instant notBefore, Instant notAfter, boolean ca, int pathLen, String crlUrl, PckExtensions sgx,
      EmulationKnobs.CertRole role, EmulationKnobs knobs) {
    try {
      X509CertificateHolder holder;
      if (knobs.version1Certificate().equals(Optional.of(role))) {
        holder = new X509v1CertificateBuilder(issuer, serial, Date.from(notBefore), Date.from(notAfter), subject, subjectKey)
            .build(signer);
      } else {
        BcX509ExtensionUtils ext = new BcX509ExtensionUtils();
        X509v3CertificateBuilder b = new X509v3CertificateBuilder(issuer, serial, Date.from(notBefore), Date.from(notAfter), subject, subjectKey);
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(issuerKey));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(subjectKey));
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
        holder = b.build(signer);
      }
      byte[] der = holder.getEncoded();
      if (knobs.corruptCertificateSignature().equals(Optional.of(role))) {
        // The last byte of the DER is the last byte of the signature's s: the certificate still
        // parses, its signature no longer verifies.
        der[der.length - 1] ^= 0x01;
      }
      return (X509Certificate) java.security.cert.CertificateFactory.getInstance("X.509")
          .generateCertificate(new java.io.ByteArrayInputStream(der));
    } catch (IOException | CertificateException e) {
      throw new IllegalStateException("building an emulated certificate failed", e);
    }
  }

  private static byte[] crl(X500Name issuer, SubjectPublicKeyInfo key, ContentSigner signer, Instant thisUpdate, Instant nextUpdate,
      List<BigInteger> revoked) {
    try {
      X509v2CRLBuilder b = new X509v2CRLBuilder(issuer, Date.from(thisUpdate));
      b.setNextUpdate(Date.from(nextUpdate));
      for (BigInteger serial : revoked) {
        b.addCRLEntry(serial, Date.from(thisUpdate), CRLReason.keyCompromise);
      }
      b.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.ONE));
      b.addExtension(Extension.authorityKeyIdentifier, false, new BcX509ExtensionUtils().createAuthorityKeyIdentifier(key));
      X509CRLHolder holder = b.build(signer);
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

  /** The PCK chain as it goes into a quote: leaf, Platform CA, root (without the root if a knob says so). */
  public List<X509Certificate> pckChain() {
    return pckChain;
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
