package io.guestmem.snp.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.OptionalInt;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERUTF8String;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.junit.jupiter.api.Test;

/** VCEK/VLEK extensions as the MANIFEST describes them (§2, §4.3, §5.9, §5.10), and bad encodings. */
class VekExtensionsTest {

  @Test
  void milanVcek_structVersion0_productMilanB0_64ByteHwId() throws Exception {
    VekExtensions v = VekExtensions.fromCertificate(Vectors.read("virtee-sev/vcek_milan.der",
        "3bbfb6ee259f75a95d13168cfdf2e034181bb93c7c016825731cbe8ea16c95e1"));
    assertThat(v.structVersion()).isZero();
    assertThat(v.productName()).isEqualTo("Milan-B0");
    assertThat(v.product()).contains(SnpProduct.MILAN);
    assertThat(v.hwId()).hasValueSatisfying(h -> assertThat(h.length()).isEqualTo(64));
    assertThat(v.cspId()).isEmpty();
    assertThat(v.fmcSpl()).isEmpty();
    assertThat(v.kind()).isEqualTo(VekExtensions.Kind.VCEK);
    assertThat(v.tcbLayout()).isEqualTo(TcbVersion.Layout.MILAN_GENOA);
  }

  @Test
  void turinVcek_structVersion1_fmcSpl_eightByteHwId_noSpl4() throws Exception {
    VekExtensions v = VekExtensions.fromCertificate(Vectors.read("virtee-sev/vcek_turin.der",
        "a4a6abff1c435f214cfbc35e4dadae55e467454d53dc417251b3ff1a169fd7fb"));
    assertThat(v.structVersion()).isEqualTo(1);
    assertThat(v.product()).contains(SnpProduct.TURIN);
    assertThat(v.fmcSpl()).isPresent();
    assertThat(v.spl4()).isEmpty();
    assertThat(v.hwId()).hasValueSatisfying(h -> assertThat(h.length()).isEqualTo(8));
    assertThat(v.tcbLayout()).isEqualTo(TcbVersion.Layout.TURIN);
    assertThat(v.tcbVersion().fmc()).isEqualTo(v.fmcSpl().getAsInt());
  }

  @Test
  void awsVlek_hasCspIdAndNoHwId() throws Exception {
    VekExtensions v = VekExtensions.fromCertificate(Vectors.read("trustee/snp/test-vlek.der",
        "296a7c99053efe4b1e480bb76d421fd24633d245f3e34708399a18a7713b7a7c"));
    assertThat(v.kind()).isEqualTo(VekExtensions.Kind.VLEK);
    assertThat(v.cspId()).contains("CN=cc-us-east-2.amazonaws.com");
    assertThat(v.productName()).isEqualTo("Milan");
    assertThat(v.hwId()).isEmpty();
  }

  @Test
  void hwId_legacyRawAndNewOctetStringEncodings_bothDecodeTo64Bytes() throws Exception {
    VekExtensions legacy = VekExtensions.fromCertificate(Vectors.read("trustee/snp/test-vcek-invalid-legacy.der",
        "cee96955153de19a8c5af84d9d8c9452fa8d6bdfc2fb897972e43cc5051ccbf4"));
    VekExtensions wrapped = VekExtensions.fromCertificate(Vectors.read("trustee/snp/test-vcek-invalid-new.der",
        "f875ab6fb518d27b07897528f320346abe1a152c0d731d15e42092339acce889"));
    assertThat(legacy.hwIdEncoding()).contains(VekExtensions.HwIdEncoding.RAW);
    assertThat(wrapped.hwIdEncoding()).contains(VekExtensions.HwIdEncoding.OCTET_STRING);
    // MANIFEST §4.3: both carry the placeholder hwID 00 01 ... 3f.
    byte[] expected = new byte[64];
    for (int i = 0; i < 64; i++) {
      expected[i] = (byte) i;
    }
    assertThat(legacy.hwId()).contains(Bytes.copyOf(expected));
    assertThat(wrapped.hwId()).contains(Bytes.copyOf(expected));
  }

  @Test
  void ucodeSplWithTwoContentBytes_decodes() throws Exception {
    Extensions e = new Extensions(exts(
        new Extension(VekExtensions.UCODE_SPL, false, new DEROctetString(new byte[] {0x02, 0x02, 0x00, (byte) 0xD9}))));
    assertThat(VekExtensions.fromExtensions(e).ucodeSpl()).isEqualTo(217);
  }

