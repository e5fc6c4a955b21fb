package io.guestmem.vectors.fuzz;

import static io.guestmem.vectors.fuzz.FuzzContract.require;
import static io.guestmem.vectors.fuzz.FuzzContract.requireReasoned;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.guestmem.attestation.TeeVerifier;
import io.guestmem.attestation.policy.AppraisalPolicy;
import io.guestmem.attestation.policy.PolicyException;
import io.guestmem.vectors.run.AttestationCaseRunner;
import java.util.Collection;

/**
 * Coverage-guided fuzzing of the appraisal policy parser, JSON and YAML (the parser picks by the
 * first non-blank character), with the TDX and SNP plug-ins compiling their sections. Regression
 * inputs: {@code src/test/resources/io/guestmem/vectors/fuzz/AppraisalPolicyFuzzTestInputs/policyParser/};
 * long runs: {@code test-vectors/fuzz/run-campaign policy}.
 */
class AppraisalPolicyFuzzTest {
  private static final Collection<? extends TeeVerifier> PLUGINS = AttestationCaseRunner.discoveredVerifiers().plugins();

  /**
   * Any bytes either compile to a policy or are refused with {@link PolicyException}; a compiled
   * policy answers its accessors.
   */
  @FuzzTest(maxDuration = "0s")
  void policyParser(byte[] text) {
    AppraisalPolicy p;
    try {
      p = AppraisalPolicy.parse(text, PLUGINS);
    } catch (PolicyException refused) {
      requireReasoned(refused);
      return;
    }
    require(p.id() != null && p.maxCollateralAge() != null && p.toString() != null, "accessors answer");
    for (TeeVerifier v : PLUGINS) {
      require(p.section(v.tee(), Object.class) != null, "section lookup answers");
    }
  }
}
