package io.guestmem.snp.abi;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;

/**
 * The AMD X.509 extensions of a VCEK or VLEK certificate (AMD VCEK Certificate and KDS Interface
 * spec 57230, "VCEK Certificate Extensions"; evidence-formats.md §1.6). All live under
 * {@code 1.3.6.1.4.1.3704.1}; the value is the DER inside {@code extnValue}:
 *
 * <pre>
 * .1      structVersion  INTEGER (0 Milan/Genoa, 1 Turin)
 * .2      productName1   IA5String ("Milan-B0", "Genoa", "Turin-B0", ...)
 * .3.1    blSPL          INTEGER      .3.4-.3.7 spl_4..spl_7 (reserved) INTEGER
 * .3.2    teeSPL         INTEGER      .3.8      ucodeSPL INTEGER (may have 2 content bytes)
 * .3.3    snpSPL         INTEGER      .3.9      fmcSPL   INTEGER (Turin+)
 * .4      hwID           VCEK only: 64 (Turin: 8) raw bytes without a DER tag (legacy), or an
 *                        OCTET STRING wrapping them (newer certificates); both are accepted
 * .5      cspId          VLEK only: IA5String, e.g. "CN=cc-us-east-2.amazonaws.com"
 * </pre>
 *
 * Decoding uses BouncyCastle ASN.1 only. Every SPL must be an INTEGER in 0..255; a missing
 * mandatory extension (structVersion, productName, blSPL, teeSPL, snpSPL, ucodeSPL), an
 * undecodable value or a hwID of another length is a {@link MalformedLayoutException} naming the
 * OID. Cross-checks (VCEK has a hwID and no cspId, TCB equals REPORTED_TCB, ...) are the
 * verifier's; {@link #kind()} only says which shape the extensions have.
 */
