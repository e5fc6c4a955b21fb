package io.guestmem.vectors.sweep;

import io.guestmem.attestation.InvalidRequestException;
import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.policy.PolicyException;
import io.guestmem.vectors.format.AttestationCase;
import io.guestmem.vectors.format.VectorGroup;
import io.guestmem.vectors.run.AttestationCaseRunner;
import io.guestmem.vectors.run.InputFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The library behind {@code guestmem vectors sweep}: for a positive attestation case, verifies
 * mutants of its evidence with the case's own collateral, time and policy, and requires every one to
 * be rejected with a reason: a contraindicated verdict, or a refused request
 * ({@code unknown_evidence}). A mutant that gives affirming or warning is <em>accepted</em>; a
 * {@link RuntimeException} from the verifier is an <em>unexpected exception</em>; both are findings.
 *
 * <p>Mutants: every bit of the signed region flipped (quote: header and body, plus the v5 body
 * descriptor; report: bytes 0x000–0x29F), then at every field boundary (see {@link SignedLayout}) the
 * evidence truncated there and a zero byte inserted there. Cuts at or after the end of the quote or
 * report proper, and insertions that leave its bytes unchanged (a zero pushed into zeros that run
 * to the end), only add or remove padding and are not mutants. {@code maxBitFlips} bounds the bit flips by
 * flipping every k-th bit with k chosen so that at most that many are tried, starting at a
 * different bit of the byte for successive bytes so all bit positions are covered; {@code 0} means all.
 */
public final class MutationSweep {
  private final Verifiers verifiers;
  private final AttestationCaseRunner runner;

  /** Sweeps with {@code verifiers} (its cache is reused across mutants, as in a long-lived verifier); {@code scratch} holds laid-out bundles. */
  public MutationSweep(Verifiers verifiers, Path scratch) {
    this.verifiers = verifiers;
    this.runner = new AttestationCaseRunner(() -> verifiers, scratch);
  }

  /** What one sweep found. */
  public record Report(String caseId, String tee, int signedBytes, int mutants, int rejected,
      List<String> accepted, List<String> unexpectedExceptions, Map<String, Integer> reasons) {
    public Report {
      accepted = List.copyOf(accepted);
      unexpectedExceptions = List.copyOf(unexpectedExceptions);
      reasons = java.util.Collections.unmodifiableMap(new TreeMap<>(reasons));
    }

    public boolean clean() {
      return accepted.isEmpty() && unexpectedExceptions.isEmpty() && rejected == mutants;
    }

    @Override
    public String toString() {
      return String.format("%s (%s, %d signed bytes): %d mutants, %d rejected, %d accepted, %d unexpected exceptions",
          caseId, tee, signedBytes, mutants, rejected, accepted.size(), unexpectedExceptions.size());
    }
  }

  /**
   * The library behind {@code guestmem vectors sweep [PATH…] [--filter GLOB] [--max-bit-flips N]}: sweeps every
   * positive attestation case (expected affirming or warning, not a known finding) of the group files found under
   * {@code paths} (none: the bundled vectors), in file order. Groups whose inputs are absent (real vectors
   * not present) are left out. {@code each} sees every report as it is produced.
   */
  public static List<Report> sweepPositives(List<Path> paths, String filterGlob, int maxBitFlips,
      java.util.function.Consumer<Report> each) throws java.io.IOException, InputFiles.BadInputException, PolicyException {
    List<Path> files = new ArrayList<>();
    for (Path p : paths.isEmpty() ? List.of(io.guestmem.vectors.VectorRunner.bundledVectorsDir()) : paths) {
      files.addAll(io.guestmem.vectors.VectorRunner.groupFiles(p));
    }
    java.nio.file.PathMatcher m = filterGlob == null || filterGlob.isBlank() ? null
        : java.nio.file.FileSystems.getDefault().getPathMatcher("glob:" + filterGlob);
    List<Report> out = new ArrayList<>();
    Path scratch = java.nio.file.Files.createTempDirectory("guestmem-sweep-");
    try {
      MutationSweep sweep = new MutationSweep(Verifiers.discover(), scratch);
      for (Path f : files) {
        VectorGroup g;
        try {
          g = io.guestmem.vectors.format.VectorLoader.load(f);
        } catch (io.guestmem.vectors.format.MalformedVectorException e) {
          throw new InputFiles.BadInputException(e.getMessage());
        }
        if (g.kind() != VectorGroup.Kind.ATTESTATION || AttestationCaseRunner.root(g).isEmpty()) {
          continue;
        }
        for (var vc : g.cases()) {
          AttestationCase c = (AttestationCase) vc;
          boolean positive = c.expected().status().map(st -> !st.equals("contraindicated")).orElse(false);
          boolean selected = m == null || m.matches(Path.of(g.group(), c.id()));
          if (positive && selected && io.guestmem.vectors.run.KnownFindings.skipReason(c.tags()).isEmpty()) {
            Report r = sweep.sweep(g, c, maxBitFlips);
            each.accept(r);
            out.add(r);
          }
        }
      }
    } finally {
      io.guestmem.vectors.Trees.delete(scratch);
    }
    return out;
  }

