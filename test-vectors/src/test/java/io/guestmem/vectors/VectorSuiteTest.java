package io.guestmem.vectors;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every bundled vector file (real, generated, memory) as JUnit dynamic tests: the whole suite runs
 * once through {@link VectorRunner}, collecting every outcome, and then each case becomes one
 * test that reports its own diff; skipped cases (real vectors or kvm absent) are aborted with
 * their reason.
 */
public class VectorSuiteTest {
  private static RunReport report;

  /**
   * The committed vectors: {@code src/main/resources/vectors} of this module (surefire runs in the
   * module directory), so that files left over in {@code target/classes} from earlier builds never count.
   */
  public static Path committedVectorsDir() throws IOException {
    Path src = Path.of("src", "main", "resources", "vectors");
    return Files.isDirectory(src) ? src.toAbsolutePath() : VectorRunner.bundledVectorsDir();
  }

  static synchronized RunReport report() throws IOException {
    if (report == null) {
      report = VectorRunner.run(List.of(committedVectorsDir()), null, ProgressListener.NONE);
    }
    return report;
  }

  @TestFactory
  Stream<DynamicNode> everyBundledVector() throws IOException {
    RunReport r = report();
    Stream<DynamicNode> load = Stream.of(DynamicTest.dynamicTest("every vector file loads",
        () -> assertThat(r.loadErrors()).isEmpty()));
    Stream<DynamicNode> groups = r.groups().stream().map(g -> DynamicContainer.dynamicContainer(
        g.group() + " (" + g.passed() + " passed, " + g.failed() + " failed, " + g.skipped() + " skipped)",
        g.cases().stream().map(c -> DynamicTest.dynamicTest(c.id(), () -> {
          Assumptions.assumeTrue(c.outcome() != CaseResult.Outcome.SKIPPED, c.explanation());
          assertThat(c.outcome()).as(c.describe()).isEqualTo(CaseResult.Outcome.PASSED);
        }))));
    return Stream.concat(load, groups);
  }
}
