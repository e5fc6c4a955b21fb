package io.guestmem.vectors;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.guestmem.attestation.Appraisal;
import io.guestmem.attestation.Check;
import io.guestmem.attestation.Evidence;
import io.guestmem.attestation.TeeVerifier;
import io.guestmem.attestation.VerificationContext;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.policy.PolicyException;
import io.guestmem.snp.verify.SnpVerifier;
import io.guestmem.tdx.verify.TdxVerifier;
import io.guestmem.vectors.format.AttestationCase;
import io.guestmem.vectors.format.VectorCase;
import io.guestmem.vectors.format.VectorGroup;
import io.guestmem.vectors.format.VectorLoader;
import io.guestmem.vectors.run.AttestationCaseRunner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runner selects, skips, reports and diffs as documented, and catches a deliberately broken verifier. */
class VectorRunnerTest {
  @TempDir Path tmp;

  /** A TDX verifier that forgets every signature check: it drops those checks from the real verifier's appraisal. */
  static final class SignatureBlindTdxVerifier implements TeeVerifier {
    private final TdxVerifier real = new TdxVerifier();

    @Override
    public String tee() {
      return real.tee();
    }

    @Override
    public boolean recognizes(Evidence evidence) {
      return real.recognizes(evidence);
    }

    @Override
    public Object compilePolicy(JsonNode section) throws PolicyException {
      return real.compilePolicy(section);
    }

    @Override
    public void verify(Evidence evidence, VerificationContext context, Appraisal out) {
      Appraisal inner = new Appraisal(tee(), out.at());
      real.verify(evidence, context, inner);
      Verdict v = inner.toVerdict("");
      for (Check c : v.checks()) {
        if (!c.id().endsWith(".signature")) {
          out.check(c);
        }
      }
      v.notRun().forEach(n -> out.notRun(n.id(), n.reason(), n.detail()));
      v.claims().forEach(out::claim);
      v.collateral().forEach(out::collateral);
      inner.tcb().ifPresent(out::tcb);
      inner.reportData().ifPresent(out::reportData);
      out.trustAnchor(v.trustAnchor(), v.emulated());
      out.signatureValid(true);
    }
  }

  @Test
  void aVerifierThatSkipsSignatures_failsExactlyTheSignatureCases_withReadableDiffs() throws Exception {
    VectorGroup g = VectorLoader.load(VectorSuiteTest.committedVectorsDir().resolve("generated/tdx-emulated.vectors.json"));
    AttestationCaseRunner broken = new AttestationCaseRunner(() -> new Verifiers(VerifiedCache.disabled(), Clock.systemUTC())
        .register(new SignatureBlindTdxVerifier()).register(new SnpVerifier()), tmp);
    List<String> failed = new ArrayList<>();
    List<String> shouldFail = new ArrayList<>();
    for (VectorCase vc : g.cases()) {
      AttestationCase c = (AttestationCase) vc;
      CaseResult r = broken.run(g, c);
      if (r.outcome() == CaseResult.Outcome.FAILED) {
        failed.add(c.id());
        assertThat(r.describe()).as(c.id()).contains("verdict differs").containsPattern("- failure tdx\\.[a-z_.]*signature:");
      }
      if (c.expected().failures().orElse(List.of()).stream().anyMatch(f -> f.contains(".signature:"))) {
        shouldFail.add(c.id());
      }
    }
    assertThat(shouldFail).isNotEmpty();
    assertThat(failed).containsExactlyElementsOf(shouldFail);
  }

  @Test
  void filterGlob_selectsByGroupAndCaseId_andProgressSeesEveryCase() throws Exception {
    Path real = VectorSuiteTest.committedVectorsDir().resolve("real");
    VectorGroup tdx = VectorLoader.load(real.resolve("tdx-real.vectors.json"));
    long sprCases = tdx.cases().stream().filter(c -> c.id().startsWith("spr-e4-")).count();
    AtomicInteger progress = new AtomicInteger();
    AtomicInteger announced = new AtomicInteger();
    RunReport r = VectorRunner.run(List.of(real), "tdx-real/spr-e4-*", new ProgressListener() {
      @Override
      public void started(int totalCases) {
        announced.set(totalCases);
      }

      @Override
      public void caseFinished(CaseResult result, int done, int total) {
        progress.incrementAndGet();
      }
    });
    assertThat(r.groups()).extracting(GroupResult::group).containsExactly("tdx-real");
    assertThat(r.groups().get(0).cases()).hasSize((int) sprCases).allSatisfy(c -> assertThat(c.id()).startsWith("spr-e4-"));
    assertThat(announced.get()).isEqualTo(sprCases);
    assertThat(progress.get()).isEqualTo(sprCases);
    assertThat(VectorRunner.run(List.of(real), "snp-real", ProgressListener.NONE).groups())
        .extracting(GroupResult::group).containsExactly("snp-real");
  }

