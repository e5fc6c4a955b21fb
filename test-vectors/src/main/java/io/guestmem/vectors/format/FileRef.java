package io.guestmem.vectors.format;

import java.util.Objects;
import java.util.Optional;

/**
 * An input given by relative path: resolved against the group's {@link InputRoot}. {@code sha256}
 * (lower-case hex), when present, is checked before the file is used; {@code encoding} says how to
 * turn the file into bytes ({@code raw}, or {@code hex-text} for files holding hex digits).
 */
public record FileRef(String file, Optional<String> sha256, Encoding encoding) {
  /** How a file's content becomes input bytes. */
  public enum Encoding {
    RAW("raw"), HEX_TEXT("hex-text");

    private final String jsonName;

    Encoding(String jsonName) {
      this.jsonName = jsonName;
    }

    public String jsonName() {
      return jsonName;
    }
  }

  public FileRef {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(sha256, "sha256");
    Objects.requireNonNull(encoding, "encoding");
  }

  public static FileRef of(String file) {
    return new FileRef(file, Optional.empty(), Encoding.RAW);
  }
}