public record VekExtensions(
    int structVersion,
    String productName,
    int blSpl,
    int teeSpl,
    int snpSpl,
    OptionalInt spl4,
    OptionalInt spl5,
    OptionalInt spl6,
    OptionalInt spl7,
    int ucodeSpl,
    OptionalInt fmcSpl,
    Optional<Bytes> hwId,
    Optional<HwIdEncoding> hwIdEncoding,
    Optional<String> cspId) {

  public static final String OID_BASE = "1.3.6.1.4.1.3704.1";
  public static final ASN1ObjectIdentifier STRUCT_VERSION = new ASN1ObjectIdentifier(OID_BASE + ".1");
  public static final ASN1ObjectIdentifier PRODUCT_NAME = new ASN1ObjectIdentifier(OID_BASE + ".2");
  public static final ASN1ObjectIdentifier BL_SPL = new ASN1ObjectIdentifier(OID_BASE + ".3.1");
  public static final ASN1ObjectIdentifier TEE_SPL = new ASN1ObjectIdentifier(OID_BASE + ".3.2");
  public static final ASN1ObjectIdentifier SNP_SPL = new ASN1ObjectIdentifier(OID_BASE + ".3.3");
  public static final ASN1ObjectIdentifier SPL_4 = new ASN1ObjectIdentifier(OID_BASE + ".3.4");
  public static final ASN1ObjectIdentifier SPL_5 = new ASN1ObjectIdentifier(OID_BASE + ".3.5");
  public static final ASN1ObjectIdentifier SPL_6 = new ASN1ObjectIdentifier(OID_BASE + ".3.6");
  public static final ASN1ObjectIdentifier SPL_7 = new ASN1ObjectIdentifier(OID_BASE + ".3.7");
  public static final ASN1ObjectIdentifier UCODE_SPL = new ASN1ObjectIdentifier(OID_BASE + ".3.8");
  public static final ASN1ObjectIdentifier FMC_SPL = new ASN1ObjectIdentifier(OID_BASE + ".3.9");
  public static final ASN1ObjectIdentifier HW_ID = new ASN1ObjectIdentifier(OID_BASE + ".4");
  public static final ASN1ObjectIdentifier CSP_ID = new ASN1ObjectIdentifier(OID_BASE + ".5");

  /** How the hwID extension value is encoded. */
  public enum HwIdEncoding {
    /** The bytes directly as extnValue contents, no DER tag (older KDS certificates). */
    RAW,
    /** An OCTET STRING ({@code 04 40 ...}, Turin {@code 04 08 ...}) wrapping the bytes. */
    OCTET_STRING
  }

  /** Which endorsement key shape the extensions have. */
  public enum Kind {
    /** hwID present, cspId absent. */
    VCEK,
    /** cspId present, hwID absent. */
    VLEK,
    /** Both or neither: not a well-formed VCEK or VLEK. */
    AMBIGUOUS
  }

  public VekExtensions {
    Objects.requireNonNull(productName, "productName");
    for (int v : new int[] {blSpl, teeSpl, snpSpl, ucodeSpl}) {
      if (v < 0 || v > 255) {
        throw new IllegalArgumentException("SPL values are 0..255");
      }
    }
    if (hwId.isPresent() != hwIdEncoding.isPresent()) {
      throw new IllegalArgumentException("hwId and hwIdEncoding go together");
    }
  }

  /** The extensions of a VCEK for {@code product} at {@code tcb}, as KDS issues them. */
  public static VekExtensions vcek(SnpProduct product, String productName, TcbVersion tcb, Bytes hwId,
      HwIdEncoding encoding) {
    if (hwId.length() != product.hwIdLength()) {
      throw new IllegalArgumentException(product.kdsName() + " hwID is " + product.hwIdLength() + " bytes");
    }
    return forTcb(product, productName, tcb, Optional.of(hwId), Optional.of(encoding), Optional.empty());
  }

  /** The extensions of a VLEK for {@code product} at {@code tcb}, with the CSP's id. */
  public static VekExtensions vlek(SnpProduct product, String productName, TcbVersion tcb, String cspId) {
    return forTcb(product, productName, tcb, Optional.empty(), Optional.empty(), Optional.of(cspId));
  }

  private static VekExtensions forTcb(SnpProduct product, String productName, TcbVersion tcb,
      Optional<Bytes> hwId, Optional<HwIdEncoding> enc, Optional<String> cspId) {
    TcbVersion t = tcb.withLayout(product.tcbLayout());
    long raw = t.raw();
    if (product.tcbLayout() == TcbVersion.Layout.TURIN) {
      return new VekExtensions(1, productName, t.bootLoader(), t.tee(), t.snp(), OptionalInt.empty(),
          OptionalInt.of(byteAt(raw, 4)), OptionalInt.of(byteAt(raw, 5)), OptionalInt.of(byteAt(raw, 6)),
          t.microcode(), OptionalInt.of(t.fmc()), hwId, enc, cspId);
    }
    return new VekExtensions(0, productName, t.bootLoader(), t.tee(), t.snp(), OptionalInt.of(byteAt(raw, 2)),
        OptionalInt.of(byteAt(raw, 3)), OptionalInt.of(byteAt(raw, 4)), OptionalInt.of(byteAt(raw, 5)),
        t.microcode(), OptionalInt.empty(), hwId, enc, cspId);
  }

  private static int byteAt(long raw, int i) {
    return (int) (raw >>> (8 * i)) & 0xFF;
  }

  /** The product named by productName, if this library knows it. */
  public Optional<SnpProduct> product() {
    return SnpProduct.fromName(productName);
  }

  /** The TCB layout: the product's, or by structVersion (1 = TURIN) for an unknown product. */
  public TcbVersion.Layout tcbLayout() {
    return product().map(SnpProduct::tcbLayout)
        .orElse(structVersion >= 1 ? TcbVersion.Layout.TURIN : TcbVersion.Layout.MILAN_GENOA);
  }

  /**
   * The TCB_VERSION these SPLs describe, in {@link #tcbLayout()}, including the reserved spl_4..7
   * bytes (absent ones as 0), so it compares with a report's REPORTED_TCB as a whole u64.
   */
  public TcbVersion tcbVersion() {
    long raw;
    if (tcbLayout() == TcbVersion.Layout.TURIN) {
      raw = fmcSpl.orElse(0) | (long) blSpl << 8 | (long) teeSpl << 16 | (long) snpSpl << 24
          | (long) spl5.orElse(0) << 32 | (long) spl6.orElse(0) << 40 | (long) spl7.orElse(0) << 48
          | (long) ucodeSpl << 56;
    } else {
      raw = blSpl | (long) teeSpl << 8 | (long) spl4.orElse(0) << 16 | (long) spl5.orElse(0) << 24
          | (long) spl6.orElse(0) << 32 | (long) spl7.orElse(0) << 40 | (long) snpSpl << 48
          | (long) ucodeSpl << 56;
    }
    return new TcbVersion(tcbLayout(), raw);
  }

  public Kind kind() {
    if (hwId.isPresent() && cspId.isEmpty()) {
      return Kind.VCEK;
    }
    if (cspId.isPresent() && hwId.isEmpty()) {
      return Kind.VLEK;
    }
    return Kind.AMBIGUOUS;
  }

  // ---- decoding ----

  /** Decodes the extensions of a DER certificate. */
  public static VekExtensions fromCertificate(byte[] certificateDer) throws MalformedLayoutException {
    Extensions exts;
    try {
      ASN1Primitive p = ASN1Primitive.fromByteArray(certificateDer);
      Certificate cert = p == null ? null : Certificate.getInstance(p);
      if (cert == null) {
        throw new MalformedLayoutException("Certificate", -1, "not a DER X.509 certificate: empty input");
      }
      exts = cert.getTBSCertificate().getExtensions();
    } catch (IOException | RuntimeException e) {
      throw new MalformedLayoutException("Certificate", -1, "not a DER X.509 certificate: " + e.getMessage(), e);
    }
    if (exts == null) {
      throw new MalformedLayoutException("extensions", -1, "certificate has no extensions");
    }
    return fromExtensions(exts);
  }

  /** Decodes the AMD extensions out of an X.509 {@code Extensions} value. */
  public static VekExtensions fromExtensions(Extensions exts) throws MalformedLayoutException {
    int structVersion = requiredInt(exts, STRUCT_VERSION, "structVersion", Integer.MAX_VALUE);
    String productName = ia5(exts, PRODUCT_NAME, "productName").orElseThrow(() -> missing(PRODUCT_NAME, "productName"));
    int bl = requiredInt(exts, BL_SPL, "blSPL", 255);
    int tee = requiredInt(exts, TEE_SPL, "teeSPL", 255);
    int snp = requiredInt(exts, SNP_SPL, "snpSPL", 255);
    int ucode = requiredInt(exts, UCODE_SPL, "ucodeSPL", 255);
    OptionalInt s4 = optionalInt(exts, SPL_4, "spl_4");
    OptionalInt s5 = optionalInt(exts, SPL_5, "spl_5");
    OptionalInt s6 = optionalInt(exts, SPL_6, "spl_6");
    OptionalInt s7 = optionalInt(exts, SPL_7, "spl_7");
    OptionalInt fmc = optionalInt(exts, FMC_SPL, "fmcSPL");
    Optional<String> csp = ia5(exts, CSP_ID, "cspId");
    Optional<Bytes> hw = Optional.empty();
    Optional<HwIdEncoding> enc = Optional.empty();
    Extension hwExt = exts.getExtension(HW_ID);
    if (hwExt != null) {
      byte[] v = hwExt.getExtnValue().getOctets();
      if (v.length == 64 || v.length == 8) {
        hw = Optional.of(Bytes.copyOf(v));
        enc = Optional.of(HwIdEncoding.RAW);
      } else if ((v.length == 66 && v[0] == 0x04 && v[1] == 0x40) || (v.length == 10 && v[0] == 0x04 && v[1] == 0x08)) {
        hw = Optional.of(Bytes.copyOf(v, 2, v.length - 2));
        enc = Optional.of(HwIdEncoding.OCTET_STRING);
      } else {
        throw new MalformedLayoutException("hwID", -1, "extension " + HW_ID + " (hwID) is " + v.length
            + " bytes: neither 64/8 raw bytes nor an OCTET STRING of 64/8 bytes");
      }
    }
    return new VekExtensions(structVersion, productName, bl, tee, snp, s4, s5, s6, s7, ucode, fmc, hw, enc, csp);
  }

  private static MalformedLayoutException missing(ASN1ObjectIdentifier oid, String name) {
    return new MalformedLayoutException(name, -1, "extension " + oid + " (" + name + ") is missing");
  }

  private static ASN1Primitive value(Extension ext, String name) throws MalformedLayoutException {
    try {
      return ASN1Primitive.fromByteArray(ext.getExtnValue().getOctets());
    } catch (IOException | RuntimeException e) {
      throw new MalformedLayoutException(name, -1, "extension " + ext.getExtnId() + " (" + name
          + ") is not DER: " + e.getMessage(), e);
    }
  }

  private static int requiredInt(Extensions exts, ASN1ObjectIdentifier oid, String name, int max)
      throws MalformedLayoutException {
    OptionalInt v = intValue(exts, oid, name, max);
    if (v.isEmpty()) {
      throw missing(oid, name);
    }
    return v.getAsInt();
  }

  private static OptionalInt optionalInt(Extensions exts, ASN1ObjectIdentifier oid, String name)
      throws MalformedLayoutException {
    return intValue(exts, oid, name, 255);
  }

  private static OptionalInt intValue(Extensions exts, ASN1ObjectIdentifier oid, String name, int max)
      throws MalformedLayoutException {
    Extension ext = exts.getExtension(oid);
    if (ext == null) {
      return OptionalInt.empty();
    }
    ASN1Primitive p = value(ext, name);
    if (!(p instanceof ASN1Integer i)) {
      throw new MalformedLayoutException(name, -1, "extension " + oid + " (" + name + ") is not an INTEGER");
    }
    BigInteger b = i.getValue();
    if (b.signum() < 0 || b.compareTo(BigInteger.valueOf(max)) > 0) {
      throw new MalformedLayoutException(name, -1, "extension " + oid + " (" + name + ") = " + b
          + " is outside 0.." + max);
    }
    return OptionalInt.of(b.intValue());
  }

  private static Optional<String> ia5(Extensions exts, ASN1ObjectIdentifier oid, String name)
      throws MalformedLayoutException {
    Extension ext = exts.getExtension(oid);
    if (ext == null) {
      return Optional.empty();
    }
    ASN1Primitive p = value(ext, name);
    if (!(p instanceof DERIA5String s)) {
      throw new MalformedLayoutException(name, -1, "extension " + oid + " (" + name + ") is not an IA5String");
    }
    return Optional.of(s.getString());
  }

  // ---- encoding ----

  /**
   * The extensions as a KDS certificate carries them (non-critical, in the order real certificates
   * list them: structVersion, productName, then for structVersion 0 blSPL, teeSPL, spl_4..7,
   * snpSPL, and for structVersion 1 fmcSPL, blSPL, teeSPL, snpSPL, spl_5..7; then ucodeSPL and
   * hwID or cspId).
   */
  public List<Extension> toX509Extensions() {
    List<Extension> out = new ArrayList<>();
    try {
      out.add(ext(STRUCT_VERSION, new ASN1Integer(structVersion)));
      out.add(ext(PRODUCT_NAME, new DERIA5String(productName)));
      if (fmcSpl.isPresent()) {
        out.add(ext(FMC_SPL, new ASN1Integer(fmcSpl.getAsInt())));
      }
      out.add(ext(BL_SPL, new ASN1Integer(blSpl)));
      out.add(ext(TEE_SPL, new ASN1Integer(teeSpl)));
      // Real structVersion 0 certificates list snpSPL after spl_4..7; structVersion 1 before them.
      boolean snpFirst = structVersion >= 1;
      if (snpFirst) {
        out.add(ext(SNP_SPL, new ASN1Integer(snpSpl)));
      }
      addOpt(out, SPL_4, spl4);
      addOpt(out, SPL_5, spl5);
      addOpt(out, SPL_6, spl6);
      addOpt(out, SPL_7, spl7);
      if (!snpFirst) {
        out.add(ext(SNP_SPL, new ASN1Integer(snpSpl)));
      }
      out.add(ext(UCODE_SPL, new ASN1Integer(ucodeSpl)));
      if (hwId.isPresent()) {
        byte[] value = hwIdEncoding.orElseThrow() == HwIdEncoding.RAW
            ? hwId.get().toByteArray()
            : new DEROctetString(hwId.get().toByteArray()).getEncoded();
        out.add(new Extension(HW_ID, false, new DEROctetString(value)));
      }
      if (cspId.isPresent()) {
        out.add(ext(CSP_ID, new DERIA5String(cspId.get())));
      }
    } catch (IOException e) {
      throw new IllegalStateException("DER encoding failed", e);
    }
    return List.copyOf(out);
  }

  private static void addOpt(List<Extension> out, ASN1ObjectIdentifier oid, OptionalInt v) throws IOException {
    if (v.isPresent()) {
      out.add(ext(oid, new ASN1Integer(v.getAsInt())));
    }
  }

  private static Extension ext(ASN1ObjectIdentifier oid, ASN1Encodable value) throws IOException {
    return new Extension(oid, false, ASN1OctetString.getInstance(new DEROctetString(value.toASN1Primitive().getEncoded())));
  }
}
