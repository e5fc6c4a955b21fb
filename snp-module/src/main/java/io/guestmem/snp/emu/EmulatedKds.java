package io.guestmem.snp.emu;

import io.guestmem.snp.abi.Bytes;
import io.guestmem.snp.abi.KdsUrl;
import io.guestmem.snp.abi.SnpEcdsaSignature;
import io.guestmem.snp.abi.SnpProduct;
import io.guestmem.snp.abi.TcbVersion;
import io.guestmem.snp.abi.VekExtensions;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.CRLDistPoint;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.DistributionPoint;
import org.bouncycastle.asn1.x509.DistributionPointName;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509v2CRLBuilder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.bc.BcX509ExtensionUtils;
import org.bouncycastle.crypto.AsymmetricCipherKeyPair;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.bouncycastle.crypto.util.SubjectPublicKeyInfoFactory;

/**
 * Emulated AMD key infrastructure and Key Distribution Service for one product: ARK (self-signed,
 * RSA-4096), ASK and ASVK (RSA-4096, signed by the ARK), VCEKs and VLEKs (P-384, signed by the ASK
 * or ASVK, with AMD's X.509 extensions), and the ARK-signed CRL — all RSASSA-PSS SHA-384 with
 * MGF1-SHA-384, salt 48, trailer 1, and laid out on disk the way KDS serves them
 * ({@link #writeKdsDirectory}).
 *
 * <p>Names, serials and extensions follow the real certificates (evidence-formats.md §1.6–1.7):
 * subject/issuer {@code OU=Engineering, C=US, L=Santa Clara, ST=CA, O=Advanced Micro Devices,
 * CN=ARK-{product} | SEV-{product} | SEV-VLEK-{product} | SEV-VCEK | SEV-VLEK}; ARK serial
 * 0x10000/0x20000/0x30000 for Milan/Genoa/Turin, ASK +1 (Genoa +2, as AMD re-issued it), ASVK
 * +0x101; VEK serial 0 by default;
 * ARK and ASK/ASVK carry exactly one CRL distribution point.
 *
 * <p>Everything is a pure function of {@link Config}: the same config gives byte-identical
 * certificates, CRL and signatures. Every negative-test knob (validity windows, serials, revoked
 * serials, product name, hwID and its encoding, TCB) is a parameter. The emulated ARK is a trust
 * anchor only where a verifier is configured with it explicitly.
 */
public final class EmulatedKds {
  /** A certificate's validity window. */
  public record Validity(Instant notBefore, Instant notAfter) {
    public Validity {
      Objects.requireNonNull(notBefore);
      Objects.requireNonNull(notAfter);
    }

    public static Validity of(Instant notBefore, Duration length) {
      return new Validity(notBefore, notBefore.plus(length));
    }
  }

  /** Default issue time of every emulated certificate: fixed, so output is reproducible. */
  public static final Instant DEFAULT_ISSUED_AT = Instant.parse("2026-06-01T00:00:00Z");
  static final Duration YEAR = Duration.ofDays(365);

  /** The CA-side settings; a VEK's own settings are in {@link VekRequest}. */
  public record Config(long seed, SnpProduct product, Validity arkValidity, Validity askValidity,
      Validity asvkValidity, Instant crlThisUpdate, Instant crlNextUpdate, List<BigInteger> revokedSerials, Faults faults) {
    public Config {
      Objects.requireNonNull(product);
      Objects.requireNonNull(faults);
      revokedSerials = List.copyOf(revokedSerials);
    }

    /** AMD-like defaults: 25-year CAs and a one-year CRL, all from {@link #DEFAULT_ISSUED_AT}, nothing revoked. */
    public static Config defaults(long seed, SnpProduct product) {
      Validity ca = Validity.of(DEFAULT_ISSUED_AT.minus(Duration.ofDays(3 * 365)), Duration.ofDays(25 * 365));
      return new Config(seed, product, ca, ca, ca, DEFAULT_ISSUED_AT, DEFAULT_ISSUED_AT.plus(YEAR), List.of(), Faults.NONE);
    }

    public Config withArkValidity(Validity v) {
      return new Config(seed, product, v, askValidity, asvkValidity, crlThisUpdate, crlNextUpdate, revokedSerials, faults);
    }

    public Config withAskValidity(Validity v) {
      return new Config(seed, product, arkValidity, v, asvkValidity, crlThisUpdate, crlNextUpdate, revokedSerials, faults);
    }

    public Config withAsvkValidity(Validity v) {
      return new Config(seed, product, arkValidity, askValidity, v, crlThisUpdate, crlNextUpdate, revokedSerials, faults);
    }

    public Config withCrlWindow(Instant thisUpdate, Instant nextUpdate) {
      return new Config(seed, product, arkValidity, askValidity, asvkValidity, thisUpdate, nextUpdate, revokedSerials, faults);
    }

    public Config withFaults(Faults f) {
      return new Config(seed, product, arkValidity, askValidity, asvkValidity, crlThisUpdate, crlNextUpdate, revokedSerials, f);
    }

    public Config withRevokedSerials(List<BigInteger> serials) {
      return new Config(seed, product, arkValidity, askValidity, asvkValidity, crlThisUpdate, crlNextUpdate, serials, faults);
    }
  }

