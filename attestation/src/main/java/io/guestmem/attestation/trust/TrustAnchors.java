package io.guestmem.attestation.trust;

import io.guestmem.attestation.InvalidRequestException;
import io.guestmem.attestation.pki.Certificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * The set of roots a verification may chain to. The vendor roots are pinned here by the SHA-256 of
 * their DER certificate (values from the AMD KDS {@code cert_chain} responses and Intel's
 * {@code IntelSGXRootCA.der}, cross-checked in {@code shared/vectors/MANIFEST.md}); the certificates
 * themselves arrive with the evidence or the collateral and are accepted only if their hash is
 * listed. Emulated roots are added only by {@link #withEmulatedRootsFrom(Path)}.
 */
public final class TrustAnchors {

  /** Intel SGX Root CA (2018-05-21 → 2049-12-31), root of PCK and TCB-signing chains. */
  public static final TrustAnchor INTEL_SGX_ROOT_CA = new TrustAnchor("Intel SGX Root CA", "intel", "",
      "44a0196b2b99f889b8e149e95b807a350e7424964399e885a7cbb8ccfab674d3", false);

  /** AMD ARK-Milan (serial 0x10000, 2020-10-22 → 2045-10-22). */
  public static final TrustAnchor AMD_ARK_MILAN = new TrustAnchor("ARK-Milan", "amd", "Milan",
      "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd", false);

  /** AMD ARK-Genoa (serial 0x20000, 2022-01-26 → 2047-01-26). */
  public static final TrustAnchor AMD_ARK_GENOA = new TrustAnchor("ARK-Genoa", "amd", "Genoa",
      "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1", false);

  /** AMD ARK-Turin (serial 0x30000, 2023-05-15 → 2048-05-15). */
  public static final TrustAnchor AMD_ARK_TURIN = new TrustAnchor("ARK-Turin", "amd", "Turin",
      "1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a", false);

  private static final TrustAnchors PINNED =
      new TrustAnchors(List.of(INTEL_SGX_ROOT_CA, AMD_ARK_MILAN, AMD_ARK_GENOA, AMD_ARK_TURIN));

  private final List<TrustAnchor> anchors;

  private TrustAnchors(List<TrustAnchor> anchors) {
    this.anchors = List.copyOf(anchors);
  }

  /** Only the pinned vendor roots. */
  public static TrustAnchors pinned() {
    return PINNED;
  }

  /** The pinned roots plus these emulated ones. */
  public TrustAnchors withEmulated(List<X509CertificateHolder> roots) {
    List<TrustAnchor> all = new ArrayList<>(anchors);
    for (X509CertificateHolder root : roots) {
      String cn = Certificates.commonName(root.getSubject());
      all.add(new TrustAnchor(cn.isEmpty() ? Certificates.name(root.getSubject()) : cn, "emulated", "",
          Certificates.sha256Hex(root), true));
    }
    return new TrustAnchors(all);
  }

  /**
   * The pinned roots plus every certificate found in {@code dir} (files ending in .pem, .crt, .cer
   * or .der), each trusted as an emulated root.
   */
  public TrustAnchors withEmulatedRootsFrom(Path dir) throws InvalidRequestException {
    if (!Files.isDirectory(dir)) {
      throw new InvalidRequestException("bad_file", "emulated roots directory not found: " + dir);
    }
    List<X509CertificateHolder> roots = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.sorted().toList()) {
        String n = f.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (n.endsWith(".pem") || n.endsWith(".crt") || n.endsWith(".cer") || n.endsWith(".der")) {
          roots.addAll(Certificates.parseAll(Files.readAllBytes(f), f.toString()));
        }
      }
    } catch (IOException e) {
      throw new InvalidRequestException("bad_file", "cannot read emulated roots in " + dir, e);
    } catch (io.guestmem.attestation.pki.CertificateParseException e) {
      throw new InvalidRequestException("bad_file", e.getMessage(), e);
    }
    return withEmulated(roots);
  }

  /** The anchor whose pinned hash equals this certificate's, if any. */
  public Optional<TrustAnchor> match(X509CertificateHolder root) {
    String fp = Certificates.sha256Hex(root);
    return anchors.stream().filter(a -> a.sha256().equals(fp)).findFirst();
  }

  public List<TrustAnchor> all() {
    return anchors;
  }

  public boolean trustsEmulated() {
    return anchors.stream().anyMatch(TrustAnchor::emulated);
  }
}
