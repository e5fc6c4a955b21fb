package io.guestmem.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VectorsCommandTest {
  @TempDir Path tmp;

  @Test
  void runPrintsATableAndJsonAndExitsZeroWhenEverySelectedCasePasses() throws Exception {
    EmulateAndVerifyCommandTest.Run table = EmulateAndVerifyCommandTest.run("vectors", "run", "--filter", "snp-emulated/milan-*");
    assertThat(table.exit()).as(table.out() + table.err()).isZero();
    assertThat(table.out()).contains("snp-emulated");

    EmulateAndVerifyCommandTest.Run json = EmulateAndVerifyCommandTest.run("vectors", "run", "--filter", "memory-semantics/*", "--json");
    assertThat(json.exit()).as(json.out() + json.err()).isZero();
    JsonNode n = new ObjectMapper().readTree(json.out());
    assertThat(n.get("allPassed").asBoolean()).isTrue();
    assertThat(n.get("passed").asLong()).isPositive();
    assertThat(n.get("failed").asLong()).isZero();
  }

  @Test
  void sweepRejectsEveryMutantOfAPositiveCase() {
    EmulateAndVerifyCommandTest.Run sweep = EmulateAndVerifyCommandTest.run("vectors", "sweep", "--filter", "snp-emulated/milan-v5-vcek",
        "--max-bit-flips", "32");
    assertThat(sweep.exit()).as(sweep.out() + sweep.err()).isZero();
    assertThat(sweep.out()).containsPattern("1 cases, \\d+ mutants, 0 accepted, 0 unexpected exceptions");
  }

  @Test
  void generateWritesTheGroupsAndBadPathsAreUsageErrors() throws Exception {
    Path out = tmp.resolve("gen");
    EmulateAndVerifyCommandTest.Run gen = EmulateAndVerifyCommandTest.run("vectors", "generate", "--out", out.toString());
    assertThat(gen.exit()).as(gen.err()).isZero();
    try (Stream<Path> s = Files.walk(out)) {
      assertThat(s.filter(p -> p.toString().endsWith(".vectors.json")).count()).isGreaterThanOrEqualTo(2);
    }
    assertThat(EmulateAndVerifyCommandTest.run("vectors", "run", tmp.resolve("nope").toString()).exit()).isEqualTo(Main.EXIT_USAGE);
  }
}