  /**
   * Departures from AMD's certificate profile, one per negative test (evidence-formats.md §2.8);
   * {@link #NONE} issues certificates exactly as KDS does.
   *
   * @param arkIssuerCountry C of the ARK's issuer name (its subject keeps C=US), so the ARK is not self-issued
   * @param askSubjectState ST of the ASK's subject name (the VCEKs it signs name it so as issuer)
   * @param askCrlDistributionPoints the ASK's CRL distribution point URIs, one distribution point each
   * @param askKeyUsage the ASK's keyUsage bits instead of keyCertSign
   * @param askNotCa the ASK's basicConstraints say cA=FALSE
   * @param vekPssSaltLength RSASSA-PSS salt length of the VCEK/VLEK signature (a valid signature) instead of 48
   * @param vekWithoutHwId issue VCEKs without the hwID extension
   * @param vekBlSplOctetString encode the VCEK/VLEK blSPL extension as an OCTET STRING instead of an INTEGER
   * @param vekSignatureCorrupted flip the last byte of the VCEK/VLEK signature
   * @param arkCountry C of the ARK's subject and issuer (still self-issued; the ASK and CRL name it so)
   * @param arkCrlDistributionPoints the ARK's CRL distribution point URIs, one distribution point each
   */
  public record Faults(Optional<String> arkIssuerCountry, Optional<String> askSubjectState,
      Optional<List<String>> askCrlDistributionPoints, Optional<Integer> askKeyUsage, boolean askNotCa,
      Optional<Integer> vekPssSaltLength, boolean vekWithoutHwId, boolean vekBlSplOctetString,
      boolean vekSignatureCorrupted, Optional<String> arkCountry, Optional<List<String>> arkCrlDistributionPoints) {
    public static final Faults NONE = new Faults(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
        false, Optional.empty(), false, false, false, Optional.empty(), Optional.empty());

    public Faults {
      askCrlDistributionPoints = askCrlDistributionPoints.map(List::copyOf);
      arkCrlDistributionPoints = arkCrlDistributionPoints.map(List::copyOf);
    }

    public Faults withArkCountry(String c) {
      return new Faults(arkIssuerCountry, askSubjectState, askCrlDistributionPoints, askKeyUsage, askNotCa, vekPssSaltLength,
          vekWithoutHwId, vekBlSplOctetString, vekSignatureCorrupted, Optional.of(c), arkCrlDistributionPoints);
    }

    public Faults withArkCrlDistributionPoints(List<String> urls) {
      return new Faults(arkIssuerCountry, askSubjectState, askCrlDistributionPoints, askKeyUsage, askNotCa, vekPssSaltLength,
          vekWithoutHwId, vekBlSplOctetString, vekSignatureCorrupted, arkCountry, Optional.of(urls));
    }

    public Faults withArkIssuerCountry(String c) {
      return new Faults(Optional.of(c), askSubjectState, askCrlDistributionPoints, askKeyUsage, askNotCa, vekPssSaltLength,
          vekWithoutHwId, vekBlSplOctetString, vekSignatureCorrupted, arkCountry, arkCrlDistributionPoints);
    }

    public Faults withAskSubjectState(String st) {
      return new Faults(arkIssuerCountry, Optional.of(st), askCrlDistributionPoints, askKeyUsage, askNotCa, vekPssSaltLength,
          vekWithoutHwId, vekBlSplOctetString, vekSignatureCorrupted, arkCountry, arkCrlDistributionPoints);
    }

    public Faults withAskCrlDistributionPoints(List<String> urls) {
      return new Faults(arkIssuerCountry, askSubjectState, Optional.of(urls), askKeyUsage, askNotCa, vekPssSaltLength,
          vekWithoutHwId, vekBlSplOctetString, vekSignatureCorrupted, arkCountry, arkCrlDistributionPoints);
    }

    public Faults withAskKeyUsage(int bits) {
      return new Faults(arkIssuerCountry, askSubjectState, askCrlDistributionPoints, Optional.of(bits), askNotCa,
          vekPssSaltLength, vekWithoutHwId, vekBlSplOctetString, vekSignatureCorrupted, arkCountry, arkCrlDistributionPoints);
    }

    public Faults withAskNotCa(boolean b) {
      return new Faults(arkIssuerCountry, askSubjectState, askCrlDistributionPoints, askKeyUsage, b, vekPssSaltLength,
          vekWithoutHwId, vekBlSplOctetString, vekSignatureCorrupted, arkCountry, arkCrlDistributionPoints);
    }

    public Faults withVekPssSaltLength(int salt) {
      return new Faults(arkIssuerCountry, askSubjectState, askCrlDistributionPoints, askKeyUsage, askNotCa, Optional.of(salt),
          vekWithoutHwId, vekBlSplOctetString, vekSignatureCorrupted, arkCountry, arkCrlDistributionPoints);
    }

    public Faults withVekWithoutHwId(boolean b) {
      return new Faults(arkIssuerCountry, askSubjectState, askCrlDistributionPoints, askKeyUsage, askNotCa, vekPssSaltLength,
          b, vekBlSplOctetString, vekSignatureCorrupted, arkCountry, arkCrlDistributionPoints);
    }

    public Faults withVekBlSplOctetString(boolean b) {
      return new Faults(arkIssuerCountry, askSubjectState, askCrlDistributionPoints, askKeyUsage, askNotCa, vekPssSaltLength,
          vekWithoutHwId, b, vekSignatureCorrupted, arkCountry, arkCrlDistributionPoints);
    }

    public Faults withVekSignatureCorrupted(boolean b) {
      return new Faults(arkIssuerCountry, askSubjectState, askCrlDistributionPoints, askKeyUsage, askNotCa, vekPssSaltLength,
          vekWithoutHwId, vekBlSplOctetString, b, arkCountry, arkCrlDistributionPoints);
    }
  }

