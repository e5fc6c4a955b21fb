package io.guestmem.tdx.abi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.junit.jupiter.api.Assumptions;

/**
 * The real-hardware vectors in {@code ../shared/vectors}, read in place and checked against the
 * SHA-256 that MANIFEST.md §7 records. Tests skip when the directory is absent.
 */
public final class Vectors {
  private Vectors() {}

  public static Path dir() {
    String prop = System.getProperty("guestmem.vectors.dir");
    Path d = prop != null ? Path.of(prop) : Path.of("..", "..", "shared", "vectors");
    if (!Files.isDirectory(d)) {
      d = Path.of("..", "..", "shared", "vectors").toAbsolutePath().normalize();
    }
    Path found = d;
    Assumptions.assumeTrue(Files.isDirectory(found), "real vectors absent at " + found + ": skipped");
    return found;
  }

  /** Reads {@code name} and checks its SHA-256 against {@code sha256Hex} (MANIFEST §7). */
  public static byte[] read(String name, String sha256Hex) throws IOException {
    byte[] data = Files.readAllBytes(dir().resolve(name));
    try {
      String actual = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
      assertThat(actual).as("SHA-256 of %s (MANIFEST §7)", name).isEqualTo(sha256Hex);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
    return data;
  }

  public static final String SPR_E4 = "go-tdx-guest/tdx_prod_quote_SPR_E4.dat";
  public static final String SPR_E4_SHA = "6dde5548bec99147fef832643301f113df99931547be26df8ac376c4eaa5b5a7";
  public static final String V5_SAMPLE = "go-tdx-guest/quote_v5_sample.dat";
  public static final String V5_SAMPLE_SHA = "cf77a6e91e48291d5d338c5f3b5d0674225a4d13e7d83ff5e537a4914bf22e1d";
  public static final String COS113 = "go-tdx-guest/cos-113-tdx-quote.dat";
  public static final String COS113_SHA = "54334c81b4e03634ab3a269ad397c9cea3b5c9ee96c57505b684470b964fd15e";
  public static final String DCAP_TDX = "dcap-qvl/tdx_quote";
  public static final String DCAP_TDX_SHA = "c42f9164325024bca2757bc8819b11879a0a369132ea4e2b7c85df4805ea72db";
  public static final String DCAP_OUTDATED = "dcap-qvl/tdx_quote_outdated";
  public static final String DCAP_OUTDATED_SHA = "4c453ea417a7863ed67c215fe4735d91e26f359c760e5984a277866d8d5758e9";
  public static final String DCAP_SGX = "dcap-qvl/sgx_quote";
  public static final String DCAP_SGX_SHA = "f8b81014b6e443609746822194910f5dc1c92c322fa0584298d1e33e505ca3b5";
  public static final String TRUSTEE_Q4 = "trustee/tdx_quote_4.dat";
  public static final String TRUSTEE_Q4_SHA = "12b401a88a51edb2d12cac4db0c6b8668a163960fbf848c16889a40955f946a9";
  public static final String TRUSTEE_Q5 = "trustee/tdx_quote_5.dat";
  public static final String TRUSTEE_Q5_SHA = "586c2be0dc38d3c5653ecf91a0a482d8dbfaf3d3a0bcea2947bc2d321c8108a2";
}
