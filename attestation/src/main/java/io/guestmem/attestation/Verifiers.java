package io.guestmem.attestation;

import io.guestmem.attestation.collateral.Collateral;
import io.guestmem.attestation.collateral.CollateralDirectory;
import io.guestmem.attestation.collateral.SignedDocument;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.pki.CertificateParseException;
import io.guestmem.attestation.pki.Certificates;
import io.guestmem.attestation.policy.AppraisalPolicy;
import io.guestmem.attestation.policy.PolicyException;
import io.guestmem.attestation.trust.TrustAnchors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * The library entry point: a registry of {@link TeeVerifier} plug-ins, a shared
 * {@link VerifiedCache}, and the pipeline
 *
 * <pre>
 * request ─read files─▶ evidence, collateral, anchors, policy
 *         ─detect TEE─▶ plug-in.verify (chains, signatures, CRLs, TCB)
 *         ─policy.apply─▶ generic rules (TCB status, advisories, ages, nonce) ─▶ Verdict
 * </pre>
 *
 * Instances are thread-safe and meant to be long-lived so that the cache and compiled policies are
 * reused across calls.
 */
public final class Verifiers {
  private final List<TeeVerifier> plugins = new CopyOnWriteArrayList<>();
  private final VerifiedCache cache;
  private final Clock clock;
  private final Map<String, CompiledPolicyFile> policyFiles = new ConcurrentHashMap<>();

  /** A policy file's bytes when it was compiled, and what they compiled to. */
  private record CompiledPolicyFile(byte[] content, AppraisalPolicy policy) {}

  public Verifiers(VerifiedCache cache, Clock clock) {
    this.cache = cache;
    this.clock = clock;
  }

  /** A registry holding every plug-in found by {@link ServiceLoader}, with a default cache. */
  public static Verifiers discover() {
    Verifiers v = new Verifiers(VerifiedCache.defaultCache(), Clock.systemUTC());
    ServiceLoader.load(TeeVerifier.class).forEach(v::register);
    return v;
  }

  /** Adds a plug-in; a later registration for the same TEE name replaces the earlier one. */
  public Verifiers register(TeeVerifier verifier) {
    plugins.removeIf(p -> p.tee().equals(verifier.tee()));
    plugins.add(verifier);
    return this;
  }

  public List<TeeVerifier> plugins() {
    return List.copyOf(plugins);
  }

  public VerifiedCache cache() {
    return cache;
  }

  /** The plug-in that recognizes these bytes, if any. */
  public Optional<TeeVerifier> detect(Evidence evidence) {
    return plugins.stream().filter(p -> p.recognizes(evidence)).findFirst();
  }

  /** The policy with no reference values, compiled by the registered plug-ins. */
  public AppraisalPolicy defaultPolicy() {
    return AppraisalPolicy.defaults(plugins);
  }

  /** Compiles a policy file once; it is recompiled only when the file changes. */
  public AppraisalPolicy compilePolicy(Path file) throws InvalidRequestException {
    try {
      // compared by content, not by timestamp and size: two edits within one timestamp tick, of the same size, are still two policies
      byte[] content = Files.readAllBytes(file);
      String key = file.toAbsolutePath().normalize().toString();
      CompiledPolicyFile c = policyFiles.get(key);
      if (c != null && Arrays.equals(c.content(), content)) {
        return c.policy();
      }
      AppraisalPolicy p = AppraisalPolicy.parse(content, plugins);
      policyFiles.put(key, new CompiledPolicyFile(content, p));
      return p;
    } catch (IOException e) {
      throw new InvalidRequestException("bad_file", "cannot read policy " + file + ": " + why(e), e);
    } catch (PolicyException e) {
      throw new InvalidRequestException("bad_policy", file + ": " + e.getMessage(), e);
    }
  }

