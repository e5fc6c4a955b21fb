package io.guestmem.vectors.format;

import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Where a case's evidence bytes come from: a file or inline hex, followed by files appended to it
 * (for example an SNP report followed by its extended-request certificate table), then the
 * case's mutations in order.
 */
public record Evidence(Optional<FileRef> file, Optional<String> hex, List<FileRef> append, List<Mutation> mutations) {
  public Evidence {
    if (file.isPresent() == hex.isPresent()) {
      throw new IllegalArgumentException("evidence is exactly one of a file and inline hex");
    }
    append = List.copyOf(append);
    mutations = List.copyOf(mutations);
  }

  public static Evidence ofFile(FileRef f, List<Mutation> mutations) {
    return new Evidence(Optional.of(f), Optional.empty(), List.of(), mutations);
  }

  public static Evidence ofHex(byte[] bytes) {
    return new Evidence(Optional.empty(), Optional.of(HexFormat.of().formatHex(bytes)), List.of(), List.of());
  }
}
