package io.guestmem.vectors.format;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything besides the evidence that a verifier is given, mirroring
 * {@code io.guestmem.attestation.VerificationRequest}: certificates and CRLs (PEM or DER), PCS
 * TCB Info / QE Identity bodies with their issuer chains, a collateral directory in PCS/KDS
 * mirror layout, a dcap-qvl collateral bundle (laid out as such a directory in a temporary
 * directory at run time, given as that directory or, with {@code bundleAsFiles}, as its TCB Info,
 * QE Identity, issuer chains and CRLs one by one, as the SGX verifier needs them), the directory of emulated roots to trust, and a nonce (hex).
 */
public record AttestationInputs(
    Evidence evidence,
    List<FileRef> certificates,
    List<FileRef> crls,
    Optional<FileRef> tcbInfo,
    Optional<FileRef> tcbInfoChain,
    Optional<FileRef> qeIdentity,
    Optional<FileRef> qeIdentityChain,
    Optional<FileRef> collateralDir,
    Optional<FileRef> collateralBundle,
    boolean bundleAsFiles,
    Optional<FileRef> trustedEmulatedRoots,
    Optional<String> nonceHex) {
  public AttestationInputs {
    Objects.requireNonNull(evidence, "evidence");
    certificates = List.copyOf(certificates);
    crls = List.copyOf(crls);
  }

  /** Every file this case reads (for presence and checksum checks). */
  public List<FileRef> files() {
    java.util.ArrayList<FileRef> all = new java.util.ArrayList<>();
    evidence.file().ifPresent(all::add);
    all.addAll(evidence.append());
    all.addAll(certificates);
    all.addAll(crls);
    tcbInfo.ifPresent(all::add);
    tcbInfoChain.ifPresent(all::add);
    qeIdentity.ifPresent(all::add);
    qeIdentityChain.ifPresent(all::add);
    collateralDir.ifPresent(all::add);
    collateralBundle.ifPresent(all::add);
    trustedEmulatedRoots.ifPresent(all::add);
    return List.copyOf(all);
  }
}
