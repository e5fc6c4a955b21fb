package io.guestmem.snp.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/** The real SNP vectors in ../shared/vectors, read in place with their MANIFEST §7 SHA-256 checked. */
final class SnpVectors {
  private SnpVectors() {}

  static final Map<String, String> SHA256 = Map.ofEntries(
      Map.entry("go-sev-guest/attestation.bin", "377e6241d3b373ab1df80c0f96978594e7e21f4797dd6ea95e2957e1c1e26060"),
      Map.entry("go-sev-guest/vcek.testcer", "0d057f9b6e29a69eda9c0154b259567d291c1c08d73a11e9d31ace07c435b6d8"),
      Map.entry("go-sev-guest/ask_ark_milan.pem", "22e62f8d2c21a156470145fc75f7b5a377cb053ced3e97f0bd3f8d8ca5941ce6"),
      Map.entry("go-sev-guest/ask_ark_milan_vlek.pem", "3098f7e90ee7049b8cf116448d1bdf33b08847b4250bd99507cf73b5c49d3467"),
      Map.entry("go-sev-guest/ask_ark_genoa.pem", "e6ecc853fa56d3170a624d40851f98a1036f974b50204ea69e6aec91d777aca3"),
      Map.entry("go-sev-guest/ask_ark_turin_vcek.pem", "cc9a52fbed3fbc6e4a0a50149a541a75938f975658909c2a6084767829b36e85"),
      Map.entry("virtee-sev/report_milan.hex", "3d956e9104969a038031a6b63dd6c4b60000619d37702065994f7da76f88ae7d"),
      Map.entry("virtee-sev/vcek_milan.der", "3bbfb6ee259f75a95d13168cfdf2e034181bb93c7c016825731cbe8ea16c95e1"),
      Map.entry("trustee/snp/test-report.bin", "7c614616feb65823351fa42620ea260fb84fd22b2337a480ca0d5f04f363ca38"),
      Map.entry("trustee/snp/test-vcek.der", "3430987528a9feebc90c1ba5cfac5849926ace82ae652a1bbf464d33bdc36d45"),
      Map.entry("trustee/snp/test-vlek-report.bin", "decdab949afc590668e45869b20f23e4afc7ac03c61201ab20208c6668a58a2d"),
      Map.entry("trustee/snp/test-vlek.der", "296a7c99053efe4b1e480bb76d421fd24633d245f3e34708399a18a7713b7a7c"),
      Map.entry("routex-client-lua/vcek-chain-milan.pem", "82f8fd7bd43245f514523fff05ef70b0ef653b556c55d8b2879fce6ba67983db"),
      Map.entry("routex-client-lua/vcek-chain-genoa.pem", "ce44310dc6a5aa2af62be4787b832c23444f61fecd8cec78cbd8d547eba6f924"),
      Map.entry("routex-client-lua/vcek-chain-genoa-v5.pem", "1c51195071cb0207a35533a8822306fc84d8a6e0aaca142c3340000f5bdce0bd"),
      Map.entry("routex-client-lua/vcek-chain-turin.pem", "c8018159c784bcfa4f88d7174f7f09dc7add68bdcbff6fbf0108a11a7c91c8cc"),
      Map.entry("routex-client-lua/DERIVED.attestation_spec.milan-v3.report.bin", "40a2778d02fa56e1d82ab108492919fca56549f4781e38002d61f23cf435fc9f"),
      Map.entry("routex-client-lua/DERIVED.attestation_spec.genoa-v3.report.bin", "dc5d431d8aa7725b3b2769b5892b9974cf31596a1ad9ad1dc9f2ef58dd5ed481"),
      Map.entry("routex-client-lua/DERIVED.attestation_spec.genoa-v5.report.bin", "643565737e98e3fc8356d293503e2987f1c79022d74216a578bd855d0797065c"),
      Map.entry("routex-client-lua/DERIVED.attestation_spec.turin-v5.report.bin", "3f44a09b769aae243b2c603c2a6f53d4b1cf5feb36b380ea29adcf47da847e20"),
      Map.entry("cyntrisec-kds/Milan/crl.der", "53a61dc059e525ef637c4f28b7ab2542f64ef1ad0a485eca425bafe722e15f58"),
      Map.entry("cyntrisec-kds/Genoa/crl.der", "886a378d3e28d65c88960a8acb9874dbf212c70a94a58ea84a0abb65f46e5999"),
      Map.entry("cyntrisec-kds/Turin/crl.der", "0693615c248a46d56b32ade06136ef19bcc35f541a0c461724bb677fb29958bc"));

  static Path dir() {
    String prop = System.getProperty("guestmem.vectors.dir");
    Path dir = prop != null ? Path.of(prop) : Path.of("..", "..", "shared", "vectors");
    if (!Files.isDirectory(dir)) {
      dir = Path.of("").toAbsolutePath().getParent().resolve("../shared/vectors").normalize();
    }
    Assumptions.assumeTrue(Files.isDirectory(dir), "real vectors absent at " + dir + ": skipped");
    return dir;
  }

  /** The path of a vector after checking its SHA-256. */
  static Path path(String relative) {
    Path p = dir().resolve(relative);
    try {
      String got = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
      assertThat(got).as("SHA-256 of %s", relative).isEqualTo(SHA256.get(relative));
    } catch (IOException | java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
    return p;
  }

  /** Report bytes; the virtee report is hex text. */
  static byte[] report(String relative) {
    try {
      byte[] b = Files.readAllBytes(path(relative));
      if (relative.endsWith(".hex")) {
        return HexFormat.of().parseHex(new String(b, java.nio.charset.StandardCharsets.US_ASCII).strip());
      }
      return b;
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
