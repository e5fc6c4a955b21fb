package io.guestmem.vectors.run;

import io.guestmem.attestation.InvalidRequestException;
import io.guestmem.attestation.TeeVerifier;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.policy.AppraisalPolicy;
import io.guestmem.attestation.policy.PolicyException;
import io.guestmem.vectors.CaseResult;
import io.guestmem.vectors.format.AttestationCase;
import io.guestmem.vectors.format.AttestationInputs;
import io.guestmem.vectors.format.Expected;
import io.guestmem.vectors.format.FileRef;
import io.guestmem.vectors.format.InputRoot;
import io.guestmem.vectors.format.Mutation;
import io.guestmem.vectors.format.VectorGroup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.function.Supplier;

/**
 * Runs attestation cases: reads the inputs, applies the mutations, verifies with the registered
 * verifier plug-ins at the case's fixed time and compares the verdict with the expectation. Each
 * case gets a verifier registry with caching disabled, so no case can see another's collateral.
 */
public final class AttestationCaseRunner {
  private final Supplier<Verifiers> verifiers;
  private final Path scratch;

  /**
   * @param verifiers gives the registry to verify with (called once per case)
   * @param scratch a temporary directory for laid-out collateral bundles
   */
  public AttestationCaseRunner(Supplier<Verifiers> verifiers, Path scratch) {
    this.verifiers = verifiers;
    this.scratch = scratch;
  }

