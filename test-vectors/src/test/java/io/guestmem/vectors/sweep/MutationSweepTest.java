package io.guestmem.vectors.sweep;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.Verifiers;
import io.guestmem.vectors.VectorSuiteTest;
import io.guestmem.vectors.format.AttestationCase;
import io.guestmem.vectors.format.VectorGroup;
import io.guestmem.vectors.format.VectorLoader;
import io.guestmem.vectors.run.AttestationCaseRunner;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No mutant of a positive vector is accepted and none makes the verifier throw: bit flips across the
 * signed region (sampled, at most {@link #BIT_FLIPS} per vector, every bit position covered) and
 * truncation and insertion at every field boundary. The full sweep (every bit) runs through
 * {@code guestmem vectors sweep}.
 */
class MutationSweepTest {
  static final int BIT_FLIPS = 160;

  @TempDir Path scratch;

  private List<MutationSweep.Report> sweep(String groupFile, String... ids) throws Exception {
    VectorGroup g = VectorLoader.load(VectorSuiteTest.committedVectorsDir().resolve(groupFile));
    MutationSweep sweep = new MutationSweep(Verifiers.discover(), scratch);
    List<MutationSweep.Report> out = new ArrayList<>();
    for (String id : ids) {
      AttestationCase c = (AttestationCase) g.cases().stream().filter(x -> x.id().equals(id)).findFirst().orElseThrow();
      out.add(sweep.sweep(g, c, BIT_FLIPS));
    }
    return out;
  }

  private static void assertClean(List<MutationSweep.Report> reports) {
    List<String> findings = new ArrayList<>();
    for (MutationSweep.Report r : reports) {
      assertThat(r.mutants()).as(r.caseId()).isGreaterThan(BIT_FLIPS);
      r.accepted().forEach(a -> findings.add(r.caseId() + " ACCEPTED " + a));
      r.unexpectedExceptions().forEach(a -> findings.add(r.caseId() + " EXCEPTION " + a));
    }
    assertThat(findings).as("accepted mutants and unexpected exceptions").isEmpty();
  }

  @Test
  void generatedTdxQuotes_rejectEveryMutant() throws Exception {
    assertClean(sweep("generated/tdx-emulated.vectors.json", "v4-td10-tdx15-module", "v5-td15"));
  }

  @Test
  void generatedSnpReports_rejectEveryMutant() throws Exception {
    assertClean(sweep("generated/snp-emulated.vectors.json", "milan-v2-vcek", "turin-v5-vcek", "genoa-v5-vlek"));
  }

  @Test
  void realQuotesAndReports_rejectEveryMutant() throws Exception {
    Assumptions.assumeTrue(io.guestmem.vectors.run.InputFiles.sharedVectorsDir().isPresent(),
        "real vectors absent: skipped");
    assertClean(sweep("real/tdx-real.vectors.json", "qvl-tdx-quote-uptodate", "v5-sample-qvl-outdated-bundle-uptodate",
        "qvl-sgx-quote-config-sw-hardening"));
    assertClean(sweep("real/snp-real.vectors.json", "gsg-milan-v2", "routex-genoa-v5-routex-policy", "routex-turin-v5",
        "trustee-aws-vlek-vmpl1"));
  }

  @Test
  void aNegativeCase_cannotBeSwept() throws Exception {
    VectorGroup g = VectorLoader.load(VectorSuiteTest.committedVectorsDir().resolve("generated/tdx-emulated.vectors.json"));
    AttestationCase neg = (AttestationCase) g.cases().stream().filter(x -> x.id().equals("v4-header-byte")).findFirst().orElseThrow();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new MutationSweep(AttestationCaseRunner.discoveredVerifiers(), scratch)
        .sweep(g, neg, 10)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a positive case");
  }
}
