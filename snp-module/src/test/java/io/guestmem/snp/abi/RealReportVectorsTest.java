package io.guestmem.snp.abi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** Every real SNP report of ../shared/vectors (MANIFEST §2) parses as the MANIFEST says. */
class RealReportVectorsTest {

  /** name, report file, sha256, cert file, cert sha256, version, product, signer, vmpl, firmware version. */
  static Stream<Arguments> reports() {
    return Stream.of(
        Arguments.of("go-sev-guest/attestation.bin", "377e6241d3b373ab1df80c0f96978594e7e21f4797dd6ea95e2957e1c1e26060",
            "go-sev-guest/vcek.testcer", "0d057f9b6e29a69eda9c0154b259567d291c1c08d73a11e9d31ace07c435b6d8",
            2, SnpProduct.MILAN, KeyInfo.SigningKey.VCEK, 0L, null, "1.49.3"),
        Arguments.of("virtee-sev/report_milan.hex", "3d956e9104969a038031a6b63dd6c4b60000619d37702065994f7da76f88ae7d",
            "virtee-sev/vcek_milan.der", "3bbfb6ee259f75a95d13168cfdf2e034181bb93c7c016825731cbe8ea16c95e1",
            2, SnpProduct.MILAN, KeyInfo.SigningKey.VCEK, null, null, "1.52.4"),
        Arguments.of("trustee/snp/test-report.bin", "7c614616feb65823351fa42620ea260fb84fd22b2337a480ca0d5f04f363ca38",
            "trustee/snp/test-vcek.der", "3430987528a9feebc90c1ba5cfac5849926ace82ae652a1bbf464d33bdc36d45",
            2, SnpProduct.MILAN, KeyInfo.SigningKey.VCEK, null, null, "1.52.4"),
        Arguments.of("trustee/snp/test-vlek-report.bin", "decdab949afc590668e45869b20f23e4afc7ac03c61201ab20208c6668a58a2d",
            "trustee/snp/test-vlek.der", "296a7c99053efe4b1e480bb76d421fd24633d245f3e34708399a18a7713b7a7c",
            3, SnpProduct.MILAN, KeyInfo.SigningKey.VLEK, 1L, new int[] {0x19, 0x01, 0x01}, "1.55.29"),
        Arguments.of("routex-client-lua/DERIVED.attestation_spec.milan-v3.report.bin",
            "40a2778d02fa56e1d82ab108492919fca56549f4781e38002d61f23cf435fc9f",
            "routex-client-lua/vcek-chain-milan.pem", "82f8fd7bd43245f514523fff05ef70b0ef653b556c55d8b2879fce6ba67983db",
            3, SnpProduct.MILAN, KeyInfo.SigningKey.VCEK, null, new int[] {0x19, 0x01, 0x01}, "1.55.29"),
        Arguments.of("routex-client-lua/DERIVED.attestation_spec.genoa-v3.report.bin",
            "dc5d431d8aa7725b3b2769b5892b9974cf31596a1ad9ad1dc9f2ef58dd5ed481",
            "routex-client-lua/vcek-chain-genoa.pem", "ce44310dc6a5aa2af62be4787b832c23444f61fecd8cec78cbd8d547eba6f924",
            3, SnpProduct.GENOA, KeyInfo.SigningKey.VCEK, null, new int[] {0x19, 0x11, 0x01}, "1.55.39"),
        Arguments.of("routex-client-lua/DERIVED.attestation_spec.genoa-v5.report.bin",
            "643565737e98e3fc8356d293503e2987f1c79022d74216a578bd855d0797065c",
            "routex-client-lua/vcek-chain-genoa-v5.pem", "1c51195071cb0207a35533a8822306fc84d8a6e0aaca142c3340000f5bdce0bd",
            5, SnpProduct.GENOA, KeyInfo.SigningKey.VCEK, null, new int[] {0x19, 0x11, 0x01}, "1.55.49"),
        Arguments.of("routex-client-lua/DERIVED.attestation_spec.turin-v5.report.bin",
            "3f44a09b769aae243b2c603c2a6f53d4b1cf5feb36b380ea29adcf47da847e20",
            "routex-client-lua/vcek-chain-turin.pem", "c8018159c784bcfa4f88d7174f7f09dc7add68bdcbff6fbf0108a11a7c91c8cc",
            5, SnpProduct.TURIN, KeyInfo.SigningKey.VCEK, null, new int[] {0x1A, 0x02, 0x01}, "1.55.61"));
  }

