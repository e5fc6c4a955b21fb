package io.guestmem.attestation.collateral;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * The collateral available to one verification: certificates, CRLs and signed documents given
 * file by file, plus an optional offline {@link CollateralDirectory}. Plug-ins pick what they need
 * by role (subject, issuer, key) and never trust anything here until it has been verified.
 */
public final class Collateral {
  /** Document kind for an Intel TCB Info body. */
  public static final String TCB_INFO = "tcb-info";
  /** Document kind for an Intel QE Identity body. */
  public static final String QE_IDENTITY = "qe-identity";

  private final List<X509CertificateHolder> certificates;
  private final List<X509CRLHolder> crls;
  private final Map<String, SignedDocument> documents;
  private final CollateralDirectory directory;
  private final CollateralFetcher fetcher;

  public Collateral(List<X509CertificateHolder> certificates, List<X509CRLHolder> crls,
      Map<String, SignedDocument> documents, CollateralDirectory directory) {
    this(certificates, crls, documents, directory, null);
  }

  /** As the four-argument form, plus an online fetcher used for what is still missing (may be null). */
  public Collateral(List<X509CertificateHolder> certificates, List<X509CRLHolder> crls,
      Map<String, SignedDocument> documents, CollateralDirectory directory, CollateralFetcher fetcher) {
    this.certificates = List.copyOf(certificates);
    this.crls = List.copyOf(crls);
    this.documents = Map.copyOf(documents);
    this.directory = directory;
    this.fetcher = fetcher;
  }

  public static Collateral none() {
    return new Collateral(List.of(), List.of(), Map.of(), null);
  }

  public List<X509CertificateHolder> certificates() {
    return certificates;
  }

  public List<X509CRLHolder> crls() {
    return crls;
  }

  public Optional<SignedDocument> document(String kind) {
    return Optional.ofNullable(documents.get(kind));
  }

  public Optional<CollateralDirectory> directory() {
    return Optional.ofNullable(directory);
  }

  /** The online fetcher, present only when the caller turned online fetching on. */
  public Optional<CollateralFetcher> fetcher() {
    return Optional.ofNullable(fetcher);
  }

  /** Whether anything at all was supplied. */
  public boolean isEmpty() {
    return certificates.isEmpty() && crls.isEmpty() && documents.isEmpty() && directory == null && fetcher == null;
  }
}
