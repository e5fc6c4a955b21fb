package io.guestmem.snp.emu;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.snp.abi.SnpProduct;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Emulated evidence checked with nothing but the JDK and plain BouncyCastle ASN.1, reading the
 * files SnpEmulation wrote: ECDSA P-384 over the first 0x2A0 bytes of report.bin with the key of
 * the VCEK (or VLEK), and ARK → ASK (ASVK) → VCEK (VLEK) RSASSA-PSS with AMD's parameters. No
 * emulator or abi code takes part in the checks.
 */
class IndependentVerificationTest {
  static final PSSParameterSpec AMD_PSS = new PSSParameterSpec("SHA-384", "MGF1", MGF1ParameterSpec.SHA384, 48, 1);
  static final String RSASSA_PSS_OID = "1.2.840.113549.1.1.10";

  @TempDir
  Path tmp;

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (SnpProduct p : SnpProduct.values()) {
      for (int v : new int[] {2, 3, 5}) {
        out.add(Arguments.of(p, v, SnpEmulation.Signer.VCEK));
      }
      out.add(Arguments.of(p, 5, SnpEmulation.Signer.VLEK));
    }
    return out.stream();
  }

  static X509Certificate cert(byte[] der) throws Exception {
    return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
  }

  static List<X509Certificate> pem(Path file) throws Exception {
    List<X509Certificate> out = new ArrayList<>();
    for (var c : CertificateFactory.getInstance("X.509").generateCertificates(Files.newInputStream(file))) {
      out.add((X509Certificate) c);
    }
    return out;
  }

  static boolean pssVerifies(byte[] tbs, byte[] sig, PublicKey key) throws Exception {
    Signature s = Signature.getInstance("RSASSA-PSS");
    s.setParameter(AMD_PSS);
    s.initVerify(key);
    s.update(tbs);
    return s.verify(sig);
  }

  static void assertIssued(X509Certificate child, X509Certificate issuer) throws Exception {
    assertThat(child.getSigAlgOID()).isEqualTo(RSASSA_PSS_OID);
    assertThat(child.getIssuerX500Principal()).isEqualTo(issuer.getSubjectX500Principal());
    assertThat(pssVerifies(child.getTBSCertificate(), child.getSignature(), issuer.getPublicKey()))
        .as("%s signed by %s", child.getSubjectX500Principal(), issuer.getSubjectX500Principal()).isTrue();
  }

  static byte[] reversed(byte[] b, int from, int to) {
    byte[] out = new byte[to - from];
    for (int i = 0; i < out.length; i++) {
      out[i] = b[to - 1 - i];
    }
    return out;
  }

  @ParameterizedTest(name = "{0} v{1} {2}")
  @MethodSource("cases")
  void emulatedReport_verifiesWithPlainJca(SnpProduct product, int version, SnpEmulation.Signer signer) throws Exception {
    SnpEmulation.Options o = SnpEmulation.Options.defaults(tmp).withSeed(TestKds.SEED).withProduct(product)
        .withReportVersion(version).withSigner(signer).withReportData(io.guestmem.snp.abi.Bytes.fromHex("c0ffee"));
    SnpEmulation.run(o, new RecordingMemory(64 * 4096));
    byte[] report = Files.readAllBytes(tmp.resolve("report.bin"));
    assertThat(report).hasSize(0x4A0);
    assertThat(report[0] & 0xFF).isEqualTo(version);
    assertThat(report[0x50] & 0xFF).isEqualTo(0xC0);

    String p = product.kdsName();
    X509Certificate ark = cert(Files.readAllBytes(tmp.resolve("roots/ark.der")));
    assertThat(((RSAPublicKey) ark.getPublicKey()).getModulus().bitLength()).isEqualTo(4096);
    assertThat(ark.getSubjectX500Principal().getName()).contains("CN=ARK-" + p);
    assertIssued(ark, ark);

    X509Certificate vek;
    List<X509Certificate> chain;
    if (signer == SnpEmulation.Signer.VCEK) {
      chain = pem(tmp.resolve("kds/vcek/v1/" + p + "/cert_chain"));
      try (Stream<Path> files = Files.list(tmp.resolve("kds/vcek/v1/" + p))) {
        Path vcekFile = files.filter(f -> f.getFileName().toString().contains("%3F")).findFirst().orElseThrow();
        vek = cert(Files.readAllBytes(vcekFile));
        // The file name is the KDS URL's last segment with ?, =, & percent-encoded.
        String name = vcekFile.getFileName().toString();
        int hwLen = product == SnpProduct.TURIN ? 8 : 64;
        String hwHex = HexFormat.of().formatHex(Arrays.copyOfRange(report, 0x1A0, 0x1A0 + hwLen));
        assertThat(name).startsWith(hwHex + "%3F" + (product == SnpProduct.TURIN ? "fmcSPL%3D" : "blSPL%3D"));
      }
      assertThat(vek.getSubjectX500Principal().getName()).contains("CN=SEV-VCEK");
    } else {
      chain = pem(tmp.resolve("kds/vlek/v1/" + p + "/cert_chain"));
      vek = cert(Files.readAllBytes(tmp.resolve("vlek.der")));
      assertThat(vek.getSubjectX500Principal().getName()).contains("CN=SEV-VLEK");
      assertThat(chain.get(0).getSubjectX500Principal().getName()).contains("CN=SEV-VLEK-" + p);
    }
    assertThat(chain).hasSize(2);
    assertThat(chain.get(1)).isEqualTo(ark);
    assertIssued(chain.get(0), ark);
    assertIssued(vek, chain.get(0));
    assertThat(vek.getSerialNumber()).isEqualTo(BigInteger.ZERO);

    // Report signature: ECDSA P-384 / SHA-384 over the raw first 0x2A0 bytes, r and s little-endian.
    ASN1EncodableVector rs = new ASN1EncodableVector();
    rs.add(new ASN1Integer(new BigInteger(1, reversed(report, 0x2A0, 0x2E8))));
    rs.add(new ASN1Integer(new BigInteger(1, reversed(report, 0x2E8, 0x330))));
    Signature ecdsa = Signature.getInstance("SHA384withECDSA");
    assertThat(((ECPublicKey) vek.getPublicKey()).getParams().getCurve().getField().getFieldSize()).isEqualTo(384);
    ecdsa.initVerify(vek.getPublicKey());
    ecdsa.update(report, 0, 0x2A0);
    assertThat(ecdsa.verify(new DERSequence(rs).getEncoded())).as("report signature").isTrue();
    byte[] tampered = report.clone();
    tampered[0x15] ^= (byte) 0x80;
    ecdsa.initVerify(vek.getPublicKey());
    ecdsa.update(tampered, 0, 0x2A0);
    assertThat(ecdsa.verify(new DERSequence(rs).getEncoded())).as("one flipped bit in FAMILY_ID").isFalse();

    // hwID extension (OCTET STRING-wrapped) equals CHIP_ID; the CRL is signed by the ARK.
    if (signer == SnpEmulation.Signer.VCEK) {
      byte[] ext = vek.getExtensionValue("1.3.6.1.4.1.3704.1.4");
      int hwLen = product == SnpProduct.TURIN ? 8 : 64;
      assertThat(Arrays.copyOfRange(ext, ext.length - hwLen, ext.length))
          .isEqualTo(Arrays.copyOfRange(report, 0x1A0, 0x1A0 + hwLen));
    } else {
      assertThat(vek.getExtensionValue("1.3.6.1.4.1.3704.1.4")).isNull();
      assertThat(vek.getExtensionValue("1.3.6.1.4.1.3704.1.5")).isNotNull();
    }
    X509CRL crl = (X509CRL) CertificateFactory.getInstance("X.509")
        .generateCRL(Files.newInputStream(tmp.resolve("kds/vcek/v1/" + p + "/crl")));
    assertThat(crl.getIssuerX500Principal()).isEqualTo(ark.getSubjectX500Principal());
    assertThat(pssVerifies(crl.getTBSCertList(), crl.getSignature(), ark.getPublicKey())).isTrue();
  }
}