  /**
   * What a VCEK or VLEK certificate says. {@code hwId} is used for VCEKs, {@code cspId} for VLEKs;
   * {@code keyTcb} is the TCB the private key is derived for (normally {@code tcb}; a different
   * value gives a certificate whose TCB extensions do not match the key that signs the reports).
   */
  public record VekRequest(VekExtensions.Kind kind, TcbVersion tcb, Bytes hwId, String cspId, String productName,
      VekExtensions.HwIdEncoding hwIdEncoding, Validity validity, BigInteger serial) {
    public VekRequest {
      Objects.requireNonNull(kind);
      Objects.requireNonNull(tcb);
      Objects.requireNonNull(productName);
      Objects.requireNonNull(validity);
      Objects.requireNonNull(serial);
      if (kind == VekExtensions.Kind.AMBIGUOUS) {
        throw new IllegalArgumentException("a VEK request is for a VCEK or a VLEK");
      }
    }

    /** A VCEK as KDS would issue it: 7 years from {@link #DEFAULT_ISSUED_AT}, serial 0, OCTET STRING hwID. */
    public static VekRequest vcek(SnpProduct product, Bytes hwId, TcbVersion tcb) {
      return new VekRequest(VekExtensions.Kind.VCEK, tcb, hwId, null, defaultProductName(product, true),
          VekExtensions.HwIdEncoding.OCTET_STRING, Validity.of(DEFAULT_ISSUED_AT, Duration.ofDays(7 * 365)),
          BigInteger.ZERO);
    }

    /** A VLEK as a CSP receives it: one year from {@link #DEFAULT_ISSUED_AT}, serial 0. */
    public static VekRequest vlek(SnpProduct product, TcbVersion tcb, String cspId) {
      return new VekRequest(VekExtensions.Kind.VLEK, tcb, null, cspId, defaultProductName(product, false),
          VekExtensions.HwIdEncoding.OCTET_STRING, Validity.of(DEFAULT_ISSUED_AT, YEAR), BigInteger.ZERO);
    }

    public VekRequest withValidity(Validity v) {
      return new VekRequest(kind, tcb, hwId, cspId, productName, hwIdEncoding, v, serial);
    }

    public VekRequest withSerial(BigInteger s) {
      return new VekRequest(kind, tcb, hwId, cspId, productName, hwIdEncoding, validity, s);
    }

    public VekRequest withProductName(String name) {
      return new VekRequest(kind, tcb, hwId, cspId, name, hwIdEncoding, validity, serial);
    }

    public VekRequest withHwIdEncoding(VekExtensions.HwIdEncoding e) {
      return new VekRequest(kind, tcb, hwId, cspId, productName, e, validity, serial);
    }

    /** Same request, but the certificate states {@code certifiedTcb}/{@code certifiedHwId} instead. */
    public VekRequest withCertifiedTcb(TcbVersion certifiedTcb) {
      return new VekRequest(kind, certifiedTcb, hwId, cspId, productName, hwIdEncoding, validity, serial);
    }

    public VekRequest withCertifiedHwId(Bytes certifiedHwId) {
      return new VekRequest(kind, tcb, certifiedHwId, cspId, productName, hwIdEncoding, validity, serial);
    }
  }

