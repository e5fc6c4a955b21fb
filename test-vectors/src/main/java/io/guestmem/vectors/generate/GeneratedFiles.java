package io.guestmem.vectors.generate;

import io.guestmem.vectors.run.InputFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The files of one generated group, written under the group's directory and deduplicated by
 * content: a file (or a whole directory) identical to one already written is not written again,
 * and the case refers to the first copy. Cases that differ from a baseline in one knob therefore
 * add only the files that knob changed, which keeps the committed vectors small.
 */
final class GeneratedFiles {
  private final Path groupDir;
  private final Map<String, String> fileBySha = new HashMap<>();
  private final Map<String, String> dirByDigest = new HashMap<>();
  private final List<Path> written = new ArrayList<>();

  GeneratedFiles(Path groupDir) {
    this.groupDir = groupDir;
  }

  /** Stores {@code data} at {@code preferred} (relative to the group directory) unless an identical file exists; returns the path to refer to. */
  String put(String preferred, byte[] data) throws IOException {
    String sha = InputFiles.sha256(data);
    String existing = fileBySha.get(sha);
    if (existing != null) {
      return existing;
    }
    write(preferred, data);
    fileBySha.put(sha, preferred);
    return preferred;
  }

  /** Stores a directory of files (relative name → bytes) at {@code preferred} unless an identical directory exists. */
  String putDir(String preferred, SortedMap<String, byte[]> files) throws IOException {
    StringBuilder digest = new StringBuilder();
    for (var e : files.entrySet()) {
      digest.append(e.getKey()).append('=').append(InputFiles.sha256(e.getValue())).append('\n');
    }
    String key = InputFiles.sha256(digest.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
    String existing = dirByDigest.get(key);
    if (existing != null) {
      return existing;
    }
    for (var e : files.entrySet()) {
      write(preferred + "/" + e.getKey(), e.getValue());
    }
    dirByDigest.put(key, preferred);
    return preferred;
  }

  private void write(String rel, byte[] data) throws IOException {
    Path p = groupDir.resolve(rel);
    if (Files.exists(p)) {
      throw new IllegalStateException("generated file written twice: " + rel);
    }
    Files.createDirectories(p.getParent());
    Files.write(p, data);
    written.add(p);
  }

  List<Path> written() {
    return List.copyOf(written);
  }

  /** Every regular file under {@code dir}, by path relative to it. */
  static SortedMap<String, byte[]> readTree(Path dir) throws IOException {
    SortedMap<String, byte[]> out = new TreeMap<>();
    try (var s = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) s::iterator) {
        if (Files.isRegularFile(p)) {
          out.put(dir.relativize(p).toString().replace('\\', '/'), Files.readAllBytes(p));
        }
      }
    }
    return out;
  }
}