  /** Reads the request's files and appraises its evidence. */
  public Verdict verify(VerificationRequest request) throws InvalidRequestException {
    byte[] buffer = request.evidence().isPresent() ? request.evidence().get() : read(request.evidenceFile().get());
    int off = request.reportOffset();
    if (buffer.length == 0) {
      // the code stays bad_offset (no report at any offset; vector v4-missing-evidence), the message says why
      throw new InvalidRequestException("bad_offset", request.evidenceFile().isPresent()
          ? "evidence file " + request.evidenceFile().get() + " is empty (0 bytes): there is no quote or report to verify"
          : "the evidence is empty (0 bytes): there is no quote or report to verify");
    }
    if (off >= buffer.length) {
      throw new InvalidRequestException("bad_offset", "report offset " + off + " is beyond the "
          + buffer.length + "-byte evidence buffer");
    }
    Evidence evidence = Evidence.copyOf(buffer, off, buffer.length - off);
    TrustAnchors anchors = TrustAnchors.pinned();
    if (request.trustedEmulatedRootsDir().isPresent()) {
      anchors = anchors.withEmulatedRootsFrom(request.trustedEmulatedRootsDir().get());
    }
    AppraisalPolicy policy = request.policy().isPresent() ? request.policy().get()
        : request.policyFile().isPresent() ? compilePolicy(request.policyFile().get()) : defaultPolicy();
    VerificationContext ctx = new VerificationContext(request.at().orElseGet(clock::instant), anchors,
        collateral(request), cache, policy);
    return verify(evidence, ctx, request.nonce().orElse(null));
  }

  /** Appraises evidence in a prepared context; {@code nonce} may be null. */
  public Verdict verify(Evidence evidence, VerificationContext ctx, byte[] nonce) throws InvalidRequestException {
    TeeVerifier plugin = detect(evidence).orElseThrow(() -> new InvalidRequestException("unknown_evidence",
        "no registered verifier recognizes this evidence (" + evidence.length() + " bytes; plug-ins: "
            + plugins.stream().map(TeeVerifier::tee).toList() + ")"));
    Appraisal a = new Appraisal(plugin.tee(), ctx.at());
    plugin.verify(evidence, ctx, a);
    ctx.policy().apply(a, nonce, a.notRunIds());
    return a.toVerdict(ctx.policy().id());
  }

  private static Collateral collateral(VerificationRequest r) throws InvalidRequestException {
    List<X509CertificateHolder> certs = new ArrayList<>();
    for (Path p : r.certificateFiles()) {
      certs.addAll(parseCerts(read(p), p));
    }
    List<X509CRLHolder> crls = new ArrayList<>();
    for (Path p : r.crlFiles()) {
      try {
        crls.addAll(Certificates.parseCrls(read(p), p.toString()));
      } catch (CertificateParseException e) {
        throw new InvalidRequestException("bad_file", e.getMessage(), e);
      }
    }
    Map<String, SignedDocument> docs = new HashMap<>();
    if (r.tcbInfoFile().isPresent()) {
      docs.put(Collateral.TCB_INFO, document(r.tcbInfoFile().get(), r.tcbInfoChainFile()));
    } else if (r.tcbInfoChainFile().isPresent()) {
      throw new InvalidRequestException("bad_file", "a TCB Info issuer chain was given without a TCB Info");
    }
    if (r.qeIdentityFile().isPresent()) {
      docs.put(Collateral.QE_IDENTITY, document(r.qeIdentityFile().get(), r.qeIdentityChainFile()));
    } else if (r.qeIdentityChainFile().isPresent()) {
      throw new InvalidRequestException("bad_file", "a QE Identity issuer chain was given without a QE Identity");
    }
    CollateralDirectory dir = null;
    if (r.collateralDir().isPresent()) {
      if (!Files.isDirectory(r.collateralDir().get())) {
        throw new InvalidRequestException("bad_file", "collateral directory not found: " + r.collateralDir().get());
      }
      dir = new CollateralDirectory(r.collateralDir().get());
    }
    return new Collateral(certs, crls, docs, dir, r.fetcher().orElse(null));
  }

  private static SignedDocument document(Path body, Optional<Path> chain) throws InvalidRequestException {
    List<X509CertificateHolder> certs = chain.isPresent() ? parseCerts(read(chain.get()), chain.get()) : List.of();
    return new SignedDocument(read(body), certs, body.toString());
  }

  private static List<X509CertificateHolder> parseCerts(byte[] data, Path p) throws InvalidRequestException {
    try {
      return Certificates.parseAll(data, p.toString());
    } catch (CertificateParseException e) {
      throw new InvalidRequestException("bad_file", e.getMessage(), e);
    }
  }

  private static byte[] read(Path p) throws InvalidRequestException {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new InvalidRequestException("bad_file", "cannot read " + p + ": " + why(e), e);
    }
  }

  /** Why a file could not be read, in words (an NIO exception's message is often just the path). */
  static String why(IOException e) {
    if (e instanceof java.nio.file.NoSuchFileException) {
      return "no such file";
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) {
      return f.getReason();
    }
    return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
  }
}
