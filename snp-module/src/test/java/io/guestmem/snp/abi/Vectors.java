package io.guestmem.snp.abi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Assumptions;

/** Reads the real-hardware vectors in place (../shared/vectors), checking MANIFEST SHA-256s. */
public final class Vectors {
  private Vectors() {}

  public static Path dir() {
    String prop = System.getProperty("guestmem.vectors.dir");
    Path dir = prop != null ? Path.of(prop) : Path.of("..", "..", "shared", "vectors");
    if (!Files.isDirectory(dir)) {
      dir = Path.of("").toAbsolutePath().getParent().resolve("../shared/vectors").normalize();
    }
    Assumptions.assumeTrue(Files.isDirectory(dir), "real vectors absent at " + dir + ": skipped");
    return dir;
  }

  /** The file's bytes after checking its SHA-256 against the MANIFEST value. */
  public static byte[] read(String relative, String sha256) throws IOException {
    byte[] b = Files.readAllBytes(dir().resolve(relative));
    try {
      String got = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
      assertThat(got).as("SHA-256 of %s (MANIFEST §7)", relative).isEqualTo(sha256);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
    return b;
  }

  /** The DER certificates of a PEM file, in file order. */
  public static List<byte[]> pemCertificates(byte[] pem) {
    String text = new String(pem, StandardCharsets.US_ASCII);
    List<byte[]> out = new ArrayList<>();
    int from = 0;
    while (true) {
      int b = text.indexOf("-----BEGIN CERTIFICATE-----", from);
      if (b < 0) {
        return out;
      }
      int e = text.indexOf("-----END CERTIFICATE-----", b);
      String body = text.substring(b + 27, e).replaceAll("\\s", "");
      out.add(Base64.getDecoder().decode(body));
      from = e + 25;
    }
  }
}