  static byte[] reportBytes(String file, String sha) throws Exception {
    byte[] b = Vectors.read(file, sha);
    if (file.endsWith(".hex")) {
      b = HexFormat.of().parseHex(new String(b, StandardCharsets.US_ASCII).replaceAll("\\s", ""));
    }
    return b;
  }

  static byte[] leafCertificate(String file, String sha) throws Exception {
    byte[] b = Vectors.read(file, sha);
    return file.endsWith(".pem") ? Vectors.pemCertificates(b).get(0) : b;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("reports")
  void realReport_parsesWithVersionProductLayoutAndRoundTrips(String file, String sha, String certFile, String certSha,
      int version, SnpProduct product, KeyInfo.SigningKey signer, Long vmpl, int[] cpuid, String fw)
      throws Exception {
    byte[] bytes = reportBytes(file, sha);
    VekExtensions vek = VekExtensions.fromCertificate(leafCertificate(certFile, certSha));

    AttestationReport r = AttestationReport.parse(bytes);
    if (version == 2) {
      assertThat(r.product()).as("v2 has no CPUID: product comes from the certificate").isEmpty();
      r = r.withProduct(vek.product().orElseThrow());
    }

    assertThat(r.version()).isEqualTo(version);
    assertThat(r.product()).contains(product);
    assertThat(r.tcbLayout()).isEqualTo(product.tcbLayout());
    assertThat(r.toBytes()).as("re-serialization is byte-identical").isEqualTo(bytes);
    assertThat(AttestationReport.parse(r.toBytes())).isEqualTo(AttestationReport.parse(bytes));
    assertThat(r.signedBytes()).isEqualTo(java.util.Arrays.copyOf(bytes, 0x2A0));
    assertThat(r.signatureAlgo()).isEqualTo(1);
    assertThat(r.keyInfo().signingKey()).isEqualTo(signer);
    assertThat(r.policy().reservedBitOneSet()).isTrue();
    // MANIFEST §2 lists the current firmware of the v2 reports and, for the routex reports, the
    // committed version their policy failures quote; the VLEK report's column is the current one.
    if (version == 2 || signer == KeyInfo.SigningKey.VLEK) {
      assertThat(r.currentVersion().toString()).isEqualTo(fw);
    } else {
      assertThat(r.committedVersion().toString()).isEqualTo(fw);
    }
    if (vmpl != null) {
      assertThat(r.vmpl()).isEqualTo(vmpl);
    }
    if (cpuid != null) {
      assertThat(r.cpuid()).hasValueSatisfying(c -> {
        assertThat(c.familyId()).isEqualTo(cpuid[0]);
        assertThat(c.modelId()).isEqualTo(cpuid[1]);
        assertThat(c.stepping()).isEqualTo(cpuid[2]);
      });
    } else {
      assertThat(r.cpuid()).isEmpty();
    }
    assertThat(r.launchMitigationVector().isPresent()).isEqualTo(version >= 5);

    // MANIFEST §2 (computed): certificate TCB == REPORTED_TCB and hwID == CHIP_ID, for every pair.
    assertThat(vek.tcbLayout()).isEqualTo(product.tcbLayout());
    assertThat(vek.tcbVersion()).isEqualTo(r.reportedTcb());
    if (signer == KeyInfo.SigningKey.VCEK) {
      assertThat(vek.kind()).isEqualTo(VekExtensions.Kind.VCEK);
      assertThat(vek.hwId()).contains(r.hwId());
    } else {
      assertThat(vek.kind()).isEqualTo(VekExtensions.Kind.VLEK);
    }
  }

  @Test
  void goSevGuestAttestation_fieldsMatchTheSourceAsserts() throws Exception {
    byte[] bytes = Vectors.read("go-sev-guest/attestation.bin",
        "377e6241d3b373ab1df80c0f96978594e7e21f4797dd6ea95e2957e1c1e26060");
    AttestationReport r = AttestationReport.parse(bytes);
    // MANIFEST §4.4 (tools/check): report_id, report_id_ma, policy {SMT, DEBUG}, vmpl 0, platform_info 1, TCB.
    assertThat(r.reportId().hex()).isEqualTo("8edc638e1857c555d21f6b11bda3c8b1b5a09dba4852b4c8ee7aa2f16f22cc0a");
    assertThat(r.reportIdMa().hex()).isEqualTo("ff".repeat(32));
    assertThat(r.measurement().hex()).startsWith("b07af962").endsWith("2b01");
    assertThat(r.chipId().hex()).startsWith("3ac3fe21").endsWith("6b5d");
    assertThat(r.reportData().hex()).isEqualTo("0102030405" + "00".repeat(59));
    assertThat(r.hostData().isAllZero()).isTrue();
    assertThat(r.familyId().isAllZero()).isTrue();
    assertThat(r.imageId().isAllZero()).isTrue();
    assertThat(r.policy().bits()).isEqualTo(0xB0000L);
    assertThat(r.policy().smt()).isTrue();
    assertThat(r.policy().debug()).isTrue();
    assertThat(r.policy().unknownBits()).isZero();
    assertThat(r.vmpl()).isZero();
    assertThat(r.platformInfo().bits()).isEqualTo(1);
    assertThat(r.platformInfo().smtEnabled()).isTrue();
    assertThat(r.reportedTcb().raw()).isEqualTo(0x4405000000000002L);
    assertThat(r.reportedTcb().bootLoader()).isEqualTo(2);
    assertThat(r.reportedTcb().tee()).isZero();
    assertThat(r.reportedTcb().snp()).isEqualTo(5);
    assertThat(r.reportedTcb().microcode()).isEqualTo(68);
    assertThat(r.idKeyDigest().isAllZero()).isTrue();
    assertThat(r.keyInfo().authorKeyEn()).isFalse();
    // The KDS URL go-sev-guest's test serves the VCEK for.
    assertThat(KdsUrl.vcekPath(SnpProduct.MILAN, r.hwId(), r.reportedTcb()))
        .startsWith("/vcek/v1/Milan/3ac3fe21").endsWith("6b5d?blSPL=2&teeSPL=0&snpSPL=5&ucodeSPL=68");
  }

  @Test
  void turinV5_usesTheFmcFirstLayoutAndAnEightByteHwId() throws Exception {
    byte[] bytes = Vectors.read("routex-client-lua/DERIVED.attestation_spec.turin-v5.report.bin",
        "3f44a09b769aae243b2c603c2a6f53d4b1cf5feb36b380ea29adcf47da847e20");
    AttestationReport r = AttestationReport.parse(bytes);
    assertThat(r.product()).contains(SnpProduct.TURIN);
    assertThat(r.reportedTcb().layout()).isEqualTo(TcbVersion.Layout.TURIN);
    assertThat(r.reportedTcb().fmc()).isZero();
    assertThat(r.committedVersion().toString()).isEqualTo("1.55.61");
    assertThat(r.chipId().slice(8, 56).isAllZero()).as("Turin CHIP_ID: 8-byte hwID then zeros").isTrue();
    assertThat(r.hwId().length()).isEqualTo(8);
    assertThat(KdsUrl.vcekPath(SnpProduct.TURIN, r.hwId(), r.reportedTcb()))
        .matches("/vcek/v1/Turin/[0-9a-f]{16}\\?fmcSPL=0&blSPL=\\d+&teeSPL=\\d+&snpSPL=\\d+&ucodeSPL=\\d+");
  }

  @Test
  void genoaV5_committedSnpAndTeeMatchTheSourceMutations() throws Exception {
    AttestationReport r = AttestationReport.parse(Vectors.read(
        "routex-client-lua/DERIVED.attestation_spec.genoa-v5.report.bin",
        "643565737e98e3fc8356d293503e2987f1c79022d74216a578bd855d0797065c"));
    // MANIFEST §4.6: "committed SNP−1 ⇒ …minimum committed SNP TCB of 27, got 26"; "REPORTED_TCB.tee+1 ⇒ Expected 0, got 1".
    assertThat(r.committedTcb().snp()).isEqualTo(27);
    assertThat(r.reportedTcb().tee()).isZero();
    assertThat(r.platformInfo().aliasCheckComplete()).isTrue();
    assertThat(r.currentMitigationVector()).isPresent();
  }

  @Test
  void everyReportParsesInsideALargerBufferAtTheGivenOffset() throws Exception {
    List<Arguments> all = reports().toList();
    for (Arguments a : all) {
      byte[] bytes = reportBytes((String) a.get()[0], (String) a.get()[1]);
      byte[] big = new byte[bytes.length + 100];
      java.util.Arrays.fill(big, (byte) 0x5A);
      System.arraycopy(bytes, 0, big, 37, bytes.length);
      AttestationReport r = AttestationReport.parse(big, 37);
      assertThat(r.toBytes()).isEqualTo(bytes);
    }
  }
}
