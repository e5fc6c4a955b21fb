package io.guestmem.attestation;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the real-hardware vectors in {@code ../shared/vectors}; tests skip when absent. */
public final class TestVectors {
  private TestVectors() {}

  public static Path dir() {
    String prop = System.getProperty("guestmem.vectors.dir");
    Path dir = prop != null ? Path.of(prop) : Path.of("..", "..", "shared", "vectors");
    if (!Files.isDirectory(dir)) {
      dir = Path.of("..").toAbsolutePath().normalize().resolveSibling("shared").resolve("vectors");
    }
    assumeTrue(Files.isDirectory(dir), "real vectors absent at " + dir + ": skipped");
    return dir;
  }

  public static byte[] read(String relative) {
    try {
      return Files.readAllBytes(dir().resolve(relative));
    } catch (IOException e) {
      throw new AssertionError("cannot read vector " + relative, e);
    }
  }
}
