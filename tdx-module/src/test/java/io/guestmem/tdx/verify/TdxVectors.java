package io.guestmem.tdx.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.SignedCollateral;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;

/** The real TDX vectors in ../shared/vectors, read in place with their MANIFEST §7 SHA-256 checked. */
final class TdxVectors {
  private TdxVectors() {}

  static final Map<String, String> SHA256 = Map.ofEntries(
      Map.entry("go-tdx-guest/tdx_prod_quote_SPR_E4.dat", "6dde5548bec99147fef832643301f113df99931547be26df8ac376c4eaa5b5a7"),
      Map.entry("go-tdx-guest/quote_v5_sample.dat", "cf77a6e91e48291d5d338c5f3b5d0674225a4d13e7d83ff5e537a4914bf22e1d"),
      Map.entry("go-tdx-guest/cos-113-tdx-quote.dat", "54334c81b4e03634ab3a269ad397c9cea3b5c9ee96c57505b684470b964fd15e"),
      Map.entry("go-tdx-guest/pckcrl", "381598fbab078ecfba7df257d4396d3428ffb20a491f7ddbc14c52ec9c27e06f"),
      Map.entry("go-tdx-guest/rootcrl.der", "f64b58a120f2882219944f1c0e0e3d87e8a02313e39c5d0bc658bdbcf524c41c"),
      Map.entry("go-tdx-guest/sample_tcbInfo_response", "1b96f799643d045c076fbc505c094a4fb26f51f4851feb8ac95f3fc12408f2d6"),
      Map.entry("go-tdx-guest/sample_tcbinfo_response_v5", "1cd562453aa7de360666f5526968f38ddc6c27bd8cbdd10695d09573fca57dfb"),
      Map.entry("go-tdx-guest/sample_qeIdentity_response", "86239584ed47792d02cdfc051cde95cb5169a0b74dc9dcc61c1ebaeb5e59ade0"),
      Map.entry("go-tdx-guest/tcbinfo_issuer_chain.pem", "b2ca71b8e849d5e799451b4bfe43159a0ee548032cecb2c0e479bf6ee3f39fd1"),
      Map.entry("go-tdx-guest/qeidentity_issuer_chain.pem", "b2ca71b8e849d5e799451b4bfe43159a0ee548032cecb2c0e479bf6ee3f39fd1"),
      Map.entry("dcap-qvl/tdx_quote", "c42f9164325024bca2757bc8819b11879a0a369132ea4e2b7c85df4805ea72db"),
      Map.entry("dcap-qvl/tdx_quote_collateral.json", "b0a5f5fd620a8881b1eda45261fdf30dd930b49aff93231556645c81fcb4c0bc"),
      Map.entry("dcap-qvl/tdx_quote_outdated", "4c453ea417a7863ed67c215fe4735d91e26f359c760e5984a277866d8d5758e9"),
      Map.entry("dcap-qvl/tdx_quote_outdated_collateral.json", "05e91466e56352166c15a73654147c3d95d6f4ffa62bd150c3c8cbb1d75c3b15"),
      Map.entry("dcap-qvl/sgx_quote_collateral.json", "bdd694bbe50f3a2a1cfe12f9e2bd83125921107a368edcf10780a5523b8501ce"),
      Map.entry("dcap-qvl/sgx_quote", "f8b81014b6e443609746822194910f5dc1c92c322fa0584298d1e33e505ca3b5"),
      Map.entry("trustee/tcbInfo.json", "06c50be9bc9c042a45675bcba09ae381c61b5d3a017a41cb12e9312387e3898c"),
      Map.entry("trustee/enclaveIdentity.json", "1ebffe572e3b77f5917be8e75dde4b66af13438e65f09fd5011a12b70f7e9a5d"),
      Map.entry("trustee/tdx_quote_4.dat", "12b401a88a51edb2d12cac4db0c6b8668a163960fbf848c16889a40955f946a9"),
      Map.entry("trustee/tdx_quote_5.dat", "586c2be0dc38d3c5653ecf91a0a482d8dbfaf3d3a0bcea2947bc2d321c8108a2"));

  static Path dir() {
    String prop = System.getProperty("guestmem.vectors.dir");
    Path dir = prop != null ? Path.of(prop) : Path.of("..", "..", "shared", "vectors");
    if (!Files.isDirectory(dir)) {
      dir = Path.of("").toAbsolutePath().getParent().resolve("../shared/vectors").normalize();
    }
    Assumptions.assumeTrue(Files.isDirectory(dir), "real vectors absent at " + dir + ": skipped");
    return dir;
  }

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

  static byte[] read(String relative) {
    try {
      return Files.readAllBytes(path(relative));
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** Writes the first half of {@code from}'s bytes to {@code to} (a truncated DER file, e.g. a CRL cut short). */
  static void writeFirstHalf(Path from, Path to) throws IOException {
    byte[] der = Files.readAllBytes(from);
    Files.write(to, java.util.Arrays.copyOf(der, der.length / 2));
  }

  /**
   * Lays a dcap-qvl collateral bundle out as an offline collateral directory (PCS layout) under
   * {@code into}, a temporary directory outside the project.
   */
  static Path bundleDirectory(String bundle, Path into) throws IOException {
    JsonNode j = new ObjectMapper().readTree(read(bundle));
    byte[] tcbBody = j.get("tcb_info").textValue().getBytes(StandardCharsets.UTF_8);
    String fmspc = new ObjectMapper().readTree(tcbBody).get("fmspc").textValue();
    Path tcb = Files.createDirectories(into.resolve("tdx/certification/v4/tcb"));
    Files.write(tcb.resolve(fmspc), SignedCollateral.encodeResponse("tcbInfo", Bytes.of(tcbBody),
        Bytes.fromHex(j.get("tcb_info_signature").textValue())));
    Files.writeString(tcb.resolve(fmspc + ".issuer-chain"), j.get("tcb_info_issuer_chain").textValue());
    Path qe = Files.createDirectories(into.resolve("tdx/certification/v4/qe"));
    Files.write(qe.resolve("identity"), SignedCollateral.encodeResponse("enclaveIdentity",
        Bytes.of(j.get("qe_identity").textValue().getBytes(StandardCharsets.UTF_8)),
        Bytes.fromHex(j.get("qe_identity_signature").textValue())));
    Files.writeString(qe.resolve("identity.issuer-chain"), j.get("qe_identity_issuer_chain").textValue());
    Path crl = Files.createDirectories(into.resolve("sgx/certification/v4/pckcrl"));
    Files.write(crl.resolve("platform"), HexFormat.of().parseHex(j.get("pck_crl").textValue()));
    Files.writeString(crl.resolve("platform.issuer-chain"), j.get("pck_crl_issuer_chain").textValue());
    Files.write(into.resolve("sgx/certification/v4/rootcacrl"), HexFormat.of().parseHex(j.get("root_ca_crl").textValue()));
    return into;
  }
}
