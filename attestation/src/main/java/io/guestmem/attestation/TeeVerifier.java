package io.guestmem.attestation;

import com.fasterxml.jackson.databind.JsonNode;
import io.guestmem.attestation.policy.PolicyException;

/**
 * The service-provider interface a TEE plug-in implements (discovered with
 * {@link java.util.ServiceLoader} or registered on {@link Verifiers} explicitly).
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>{@link #recognizes} is a cheap sniff of the first bytes; it never throws.
 *   <li>{@link #compilePolicy} turns the plug-in's section of an appraisal policy file into its
 *       own typed, immutable policy, once; invalid sections are a {@link PolicyException}.
 *   <li>{@link #verify} records every check into the {@link Appraisal}, never throws for hostile
 *       evidence (a parse failure is a failed check with a reason), and uses only the time,
 *       anchors, collateral and cache in the {@link VerificationContext}.
 * </ul>
 */
public interface TeeVerifier {

  /** Short TEE name used in verdicts and policy files, e.g. {@code tdx} or {@code snp}. */
  String tee();

  /** Whether these bytes look like this TEE's evidence. */
  boolean recognizes(Evidence evidence);

  /** Compiles this TEE's policy section; {@code section} is never null (an empty object if absent). */
  Object compilePolicy(JsonNode section) throws PolicyException;

  /** Appraises the evidence, recording checks, claims and TCB status into {@code out}. */
  void verify(Evidence evidence, VerificationContext context, Appraisal out);
}
