package io.guestmem.vectors.generate;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed generated vectors are exactly what the generator writes: regenerating into a
 * temporary directory gives the same file names and the same bytes.
 */
class GeneratedVectorsTest {
  @Test
  void regenerating_givesTheCommittedFilesByteForByte(@TempDir Path tmp) throws Exception {
    Path fresh = tmp.resolve("generated");
    VectorGenerator.generate(fresh);
    Path committed = io.guestmem.vectors.VectorSuiteTest.committedVectorsDir().resolve("generated");
    SortedMap<String, byte[]> want = GeneratedFiles.readTree(committed);
    SortedMap<String, byte[]> got = GeneratedFiles.readTree(fresh);
    assertThat(got.keySet()).as("generated file names").containsExactlyElementsOf(want.keySet());
    List<String> differing = new ArrayList<>();
    for (var e : want.entrySet()) {
      if (!java.util.Arrays.equals(e.getValue(), got.get(e.getKey()))) {
        differing.add(e.getKey());
      }
    }
    assertThat(differing).as("files whose bytes differ from the committed copy").isEmpty();
  }

  @Test
  void generatingIntoANonEmptyDirectory_isRefused(@TempDir Path tmp) throws IOException {
    Files.writeString(tmp.resolve("keep.txt"), "mine");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> VectorGenerator.generate(tmp))
        .isInstanceOf(VectorGenerator.GenerationException.class).hasMessageContaining("not empty");
    assertThat(Files.readString(tmp.resolve("keep.txt"))).isEqualTo("mine");
  }
}