  @Test
  void realGroups_areSkippedWithAReason_whenTheVectorsDirectoryIsAbsent() throws Exception {
    String before = System.getProperty("guestmem.vectors.dir");
    System.setProperty("guestmem.vectors.dir", tmp.resolve("absent").toString());
    try {
      RunReport r = VectorRunner.run(List.of(VectorSuiteTest.committedVectorsDir().resolve("real")), null, ProgressListener.NONE);
      assertThat(r.groups()).hasSize(2);
      assertThat(r.skipped()).isPositive();
      assertThat(r.passed()).isZero();
      assertThat(r.failed()).isZero();
      assertThat(r.allPassed()).isTrue();
      assertThat(r.groups().get(0).cases()).allSatisfy(c -> assertThat(c.explanation()).contains("real vectors absent"));
    } finally {
      if (before == null) {
        System.clearProperty("guestmem.vectors.dir");
      } else {
        System.setProperty("guestmem.vectors.dir", before);
      }
    }
  }

  @Test
  void aMalformedFile_isALoadError_andTheRunFails_butOtherFilesStillRun() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("v"));
    Files.writeString(dir.resolve("bad.vectors.json"), "{\"format\":\"guestmem-vectors/1\"}");
    Files.copy(VectorSuiteTest.committedVectorsDir().resolve("memory/memory-semantics.vectors.json"),
        dir.resolve("memory.vectors.json"));
    RunReport r = VectorRunner.run(List.of(dir), "memory-semantics/new-lease-*", ProgressListener.NONE);
    assertThat(r.loadErrors()).singleElement().asString().contains("bad.vectors.json").contains("bad.vectors.json: $.cases: required property is missing");
    assertThat(r.passed()).isPositive();
    assertThat(r.allPassed()).isFalse();
    assertThat(r.table()).contains("LOAD ERROR").contains("memory-semantics");
  }

  @Test
  void knownFindingCases_areSkippedWithTheFindingNamed_unlessAskedToRun() throws Exception {
    Path group = tmp.resolve("finding.vectors.json");
    Files.writeString(group, """
        {"format":"guestmem-vectors/1","group":"finding","kind":"attestation","description":"d","specReferences":["s"],
         "provenance":{"type":"hand-written","source":"test"},
         "cases":[{"id":"bug","comment":"reproduces a reported bug","tags":["known-finding:example-bug"],
                   "at":"2026-01-01T00:00:00Z","inputs":{"evidence":{"hex":"00"}},
                   "expected":{"requestError":"unknown_evidence"}}]}
        """);
    RunReport skipped = VectorRunner.run(List.of(group), null, ProgressListener.NONE);
    assertThat(skipped.groups().get(0).cases()).singleElement().satisfies(c -> {
      assertThat(c.outcome()).isEqualTo(CaseResult.Outcome.SKIPPED);
      assertThat(c.explanation()).contains("known finding example-bug");
    });
    assertThat(skipped.table()).contains("skipped 1: known finding example-bug");
    String before = System.getProperty(io.guestmem.vectors.run.KnownFindings.PROPERTY);
    System.setProperty(io.guestmem.vectors.run.KnownFindings.PROPERTY, "run");
    try {
      RunReport ran = VectorRunner.run(List.of(group), null, ProgressListener.NONE);
      assertThat(ran.skipped()).isZero();
      assertThat(ran.passed()).isEqualTo(1);
    } finally {
      if (before == null) {
        System.clearProperty(io.guestmem.vectors.run.KnownFindings.PROPERTY);
      } else {
        System.setProperty(io.guestmem.vectors.run.KnownFindings.PROPERTY, before);
      }
    }
  }

  @Test
  void jsonReport_carriesCountsAndEveryCase() throws Exception {
    RunReport r = VectorRunner.run(List.of(VectorSuiteTest.committedVectorsDir().resolve("memory")), "*-round-trip-*",
        ProgressListener.NONE);
    JsonNode j = new ObjectMapper().readTree(r.toJson());
    assertThat(j.path("allPassed").asBoolean()).isTrue();
    assertThat(j.path("passed").asLong() + j.path("skipped").asLong()).isEqualTo(r.groups().get(0).cases().size());
    JsonNode c = j.path("groups").get(0).path("cases").get(0);
    assertThat(c.path("id").asText()).startsWith("private-round-trip-zeroes-shared@");
    assertThat(c.path("outcome").asText()).isIn("passed", "skipped");
    assertThat(r.table()).startsWith("group").contains("total");
  }
}
