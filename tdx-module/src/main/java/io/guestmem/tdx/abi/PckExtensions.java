package io.guestmem.tdx.abi;

import java.io.IOException;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.asn1.ASN1Boolean;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.ASN1Enumerated;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;

/**
 * The SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1; Intel SGX PCK Certificate
 * and CRL Profile spec, "SGX Extensions"), decoded with BouncyCastle ASN.1. The extension value
 * is a SEQUENCE of SEQUENCE {OID, value}:
 *
 * <pre>
 * .1  PPID                     OCTET STRING (16)
 * .2  TCB                      SEQUENCE { .2.1–.2.16 SGX TCB component SVNs INTEGER,
 *                                         .2.17 PCESVN INTEGER, .2.18 CPUSVN OCTET STRING (16) }
 * .3  PCE-ID                   OCTET STRING (2)
 * .4  FMSPC                    OCTET STRING (6)
 * .5  SGX type                 ENUMERATED (0 Standard, 1 Scalable, 2 Scalable with integrity)
 * .6  platform instance ID     OCTET STRING (16)            Platform CA certificates only
 * .7  configuration            SEQUENCE { .7.1 dynamicPlatform, .7.2 cachedKeys,
 *                                         .7.3 smtEnabled: BOOLEAN }   Platform CA only
 * </pre>
 *
 * Entries .1–.5 are required; unknown entries are ignored.
 */
