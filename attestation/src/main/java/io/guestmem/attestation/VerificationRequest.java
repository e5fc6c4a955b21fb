package io.guestmem.attestation;

import io.guestmem.attestation.policy.AppraisalPolicy;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What to verify and with what, as the {@code guestmem verify} command line gives it. Files are
 * only named here; {@link Verifiers#verify(VerificationRequest)} reads them, so a bad file is an
 * {@link InvalidRequestException} at that point.
 *
 * <pre>
 * VerificationRequest.builder()
 *     .evidence(bytes).reportOffset(0)              // or .evidenceFile(path)
 *     .at(Instant.parse("2023-07-01T01:00:00Z"))    // default: now
 *     .collateralDir(dir)                           // PCS / KDS mirror layout
 *     .certificateFile(vcek).crlFile(crl)           // repeatable; PEM or DER
 *     .tcbInfoFile(f).tcbInfoChainFile(chain)       // PCS bodies and issuer chains (PEM or URL-encoded)
 *     .qeIdentityFile(f).qeIdentityChainFile(chain)
 *     .policyFile(p)                                // or .policy(compiled)
 *     .trustedEmulatedRootsDir(d)                   // emulated roots, trusted only if given
 *     .nonce(n)
 *     .build();
 * </pre>
 */
public final class VerificationRequest {
  private final byte[] evidence;
  private final Path evidenceFile;
  private final int reportOffset;
  private final Instant at;
  private final Path collateralDir;
  private final List<Path> certificateFiles;
  private final List<Path> crlFiles;
  private final Path tcbInfoFile;
  private final Path tcbInfoChainFile;
  private final Path qeIdentityFile;
  private final Path qeIdentityChainFile;
  private final Path policyFile;
  private final AppraisalPolicy policy;
  private final Path trustedEmulatedRootsDir;
  private final byte[] nonce;
  private final io.guestmem.attestation.collateral.CollateralFetcher fetcher;

  private VerificationRequest(Builder b) {
    this.evidence = b.evidence == null ? null : b.evidence.clone();
    this.evidenceFile = b.evidenceFile;
    this.reportOffset = b.reportOffset;
    this.at = b.at;
    this.collateralDir = b.collateralDir;
    this.certificateFiles = List.copyOf(b.certificateFiles);
    this.crlFiles = List.copyOf(b.crlFiles);
    this.tcbInfoFile = b.tcbInfoFile;
    this.tcbInfoChainFile = b.tcbInfoChainFile;
    this.qeIdentityFile = b.qeIdentityFile;
    this.qeIdentityChainFile = b.qeIdentityChainFile;
    this.policyFile = b.policyFile;
    this.policy = b.policy;
    this.trustedEmulatedRootsDir = b.trustedEmulatedRootsDir;
    this.nonce = b.nonce == null ? null : b.nonce.clone();
    this.fetcher = b.fetcher;
  }

  public static Builder builder() {
    return new Builder();
  }

  Optional<byte[]> evidence() {
    return Optional.ofNullable(evidence).map(byte[]::clone);
  }

  Optional<Path> evidenceFile() {
    return Optional.ofNullable(evidenceFile);
  }

  public int reportOffset() {
    return reportOffset;
  }

  public Optional<Instant> at() {
    return Optional.ofNullable(at);
  }

  public Optional<Path> collateralDir() {
    return Optional.ofNullable(collateralDir);
  }

  public List<Path> certificateFiles() {
    return certificateFiles;
  }

  public List<Path> crlFiles() {
    return crlFiles;
  }

  public Optional<Path> tcbInfoFile() {
    return Optional.ofNullable(tcbInfoFile);
  }

  public Optional<Path> tcbInfoChainFile() {
    return Optional.ofNullable(tcbInfoChainFile);
  }

  public Optional<Path> qeIdentityFile() {
    return Optional.ofNullable(qeIdentityFile);
  }

  public Optional<Path> qeIdentityChainFile() {
    return Optional.ofNullable(qeIdentityChainFile);
  }

  public Optional<Path> policyFile() {
    return Optional.ofNullable(policyFile);
  }

  public Optional<AppraisalPolicy> policy() {
    return Optional.ofNullable(policy);
  }

  public Optional<Path> trustedEmulatedRootsDir() {
    return Optional.ofNullable(trustedEmulatedRootsDir);
  }

  public Optional<byte[]> nonce() {
    return Optional.ofNullable(nonce).map(byte[]::clone);
  }

  /** The online fetcher, when online fetching is on (off by default). */
  public Optional<io.guestmem.attestation.collateral.CollateralFetcher> fetcher() {
    return Optional.ofNullable(fetcher);
  }

  /** Collects a request; {@link #build()} checks that exactly one evidence source is set. */
  public static final class Builder {
    private byte[] evidence;
    private Path evidenceFile;
    private int reportOffset;
    private Instant at;
    private Path collateralDir;
    private final List<Path> certificateFiles = new ArrayList<>();
    private final List<Path> crlFiles = new ArrayList<>();
    private Path tcbInfoFile;
    private Path tcbInfoChainFile;
    private Path qeIdentityFile;
    private Path qeIdentityChainFile;
    private Path policyFile;
    private AppraisalPolicy policy;
    private Path trustedEmulatedRootsDir;
    private byte[] nonce;
    private io.guestmem.attestation.collateral.CollateralFetcher fetcher;

    private Builder() {}

    /** Turns online fetching on: what is still missing is fetched from PCS/PCCS or KDS (off by default). */
    public Builder fetchOnline(io.guestmem.attestation.collateral.CollateralFetcher fetcher) {
      this.fetcher = fetcher;
      return this;
    }

    public Builder evidence(byte[] bytes) {
      this.evidence = bytes.clone();
      return this;
    }

    public Builder evidenceFile(Path file) {
      this.evidenceFile = file;
      return this;
    }

    /** Offset of the report or quote inside a larger buffer (default 0). */
    public Builder reportOffset(int offset) {
      if (offset < 0) {
        throw new IllegalArgumentException("report offset must not be negative");
      }
      this.reportOffset = offset;
      return this;
    }

    public Builder at(Instant at) {
      this.at = at;
      return this;
    }

    public Builder collateralDir(Path dir) {
      this.collateralDir = dir;
      return this;
    }

    public Builder certificateFile(Path file) {
      certificateFiles.add(Objects.requireNonNull(file));
      return this;
    }

    public Builder crlFile(Path file) {
      crlFiles.add(Objects.requireNonNull(file));
      return this;
    }

    public Builder tcbInfoFile(Path file) {
      this.tcbInfoFile = file;
      return this;
    }

    public Builder tcbInfoChainFile(Path file) {
      this.tcbInfoChainFile = file;
      return this;
    }

    public Builder qeIdentityFile(Path file) {
      this.qeIdentityFile = file;
      return this;
    }

    public Builder qeIdentityChainFile(Path file) {
      this.qeIdentityChainFile = file;
      return this;
    }

    public Builder policyFile(Path file) {
      this.policyFile = file;
      return this;
    }

    public Builder policy(AppraisalPolicy compiled) {
      this.policy = compiled;
      return this;
    }

    public Builder trustedEmulatedRootsDir(Path dir) {
      this.trustedEmulatedRootsDir = dir;
      return this;
    }

    public Builder nonce(byte[] nonce) {
      this.nonce = nonce.clone();
      return this;
    }

    public VerificationRequest build() {
      if ((evidence == null) == (evidenceFile == null)) {
        throw new IllegalStateException("set exactly one of evidence(bytes) and evidenceFile(path)");
      }
      if (policy != null && policyFile != null) {
        throw new IllegalStateException("set at most one of policy and policyFile");
      }
      return new VerificationRequest(this);
    }
  }
}