  /** The sweep of one case of {@code group}; the case must be a positive one (affirming or warning). */
  public Report sweep(VectorGroup group, AttestationCase c, int maxBitFlips) throws InputFiles.BadInputException,
      PolicyException {
    if (c.expected().status().isEmpty() || c.expected().status().get().equals("contraindicated")) {
      throw new IllegalArgumentException(c.id() + " is not a positive case; only accepted evidence can be swept");
    }
    Path root = AttestationCaseRunner.root(group).orElseThrow(() -> new InputFiles.BadInputException(
        "inputs of " + group.group() + " are absent"));
    byte[] original = AttestationCaseRunner.evidence(root, c.inputs());
    SignedLayout layout = SignedLayout.of(original).orElseThrow(() -> new InputFiles.BadInputException(
        c.id() + ": evidence is neither a TDX quote v4/v5, an SGX quote v3 nor an SNP report"));
    List<String> accepted = new ArrayList<>();
    List<String> exceptions = new ArrayList<>();
    Map<String, Integer> reasons = new TreeMap<>();
    int[] counts = new int[2];
    int bits = layout.signedEnd() * 8;
    int stride = maxBitFlips <= 0 ? 1 : Math.max(1, (bits + maxBitFlips - 1) / maxBitFlips);
    for (int i = 0; i < bits; i += stride) {
      int bit = stride == 1 ? i : (i / 8) * 8 + ((i + i / 8) % 8);
      byte[] m = original.clone();
      m[bit / 8] ^= (byte) (1 << (bit % 8));
      judge(group, c, root, m, String.format("flip bit %d of byte 0x%x", bit % 8, bit / 8), accepted, exceptions, reasons, counts);
    }
    int end = layout.evidenceEnd();
    for (int cut : layout.boundaries()) {
      if (cut >= end) {
        continue; // cutting or padding after the evidence proper changes no field
      }
      judge(group, c, root, Arrays.copyOf(original, cut), "truncate at 0x" + Integer.toHexString(cut), accepted, exceptions,
          reasons, counts);
      byte[] m = new byte[original.length + 1];
      System.arraycopy(original, 0, m, 0, cut);
      System.arraycopy(original, cut, m, cut + 1, original.length - cut);
      if (Arrays.equals(m, 0, end, original, 0, end)) {
        continue; // inserting a zero into a run of zeros that reaches the end only appends padding
      }
      judge(group, c, root, m, "insert 0x00 at 0x" + Integer.toHexString(cut), accepted, exceptions, reasons, counts);
    }
    return new Report(group.group() + "/" + c.id(), layout.tee(), layout.signedEnd(), counts[0], counts[1], accepted,
        exceptions, reasons);
  }

  private void judge(VectorGroup g, AttestationCase c, Path root, byte[] mutant, String what, List<String> accepted,
      List<String> exceptions, Map<String, Integer> reasons, int[] counts) throws InputFiles.BadInputException, PolicyException {
    counts[0]++;
    try {
      Verdict v = verifiers.verify(runner.request(verifiers, root, c, mutant));
      if (v.status() == TrustStatus.CONTRAINDICATED && !v.failures().isEmpty()) {
        counts[1]++;
        reasons.merge(v.failures().get(0).reason(), 1, Integer::sum);
      } else {
        accepted.add(what + ": " + AttestationCaseRunner.describe(v));
      }
    } catch (InvalidRequestException e) {
      counts[1]++;
      reasons.merge("request:" + e.reason(), 1, Integer::sum);
    } catch (RuntimeException e) {
      exceptions.add(what + ": " + e);
    }
  }
}