  @Test
  void encodeThenDecode_roundTrips_forBothProductsAndBothHwIdEncodings() throws Exception {
    for (VekExtensions.HwIdEncoding enc : VekExtensions.HwIdEncoding.values()) {
      VekExtensions milan = VekExtensions.vcek(SnpProduct.MILAN, "Milan-B0",
          TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 4, 0, 23, 213), Bytes.fromHex("ab".repeat(64)), enc);
      assertThat(VekExtensions.fromExtensions(new Extensions(milan.toX509Extensions().toArray(Extension[]::new))))
          .isEqualTo(milan);
      VekExtensions turin = VekExtensions.vcek(SnpProduct.TURIN, "Turin-B0",
          TcbVersion.of(TcbVersion.Layout.TURIN, 1, 2, 3, 4, 5), Bytes.fromHex("cd".repeat(8)), enc);
      VekExtensions back = VekExtensions.fromExtensions(new Extensions(turin.toX509Extensions().toArray(Extension[]::new)));
      assertThat(back).isEqualTo(turin);
      assertThat(back.tcbVersion()).isEqualTo(TcbVersion.of(TcbVersion.Layout.TURIN, 1, 2, 3, 4, 5));
    }
    VekExtensions vlek = VekExtensions.vlek(SnpProduct.GENOA, "Genoa",
        TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 9, 0, 21, 72), "CN=emulated-csp");
    assertThat(VekExtensions.fromExtensions(new Extensions(vlek.toX509Extensions().toArray(Extension[]::new))))
        .isEqualTo(vlek);
  }

  // ---- garbage ----

  private static Extension[] exts(Extension... override) throws Exception {
    VekExtensions base = VekExtensions.vcek(SnpProduct.MILAN, "Milan-B0",
        TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 1, 0, 2, 3), Bytes.zeros(64), VekExtensions.HwIdEncoding.RAW);
    List<Extension> list = new java.util.ArrayList<>(base.toX509Extensions());
    for (Extension o : override) {
      list.removeIf(x -> x.getExtnId().equals(o.getExtnId()));
      list.add(o);
    }
    return list.toArray(Extension[]::new);
  }

  private static void assertMalformed(Extension bad, String field, String message) {
    assertThatThrownBy(() -> VekExtensions.fromExtensions(new Extensions(exts(bad))))
        .isInstanceOf(MalformedLayoutException.class)
        .hasMessageContaining(bad.getExtnId().getId())
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(((MalformedLayoutException) e).field()).isEqualTo(field));
  }

  @Test
  void splThatIsNotAnInteger_fails() throws Exception {
    assertMalformed(new Extension(VekExtensions.BL_SPL, false, new DEROctetString(new DERIA5String("2"))), "blSPL",
        "is not an INTEGER");
  }

  @Test
  void splOutOfRange_fails() throws Exception {
    assertMalformed(new Extension(VekExtensions.SNP_SPL, false, new DEROctetString(new ASN1Integer(256))), "snpSPL",
        "outside 0..255");
    assertMalformed(new Extension(VekExtensions.TEE_SPL, false, new DEROctetString(new ASN1Integer(-1))), "teeSPL",
        "outside 0..255");
  }

  @Test
  void notDer_fails() {
    assertMalformed(new Extension(VekExtensions.UCODE_SPL, false, new DEROctetString(new byte[] {0x02, 0x05, 0x01})),
        "ucodeSPL", "is not DER");
  }

  @Test
  void productNameNotIa5_fails() throws Exception {
    assertMalformed(new Extension(VekExtensions.PRODUCT_NAME, false, new DEROctetString(new DERUTF8String("Milan"))),
        "productName", "not an IA5String");
  }

  @Test
  void hwIdOfAnotherLength_fails() {
    assertMalformed(new Extension(VekExtensions.HW_ID, false, new DEROctetString(new byte[63])), "hwID", "63 bytes");
  }

  @Test
  void missingMandatoryExtension_fails() {
    Extension[] all = VekExtensions.vlek(SnpProduct.MILAN, "Milan", new TcbVersion(TcbVersion.Layout.MILAN_GENOA, 0),
        "CN=x").toX509Extensions().stream().filter(e -> !e.getExtnId().equals(VekExtensions.SNP_SPL))
        .toArray(Extension[]::new);
    assertThatThrownBy(() -> VekExtensions.fromExtensions(new Extensions(all)))
        .isInstanceOf(MalformedLayoutException.class).hasMessageContaining("(snpSPL) is missing");
  }

  @Test
  void notACertificate_fails() {
    assertThatThrownBy(() -> VekExtensions.fromCertificate(new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}))
        .isInstanceOf(MalformedLayoutException.class).hasMessageContaining("not a DER X.509 certificate");
  }

  @Property(tries = 300)
  void randomExtensionValues_neverEscapeAsUncheckedExceptions(@ForAll byte[] value, @ForAll boolean hw) {
    ASN1ObjectIdentifier oid = hw ? VekExtensions.HW_ID : VekExtensions.BL_SPL;
    try {
      VekExtensions.fromExtensions(new Extensions(exts(new Extension(oid, false, new DEROctetString(value)))));
    } catch (MalformedLayoutException expected) {
      assertThat(expected.field()).isIn("hwID", "blSPL");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Property(tries = 200)
  void randomCertificateBytes_neverEscapeAsUncheckedExceptions(@ForAll byte[] der) {
    try {
      VekExtensions.fromCertificate(der);
    } catch (MalformedLayoutException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @Test
  void reservedSpls_mayBeAbsent() throws Exception {
    Extension[] min = java.util.Arrays.stream(exts()).filter(e -> !e.getExtnId().equals(VekExtensions.SPL_4))
        .toArray(Extension[]::new);
    assertThat(VekExtensions.fromExtensions(new Extensions(min)).spl4()).isEqualTo(OptionalInt.empty());
  }
}
