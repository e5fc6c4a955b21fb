package io.guestmem.snp.abi;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The layering rules of design.md, checked on the sources: {@code abi} imports only the JDK,
 * BouncyCastle ASN.1 and itself; {@code emu} never imports the verifier.
 */
class AbiDependencyRuleTest {

  static List<String> imports(String pkgDir) throws IOException {
    Path dir = Path.of("src/main/java/io/guestmem/snp").resolve(pkgDir);
    Assumptions.assumeTrue(Files.isDirectory(dir), "sources not at " + dir.toAbsolutePath() + ": skipped");
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        for (String line : Files.readAllLines(f)) {
          String l = line.trim();
          if (l.startsWith("import ")) {
            out.add(f.getFileName() + ": " + l.substring(7).replace("static ", "").replace(";", ""));
          }
        }
      }
    }
    return out;
  }

  @Test
  void abi_importsOnlyTheJdkAndBouncyCastleAsn1() throws IOException {
    List<String> imports = imports("abi");
    assertThat(imports).isNotEmpty();
    assertThat(imports).allSatisfy(i -> assertThat(i.substring(i.indexOf(": ") + 2))
        .matches("(java\\.|org\\.bouncycastle\\.asn1\\.|io\\.guestmem\\.snp\\.abi\\.).*"));
  }

  @Test
  void emu_neverImportsTheVerifier() throws IOException {
    assertThat(imports("emu")).noneMatch(i -> i.contains("io.guestmem.snp.verify"));
  }
}