  /** The productName KDS puts in VCEKs (with stepping) and VLEKs (without). */
  public static String defaultProductName(SnpProduct product, boolean vcek) {
    if (!vcek) {
      return product.kdsName();
    }
    return switch (product) {
      case MILAN -> "Milan-B0";
      case GENOA -> "Genoa-B1";
      case TURIN -> "Turin-B0";
    };
  }

  /** An issued VCEK or VLEK certificate. */
  public record IssuedVek(VekExtensions.Kind kind, Bytes certificate, VekExtensions extensions, String kdsPath) {}

  private final Config config;
  private final X500Name arkName;
  private final X500Name askName;
  private final X500Name asvkName;
  private byte[] arkDer;
  private byte[] askDer;
  private byte[] asvkDer;
  private byte[] crlDer;

  private EmulatedKds(Config config) {
    this.config = config;
    String p = config.product().kdsName();
    this.arkName = amdName("ARK-" + p, "CA", config.faults().arkCountry().orElse("US"));
    this.askName = amdName("SEV-" + p, config.faults().askSubjectState().orElse("CA"));
    this.asvkName = amdName("SEV-VLEK-" + p);
  }

  public static EmulatedKds create(Config config) {
    return new EmulatedKds(config);
  }

  public Config config() {
    return config;
  }

  public SnpProduct product() {
    return config.product();
  }

  static X500Name amdName(String cn) {
    return amdName(cn, "CA");
  }

  private static X500Name amdName(String cn, String state) {
    return amdName(cn, state, "US");
  }

  private static X500Name amdName(String cn, String state, String country) {
    return new X500NameBuilder(BCStyle.INSTANCE)
        .addRDN(BCStyle.OU, "Engineering")
        .addRDN(BCStyle.C, country)
        .addRDN(BCStyle.L, "Santa Clara")
        .addRDN(BCStyle.ST, state)
        .addRDN(BCStyle.O, "Advanced Micro Devices")
        .addRDN(BCStyle.CN, cn)
        .build();
  }

  private int productIndex() {
    return config.product().ordinal() + 1;
  }

  private AsymmetricCipherKeyPair rsa(AmdKeyRing.RsaRole role) {
    return AmdKeyRing.rsa4096(config.seed(), config.product(), role);
  }