public record PckExtensions(
    Bytes ppid,
    Tcb tcb,
    Bytes pceId,
    Bytes fmspc,
    int sgxType,
    Optional<Bytes> platformInstanceId,
    Optional<Configuration> configuration) {
  public static final String SGX_EXTENSIONS_OID = "1.2.840.113741.1.13.1";
  public static final int SGX_TYPE_STANDARD = 0;
  public static final int SGX_TYPE_SCALABLE = 1;
  public static final int SGX_TYPE_SCALABLE_WITH_INTEGRITY = 2;

  public PckExtensions {
    LayoutWriter.checkLength(ppid, 16, "PPID");
    LayoutWriter.checkLength(pceId, 2, "PCE-ID");
    LayoutWriter.checkLength(fmspc, 6, "FMSPC");
  }

  /** The TCB entry: 16 SGX TCB component SVNs, PCESVN and CPUSVN. */
  public record Tcb(List<Integer> sgxTcbComponents, int pceSvn, Bytes cpuSvn) {
    public Tcb {
      sgxTcbComponents = List.copyOf(sgxTcbComponents);
      if (sgxTcbComponents.size() != 16) {
        throw new IllegalArgumentException("16 SGX TCB components required");
      }
      LayoutWriter.checkLength(cpuSvn, 16, "CPUSVN");
    }
  }

  /** The configuration entry of Platform CA-issued PCK certificates; absent flags are empty. */
  public record Configuration(Optional<Boolean> dynamicPlatform, Optional<Boolean> cachedKeys, Optional<Boolean> smtEnabled) {}

  /** PCE-ID as an unsigned integer, read as the big-endian bytes of the extension. */
  public int pceIdValue() {
    return (pceId.get(0) & 0xff) << 8 | (pceId.get(1) & 0xff);
  }

  /** DER of the extension value (what {@link #parse} reads), entries in OID order. */
  public byte[] toDer() {
    String base = SGX_EXTENSIONS_OID + ".";
    ASN1EncodableVector top = new ASN1EncodableVector();
    top.add(entry(base + "1", new DEROctetString(ppid.toByteArray())));
    ASN1EncodableVector t = new ASN1EncodableVector();
    for (int i = 0; i < 16; i++) {
      t.add(entry(base + "2." + (i + 1), new ASN1Integer(tcb.sgxTcbComponents().get(i))));
    }
    t.add(entry(base + "2.17", new ASN1Integer(tcb.pceSvn())));
    t.add(entry(base + "2.18", new DEROctetString(tcb.cpuSvn().toByteArray())));
    top.add(entry(base + "2", new DERSequence(t)));
    top.add(entry(base + "3", new DEROctetString(pceId.toByteArray())));
    top.add(entry(base + "4", new DEROctetString(fmspc.toByteArray())));
    top.add(entry(base + "5", new ASN1Enumerated(sgxType)));
    platformInstanceId.ifPresent(id -> top.add(entry(base + "6", new DEROctetString(id.toByteArray()))));
    configuration.ifPresent(
        c -> {
          ASN1EncodableVector cv = new ASN1EncodableVector();
          c.dynamicPlatform().ifPresent(b -> cv.add(entry(base + "7.1", ASN1Boolean.getInstance(b.booleanValue()))));
          c.cachedKeys().ifPresent(b -> cv.add(entry(base + "7.2", ASN1Boolean.getInstance(b.booleanValue()))));
          c.smtEnabled().ifPresent(b -> cv.add(entry(base + "7.3", ASN1Boolean.getInstance(b.booleanValue()))));
          top.add(entry(base + "7", new DERSequence(cv)));
        });
    try {
      return new DERSequence(top).getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new IllegalStateException("DER encoding of in-memory values cannot fail", e);
    }
  }

  private static DERSequence entry(String oid, ASN1Encodable value) {
    return new DERSequence(new ASN1Encodable[] {new ASN1ObjectIdentifier(oid), value});
  }

  /** Decodes the SGX extension of {@code cert}. */
  public static PckExtensions fromCertificate(X509Certificate cert) throws MalformedLayoutException {
    byte[] ext = cert.getExtensionValue(SGX_EXTENSIONS_OID);
    if (ext == null) {
      throw new MalformedLayoutException("pck_certificate.sgx_extensions", 0, "certificate has no SGX extension " + SGX_EXTENSIONS_OID);
    }
    byte[] inner;
    try {
      inner = ASN1OctetString.getInstance(ASN1Primitive.fromByteArray(ext)).getOctets();
    } catch (IOException | RuntimeException e) {
      throw new MalformedLayoutException("pck_certificate.sgx_extensions", 0, "extension value is not an OCTET STRING", e);
    }
    return parse(inner);
  }

  /** Decodes the DER SEQUENCE that is the extension's value. */
  public static PckExtensions parse(byte[] der) throws MalformedLayoutException {
    Map<String, ASN1Encodable> top = entries(der, "sgx_extensions");
    String base = SGX_EXTENSIONS_OID + ".";
    Bytes ppid = octets(top, base + "1", 16, "sgx_extensions.ppid");
    Map<String, ASN1Encodable> tcbEntries = entries(required(top, base + "2", "sgx_extensions.tcb"), "sgx_extensions.tcb");
    List<Integer> comps = new ArrayList<>();
    for (int i = 1; i <= 16; i++) {
      comps.add(integer(tcbEntries, base + "2." + i, "sgx_extensions.tcb.comp" + String.format("%02d", i), 255));
    }
    int pceSvn = integer(tcbEntries, base + "2.17", "sgx_extensions.tcb.pcesvn", 65535);
    Bytes cpuSvn = octets(tcbEntries, base + "2.18", 16, "sgx_extensions.tcb.cpusvn");
    Bytes pceId = octets(top, base + "3", 2, "sgx_extensions.pce_id");
    Bytes fmspc = octets(top, base + "4", 6, "sgx_extensions.fmspc");
    int sgxType;
    try {
      sgxType = ASN1Enumerated.getInstance(required(top, base + "5", "sgx_extensions.sgx_type")).intValueExact();
    } catch (RuntimeException e) {
      throw new MalformedLayoutException("sgx_extensions.sgx_type", 0, "not an ENUMERATED", e);
    }
    Optional<Bytes> instanceId =
        top.containsKey(base + "6") ? Optional.of(octets(top, base + "6", 16, "sgx_extensions.platform_instance_id")) : Optional.empty();
    Optional<Configuration> config = Optional.empty();
    if (top.containsKey(base + "7")) {
      Map<String, ASN1Encodable> c = entries(top.get(base + "7"), "sgx_extensions.configuration");
      config =
          Optional.of(
              new Configuration(
                  bool(c, base + "7.1", "sgx_extensions.configuration.dynamic_platform"),
                  bool(c, base + "7.2", "sgx_extensions.configuration.cached_keys"),
                  bool(c, base + "7.3", "sgx_extensions.configuration.smt_enabled")));
    }
    return new PckExtensions(ppid, new Tcb(comps, pceSvn, cpuSvn), pceId, fmspc, sgxType, instanceId, config);
  }

  private static Map<String, ASN1Encodable> entries(byte[] der, String field) throws MalformedLayoutException {
    ASN1Primitive p;
    try {
      p = ASN1Primitive.fromByteArray(der);
    } catch (IOException | RuntimeException e) {
      throw new MalformedLayoutException(field, 0, "not DER", e);
    }
    return entries(p, field);
  }

  private static Map<String, ASN1Encodable> entries(ASN1Encodable value, String field) throws MalformedLayoutException {
    Map<String, ASN1Encodable> out = new HashMap<>();
    try {
      for (ASN1Encodable e : ASN1Sequence.getInstance(value)) {
        ASN1Sequence pair = ASN1Sequence.getInstance(e);
        if (pair.size() != 2) {
          throw new MalformedLayoutException(field, 0, "entry is not SEQUENCE {OID, value}");
        }
        String oid = ASN1ObjectIdentifier.getInstance(pair.getObjectAt(0)).getId();
        if (out.put(oid, pair.getObjectAt(1)) != null) {
          throw new MalformedLayoutException(field, 0, "duplicate entry " + oid);
        }
      }
    } catch (RuntimeException e) {
      throw new MalformedLayoutException(field, 0, "not a SEQUENCE of SEQUENCE {OID, value}", e);
    }
    return out;
  }

  private static ASN1Encodable required(Map<String, ASN1Encodable> m, String oid, String field) throws MalformedLayoutException {
    ASN1Encodable v = m.get(oid);
    if (v == null) {
      throw new MalformedLayoutException(field, 0, "missing entry " + oid);
    }
    return v;
  }

  private static Bytes octets(Map<String, ASN1Encodable> m, String oid, int size, String field) throws MalformedLayoutException {
    byte[] b;
    try {
      b = ASN1OctetString.getInstance(required(m, oid, field)).getOctets();
    } catch (RuntimeException e) {
      throw new MalformedLayoutException(field, 0, "not an OCTET STRING", e);
    }
    if (b.length != size) {
      throw new MalformedLayoutException(field, 0, "is " + b.length + " bytes, expected " + size);
    }
    return Bytes.of(b);
  }

  private static int integer(Map<String, ASN1Encodable> m, String oid, String field, int max) throws MalformedLayoutException {
    BigInteger v;
    try {
      v = ASN1Integer.getInstance(required(m, oid, field)).getValue();
    } catch (RuntimeException e) {
      throw new MalformedLayoutException(field, 0, "not an INTEGER", e);
    }
    if (v.signum() < 0 || v.compareTo(BigInteger.valueOf(max)) > 0) {
      throw new MalformedLayoutException(field, 0, "value " + v + " outside 0.." + max);
    }
    return v.intValue();
  }

  private static Optional<Boolean> bool(Map<String, ASN1Encodable> m, String oid, String field) throws MalformedLayoutException {
    if (!m.containsKey(oid)) {
      return Optional.empty();
    }
    try {
      return Optional.of(ASN1Boolean.getInstance(m.get(oid)).isTrue());
    } catch (RuntimeException e) {
      throw new MalformedLayoutException(field, 0, "not a BOOLEAN", e);
    }
  }
}