  /** A registry of every {@link TeeVerifier} on the class path, without a cache. */
  public static Verifiers discoveredVerifiers() {
    Verifiers v = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC());
    ServiceLoader.load(TeeVerifier.class).forEach(v::register);
    return v;
  }

  /** The evidence bytes of a case: file or hex, then appended files, then mutations. */
  public static byte[] evidence(Path root, AttestationInputs in) throws InputFiles.BadInputException {
    byte[] ev = in.evidence().file().isPresent() ? InputFiles.read(root, in.evidence().file().get())
        : HexFormat.of().parseHex(in.evidence().hex().orElseThrow());
    for (FileRef f : in.evidence().append()) {
      byte[] tail = InputFiles.read(root, f);
      byte[] joined = java.util.Arrays.copyOf(ev, ev.length + tail.length);
      System.arraycopy(tail, 0, joined, ev.length, tail.length);
      ev = joined;
    }
    for (Mutation m : in.evidence().mutations()) {
      try {
        ev = m.apply(ev);
      } catch (IllegalArgumentException e) {
        throw new InputFiles.BadInputException("mutation " + m + " does not fit: " + e.getMessage());
      }
    }
    return ev;
  }

  /** The root that the group's relative paths resolve against, or empty if it is absent. */
  public static Optional<Path> root(VectorGroup g) {
    if (g.inputRoot() == InputRoot.SHARED_VECTORS) {
      return InputFiles.sharedVectorsDir();
    }
    Path dir = g.file().toAbsolutePath().getParent();
    return Optional.of(dir);
  }

  /**
   * The request a case describes, with {@code evidence} as its evidence bytes (the mutation
   * sweep substitutes mutants here).
   */
  public VerificationRequest request(Verifiers v, Path root, AttestationCase c, byte[] evidence)
      throws InputFiles.BadInputException, PolicyException {
    AttestationInputs in = c.inputs();
    VerificationRequest.Builder b = VerificationRequest.builder().evidence(evidence).at(c.at());
    for (FileRef f : in.certificates()) {
      b.certificateFile(InputFiles.resolve(root, f));
    }
    for (FileRef f : in.crls()) {
      b.crlFile(InputFiles.resolve(root, f));
    }
    if (in.tcbInfo().isPresent()) {
      b.tcbInfoFile(InputFiles.resolve(root, in.tcbInfo().get()));
    }
    if (in.tcbInfoChain().isPresent()) {
      b.tcbInfoChainFile(InputFiles.resolve(root, in.tcbInfoChain().get()));
    }
    if (in.qeIdentity().isPresent()) {
      b.qeIdentityFile(InputFiles.resolve(root, in.qeIdentity().get()));
    }
    if (in.qeIdentityChain().isPresent()) {
      b.qeIdentityChainFile(InputFiles.resolve(root, in.qeIdentityChain().get()));
    }
    if (in.collateralDir().isPresent()) {
      b.collateralDir(InputFiles.resolve(root, in.collateralDir().get()));
    }
    if (in.collateralBundle().isPresent()) {
      byte[] bundle = InputFiles.read(root, in.collateralBundle().get());
      Path dir;
      try {
        dir = Files.createTempDirectory(scratch, "bundle-");
      } catch (IOException e) {
        throw new InputFiles.BadInputException("cannot create a scratch directory: " + e.getMessage());
      }
      InputFiles.layOutDcapQvlBundle(bundle, dir);
      if (in.bundleAsFiles()) {
        try (var files = Files.list(dir.resolve("tdx/certification/v4/tcb"))) {
          Path tcb = files.filter(f -> !f.toString().endsWith(".issuer-chain")).findFirst()
              .orElseThrow(() -> new InputFiles.BadInputException("the bundle has no TCB Info"));
          b.tcbInfoFile(tcb).tcbInfoChainFile(Path.of(tcb + ".issuer-chain"));
        } catch (IOException e) {
          throw new InputFiles.BadInputException("cannot list the laid-out bundle: " + e.getMessage());
        }
        b.qeIdentityFile(dir.resolve("tdx/certification/v4/qe/identity"))
            .qeIdentityChainFile(dir.resolve("tdx/certification/v4/qe/identity.issuer-chain"))
            .crlFile(dir.resolve("sgx/certification/v4/pckcrl/platform")).crlFile(dir.resolve("sgx/certification/v4/rootcacrl"));
      } else {
        b.collateralDir(dir);
      }
    }
    if (in.trustedEmulatedRoots().isPresent()) {
      b.trustedEmulatedRootsDir(InputFiles.resolve(root, in.trustedEmulatedRoots().get()));
    }
    in.nonceHex().ifPresent(h -> b.nonce(HexFormat.of().parseHex(h)));
    if (c.policyJson().isPresent()) {
      b.policy(AppraisalPolicy.parse(c.policyJson().get().getBytes(StandardCharsets.UTF_8), v.plugins()));
    }
    return b.build();
  }

  /** Runs one case; never throws. */
  public CaseResult run(VectorGroup g, AttestationCase c) {
    Optional<Path> root = root(g);
    if (root.isEmpty()) {
      return CaseResult.skipped(g.group(), c.id(), c.comment(), "real vectors absent (set -Dguestmem.vectors.dir or "
          + "place them at ../shared/vectors): skipped");
    }
    Optional<String> finding = KnownFindings.skipReason(c.tags());
    if (finding.isPresent()) {
      return CaseResult.skipped(g.group(), c.id(), c.comment(), finding.get());
    }
    Verifiers v = verifiers.get();
    Verdict verdict;
    try {
      byte[] ev = evidence(root.get(), c.inputs());
      verdict = v.verify(request(v, root.get(), c, ev));
    } catch (InputFiles.BadInputException e) {
      return CaseResult.failed(g.group(), c.id(), c.comment(), "broken vector: " + e.getMessage(), List.of(), "");
    } catch (PolicyException e) {
      return CaseResult.failed(g.group(), c.id(), c.comment(), "policy rejected: " + e.getMessage(), List.of(), "");
    } catch (InvalidRequestException e) {
      String actual = "requestError " + e.reason() + " (" + e.getMessage() + ")";
      Expected x = c.expected();
      if (x.requestError().isPresent() && x.requestError().get().equals(e.reason())) {
        return CaseResult.passed(g.group(), c.id(), c.comment(), actual);
      }
      return CaseResult.failed(g.group(), c.id(), c.comment(), "verdict differs",
          List.of("- " + expectedLine(x), "+ " + actual), actual);
    } catch (RuntimeException e) {
      return CaseResult.failed(g.group(), c.id(), c.comment(), "unexpected exception " + e, List.of(), stack(e));
    }
    List<String> diffs = compare(c.expected(), verdict);
    String actual = describe(verdict);
    return diffs.isEmpty() ? CaseResult.passed(g.group(), c.id(), c.comment(), actual)
        : CaseResult.failed(g.group(), c.id(), c.comment(), "verdict differs", diffs, actual);
  }

  /** "check-id:reason" of every failed check, in order. */
  public static List<String> failures(Verdict v) {
    return v.failures().stream().map(f -> f.id() + ":" + f.reason()).toList();
  }

  /** Expected-versus-actual lines ("- expected", "+ actual"), empty when the verdict matches. */
  public static List<String> compare(Expected x, Verdict v) {
    List<String> d = new ArrayList<>();
    if (x.requestError().isPresent()) {
      d.add("- requestError " + x.requestError().get());
      d.add("+ verdict " + v.status().earName() + " " + failures(v));
      return d;
    }
    String status = v.status().earName();
    if (!x.status().orElseThrow().equals(status)) {
      d.add("- status " + x.status().get());
      d.add("+ status " + status);
    }
    String tcb = v.tcb() == null ? "(none)" : v.tcb().status();
    if (x.tcbStatus().isPresent() && !x.tcbStatus().get().equals(tcb)) {
      d.add("- tcbStatus " + x.tcbStatus().get());
      d.add("+ tcbStatus " + tcb);
    }
    List<String> adv = v.tcb() == null ? List.of() : v.tcb().advisories();
    if (x.advisories().isPresent() && !x.advisories().get().equals(adv)) {
      d.add("- advisories " + x.advisories().get());
      d.add("+ advisories " + adv);
    }
    List<String> got = failures(v);
    if (x.failures().isPresent() && !x.failures().get().equals(got)) {
      for (String f : x.failures().get()) {
        if (!got.contains(f)) {
          d.add("- failure " + f);
        }
      }
      for (String f : got) {
        if (!x.failures().get().contains(f)) {
          d.add("+ failure " + f);
        }
      }
      if (d.isEmpty() || d.stream().noneMatch(s -> s.contains("failure"))) {
        d.add("- failures in order " + x.failures().get());
        d.add("+ failures in order " + got);
      }
    }
    for (String r : x.reasons()) {
      if (!v.failedWith(r)) {
        d.add("- a failed check with reason " + r);
      }
    }
    if (status.equals("contraindicated") && got.isEmpty()) {
      d.add("+ contraindicated without any failed check");
    }
    if (x.status().get().equals("contraindicated") && x.failures().isEmpty() && x.reasons().isEmpty() && got.isEmpty()) {
      d.add("- at least one failed check");
    }
    return d;
  }

  static String expectedLine(Expected x) {
    return x.requestError().map(r -> "requestError " + r)
        .orElseGet(() -> "status " + x.status().orElseThrow() + x.failures().map(f -> " " + f).orElse(""));
  }

  public static String describe(Verdict v) {
    return v.status().earName() + (v.tcb() == null ? "" : " tcb=" + v.tcb().status() + " advisories=" + v.tcb().advisories())
        + " failures=" + failures(v) + (v.notRun().isEmpty() ? "" : " notRun="
        + v.notRun().stream().map(n -> n.id()).toList());
  }

  private static String stack(Throwable e) {
    java.io.StringWriter w = new java.io.StringWriter();
    e.printStackTrace(new java.io.PrintWriter(w));
    String s = w.toString();
    return s.length() > 4000 ? s.substring(0, 4000) : s;
  }
}