  private DeterministicRandom salt(String what) {
    return new DeterministicRandom(config.seed(), "pss-salt/" + config.product().kdsName() + "/" + what);
  }

  private static SubjectPublicKeyInfo spki(AsymmetricCipherKeyPair kp) {
    try {
      return SubjectPublicKeyInfoFactory.createSubjectPublicKeyInfo(kp.getPublic());
    } catch (IOException e) {
      throw new IllegalStateException("SPKI encoding of a generated key failed", e);
    }
  }

  private static Extension crlDistributionPoint(List<String> urls) {
    DistributionPoint[] dps = new DistributionPoint[urls.size()];
    for (int i = 0; i < dps.length; i++) {
      dps[i] = new DistributionPoint(new DistributionPointName(
          new GeneralNames(new GeneralName(GeneralName.uniformResourceIdentifier, urls.get(i)))), null, null);
    }
    try {
      return new Extension(Extension.cRLDistributionPoints, false, new CRLDistPoint(dps).getEncoded());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private byte[] buildCa(X500Name subject, X500Name issuer, BigInteger serial, Validity validity,
      AsymmetricCipherKeyPair subjectKey, AsymmetricCipherKeyPair issuerKey, boolean root, KdsUrl.Family crlFamily,
      boolean ask) {
    Faults f = config.faults();
    try {
      BcX509ExtensionUtils ext = new BcX509ExtensionUtils();
      X509v3CertificateBuilder b = new X509v3CertificateBuilder(issuer, serial, Date.from(validity.notBefore()),
          Date.from(validity.notAfter()), subject, spki(subjectKey));
      b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(spki(subjectKey)));
      if (root) {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      } else {
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(spki(issuerKey)));
        b.addExtension(Extension.basicConstraints, true, ask && f.askNotCa() ? new BasicConstraints(false) : new BasicConstraints(0));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(ask ? f.askKeyUsage().orElse(KeyUsage.keyCertSign) : KeyUsage.keyCertSign));
      }
      List<String> cdp = List.of(KdsUrl.BASE + KdsUrl.crlPath(crlFamily, config.product()));
      b.addExtension(crlDistributionPoint(ask ? f.askCrlDistributionPoints().orElse(cdp)
          : root ? f.arkCrlDistributionPoints().orElse(cdp) : cdp));
      return b.build(AmdSigning.pssSigner((RSAKeyParameters) issuerKey.getPrivate(), salt(subject.toString())))
          .getEncoded();
    } catch (IOException e) {
      throw new IllegalStateException("certificate encoding failed", e);
    }
  }

  /** The ARK certificate (DER), self-signed. */
  public synchronized Bytes ark() {
    if (arkDer == null) {
      AsymmetricCipherKeyPair ark = rsa(AmdKeyRing.RsaRole.ARK);
      X500Name issuer = config.faults().arkIssuerCountry()
          .map(c -> amdName("ARK-" + config.product().kdsName(), "CA", c)).orElse(arkName);
      arkDer = buildCa(arkName, issuer, BigInteger.valueOf(0x10000L * productIndex()), config.arkValidity(), ark, ark,
          true, KdsUrl.Family.VCEK, false);
    }
    return Bytes.copyOf(arkDer);
  }

  /** The ASK certificate (DER), signed by the ARK; it signs VCEKs. */
  public synchronized Bytes ask() {
    if (askDer == null) {
      // Genoa's live ASK is 0x20002 (0x20001 was revoked in 2022); Milan and Turin use base + 1.
      long askSerial = 0x10000L * productIndex() + (config.product() == SnpProduct.GENOA ? 2 : 1);
      askDer = buildCa(askName, arkName, BigInteger.valueOf(askSerial), config.askValidity(),
          rsa(AmdKeyRing.RsaRole.ASK), rsa(AmdKeyRing.RsaRole.ARK), false, KdsUrl.Family.VCEK, true);
    }
    return Bytes.copyOf(askDer);
  }

  /** The ASVK certificate (DER), signed by the ARK; it signs VLEKs. */
  public synchronized Bytes asvk() {
    if (asvkDer == null) {
      asvkDer = buildCa(asvkName, arkName, BigInteger.valueOf(0x10000L * productIndex() + 0x101), config.asvkValidity(),
          rsa(AmdKeyRing.RsaRole.ASVK), rsa(AmdKeyRing.RsaRole.ARK), false, KdsUrl.Family.VLEK, false);
    }
    return Bytes.copyOf(asvkDer);
  }

  /** {@code cert_chain} as KDS serves it: ASK (or ASVK for VLEK), then ARK, PEM. */
  public String certChainPem(KdsUrl.Family family) {
    Bytes intermediate = family == KdsUrl.Family.VCEK ? ask() : asvk();
    return Pem.certificate(intermediate.toByteArray()) + Pem.certificate(ark().toByteArray());
  }

  /** The ARK-signed CRL (DER) listing {@link Config#revokedSerials()}, revoked at {@code crlThisUpdate}. */
  public synchronized Bytes crl() {
    if (crlDer == null) {
      try {
        X509v2CRLBuilder b = new X509v2CRLBuilder(arkName, Date.from(config.crlThisUpdate()));
        b.setNextUpdate(Date.from(config.crlNextUpdate()));
        for (BigInteger serial : config.revokedSerials()) {
          b.addCRLEntry(serial, Date.from(config.crlThisUpdate()), CRLReason.keyCompromise);
        }
        b.addExtension(Extension.authorityKeyIdentifier, false,
            new BcX509ExtensionUtils().createAuthorityKeyIdentifier(spki(rsa(AmdKeyRing.RsaRole.ARK))));
        b.addExtension(Extension.cRLNumber, false, new org.bouncycastle.asn1.x509.CRLNumber(BigInteger.ONE));
        X509CRLHolder h = b.build(AmdSigning.pssSigner((RSAKeyParameters) rsa(AmdKeyRing.RsaRole.ARK).getPrivate(),
            salt("crl")));
        crlDer = h.getEncoded();
      } catch (IOException e) {
        throw new IllegalStateException("CRL encoding failed", e);
      }
    }
    return Bytes.copyOf(crlDer);
  }

  // ---- VEKs ----

  private String vekLabel(VekExtensions.Kind kind, Bytes hwId, String cspId, TcbVersion tcb) {
    return kind + "/" + config.product().kdsName() + "/" + (kind == VekExtensions.Kind.VCEK ? hwId.hex() : cspId)
        + "/" + Long.toHexString(tcb.raw());
  }

  /**
   * The signer of a chip's VCEK at {@code tcb}: what the emulated firmware signs reports with. The
   * key is derived from (seed, product, hwID, TCB), as AMD derives VCEKs from the chip secret and
   * the TCB.
   */
  public VekSigner vcekSigner(Bytes hwId, TcbVersion tcb) {
    return new VekSigner((ECPrivateKeyParameters) AmdKeyRing.p384(config.seed(),
        vekLabel(VekExtensions.Kind.VCEK, hwId, null, tcb)).getPrivate());
  }

  /** The signer of the VLEK a CSP ({@code cspId}) loaded for {@code tcb}. */
  public VekSigner vlekSigner(String cspId, TcbVersion tcb) {
    return new VekSigner((ECPrivateKeyParameters) AmdKeyRing.p384(config.seed(),
        vekLabel(VekExtensions.Kind.VLEK, null, cspId, tcb)).getPrivate());
  }

  /**
   * Issues the VCEK or VLEK certificate for a key. {@code keyHwId}/{@code keyTcb} select the key
   * (what the firmware signs with); the request says what the certificate states.
   */
  public IssuedVek issue(VekRequest req, Bytes keyHwId, TcbVersion keyTcb) {
    boolean vcek = req.kind() == VekExtensions.Kind.VCEK;
    AsymmetricCipherKeyPair subjectKey = AmdKeyRing.p384(config.seed(),
        vekLabel(req.kind(), vcek ? keyHwId : null, req.cspId(), keyTcb));
    VekExtensions exts = vcek
        ? VekExtensions.vcek(config.product(), req.productName(), req.tcb(), req.hwId(), req.hwIdEncoding())
        : VekExtensions.vlek(config.product(), req.productName(), req.tcb(), req.cspId());
    AsymmetricCipherKeyPair issuerKey = rsa(vcek ? AmdKeyRing.RsaRole.ASK : AmdKeyRing.RsaRole.ASVK);
    X509v3CertificateBuilder b = new X509v3CertificateBuilder(vcek ? askName : asvkName, req.serial(),
        Date.from(req.validity().notBefore()), Date.from(req.validity().notAfter()),
        amdName(vcek ? "SEV-VCEK" : "SEV-VLEK"), spki(subjectKey));
    Faults f = config.faults();
    try {
      for (Extension e : exts.toX509Extensions()) {
        if (f.vekWithoutHwId() && e.getExtnId().equals(VekExtensions.HW_ID)) {
          continue;
        }
        if (f.vekBlSplOctetString() && e.getExtnId().equals(VekExtensions.BL_SPL)) {
          e = new Extension(VekExtensions.BL_SPL, false, new DEROctetString(new byte[] {(byte) req.tcb().bootLoader()}).getEncoded());
        }
        b.addExtension(e);
      }
      byte[] der = b.build(AmdSigning.pssSigner((RSAKeyParameters) issuerKey.getPrivate(),
          salt(vekLabel(req.kind(), req.hwId(), req.cspId(), req.tcb()) + "/" + req.serial()),
          f.vekPssSaltLength().orElse(48))).getEncoded();
      if (f.vekSignatureCorrupted()) {
        // The last byte of the DER is the last byte of the RSASSA-PSS signature.
        der[der.length - 1] ^= 0x01;
      }
      String path = vcek ? KdsUrl.vcekPath(config.product(), req.hwId(), req.tcb()) : null;
      return new IssuedVek(req.kind(), Bytes.copyOf(der), exts, path);
    } catch (IOException e) {
      throw new IllegalStateException("certificate encoding failed", e);
    }
  }

  /** Issues a certificate for the key the request itself names (the normal, matching case). */
  public IssuedVek issue(VekRequest req) {
    return issue(req, req.hwId(), req.tcb());
  }

  /**
   * Writes the KDS tree under {@code kdsRoot} (paths mirror the URLs, see {@link KdsUrl}):
   * {@code vcek/v1/{P}/cert_chain}, {@code vcek/v1/{P}/crl}, {@code vlek/v1/{P}/cert_chain},
   * {@code vlek/v1/{P}/crl}, and every issued VCEK at its {@code vcek/v1/{P}/{hwid}%3F...} file.
   * Returns the files written, relative to {@code kdsRoot}.
   */
  public List<String> writeKdsDirectory(Path kdsRoot, List<IssuedVek> veks) throws IOException {
    List<String> written = new ArrayList<>();
    for (KdsUrl.Family f : KdsUrl.Family.values()) {
      written.add(write(kdsRoot, KdsUrl.certChainPath(f, config.product()), certChainPem(f).getBytes(StandardCharsets.US_ASCII)));
      written.add(write(kdsRoot, KdsUrl.crlPath(f, config.product()), crl().toByteArray()));
    }
    for (IssuedVek v : veks) {
      if (v.kdsPath() != null) {
        written.add(write(kdsRoot, v.kdsPath(), v.certificate().toByteArray()));
      }
    }
    return written;
  }

  private static String write(Path root, String urlPath, byte[] content) throws IOException {
    String rel = KdsUrl.toRelativeFile(urlPath);
    Path file = root.resolve(rel);
    Files.createDirectories(file.getParent());
    Files.write(file, content);
    return rel;
  }

  /** The private half of a VCEK or VLEK, held by the emulated firmware. */
  public static final class VekSigner {
    private final ECPrivateKeyParameters key;

    VekSigner(ECPrivateKeyParameters key) {
      this.key = key;
    }

    /** ECDSA P-384 / SHA-384 over {@code message} (deterministic), in the report's wire form. */
    public SnpEcdsaSignature sign(byte[] message) {
      BigInteger[] rs = AmdSigning.ecdsaP384(key, message);
      return SnpEcdsaSignature.fromIntegers(rs[0], rs[1]);
    }

    @Override
    public String toString() {
      return "VekSigner{P-384}";
    }
  }
}
