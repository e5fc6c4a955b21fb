package io.guestmem.attestation.collateral;

import io.guestmem.attestation.pki.CertificateParseException;
import io.guestmem.attestation.pki.Certificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.cert.X509CertificateHolder;

/**
 * An offline collateral directory whose layout mirrors the services' URL paths, so a mirror of
 * Intel PCS (v4) and AMD KDS responses can be dropped in as is:
 *
 * <pre>
 * tdx/certification/v4/tcb/{FMSPC}                 TCB Info body  {"tcbInfo":…,"signature":…}
 * tdx/certification/v4/tcb/{FMSPC}.issuer-chain    TCB-Info-Issuer-Chain header (PEM or URL-encoded PEM)
 * tdx/certification/v4/qe/identity                 QE Identity body {"enclaveIdentity":…,"signature":…}
 * tdx/certification/v4/qe/identity.issuer-chain    SGX-Enclave-Identity-Issuer-Chain header
 * sgx/certification/v4/pckcrl/{platform|processor} PCK CRL (DER or PEM)
 * sgx/certification/v4/pckcrl/{ca}.issuer-chain    SGX-PCK-CRL-Issuer-Chain header
 * sgx/certification/v4/rootcacrl                   Intel SGX Root CA CRL (DER or PEM)
 * vcek/v1/{product}/cert_chain                     ASK then ARK (PEM)
 * vcek/v1/{product}/crl                            ARK-signed CRL (DER)
 * vcek/v1/{product}/{hwid-hex}                     a VCEK (DER) for that chip id
 * vcek/v1/{product}/{hwid-hex}/{tcb-hex}           a VCEK for that chip id and reported TCB (16 hex digits)
 * vlek/v1/{product}/cert_chain                     ASVK then ARK (PEM)
 * vlek/v1/{product}/*.der|*.pem                    VLEKs (issued by the CSP)
 * </pre>
 *
 * FMSPC may be spelled in upper or lower case; a {@code .json} suffix on the bodies is accepted.
 * Reads are confined to the directory.
 *
 * <p>The flat names {@code guestmem emulate tdx} writes into its {@code collateral/} directory are
 * accepted too, after the PCS paths: {@code tcbinfo.json}, {@code qeidentity.json} (issuer chains
 * beside them as {@code *.issuer-chain.pem}), {@code pckcrl.der} (the Platform CA CRL, with
 * {@code pckcrl.issuer-chain.pem}) and {@code rootcrl.der}. A flat TCB Info is not keyed by FMSPC:
 * if it is for another platform the verifier reports {@code collateral_mismatch}.
 */
public final class CollateralDirectory {
  public static final String TDX_TCB = "tdx/certification/v4/tcb/";
  public static final String TDX_QE_IDENTITY = "tdx/certification/v4/qe/identity";
  public static final String SGX_PCK_CRL = "sgx/certification/v4/pckcrl/";
  public static final String SGX_ROOT_CA_CRL = "sgx/certification/v4/rootcacrl";
  public static final String ISSUER_CHAIN_SUFFIX = ".issuer-chain";
  /** Flat names of the emulator's collateral directory. */
  static final String FLAT_TCB_INFO = "tcbinfo.json";
  static final String FLAT_QE_IDENTITY = "qeidentity.json";
  static final String FLAT_PCK_CRL = "pckcrl";
  static final String FLAT_ROOT_CRL = "rootcrl";

  private final Path root;

  public CollateralDirectory(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  /** The bytes at a relative path, if the file exists; paths escaping the root are refused. */
  public Optional<byte[]> read(String relative) throws IOException {
    Path p = root.resolve(relative).normalize();
    if (!p.startsWith(root)) {
      throw new IOException("collateral path escapes the directory: " + relative);
    }
    if (!Files.isRegularFile(p)) {
      return Optional.empty();
    }
    return Optional.of(Files.readAllBytes(p));
  }

  private Optional<String> firstExisting(String... candidates) {
    for (String c : candidates) {
      Path p = root.resolve(c).normalize();
      if (p.startsWith(root) && Files.isRegularFile(p)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  /** Intel TCB Info for an FMSPC (hex), with its issuer chain. */
  public Optional<SignedDocument> intelTcbInfo(String fmspcHex) throws IOException, CertificateParseException {
    String up = fmspcHex.toUpperCase(Locale.ROOT);
    String lo = fmspcHex.toLowerCase(Locale.ROOT);
    return document(firstExisting(TDX_TCB + up, TDX_TCB + lo, TDX_TCB + up + ".json", TDX_TCB + lo + ".json", FLAT_TCB_INFO));
  }

  /** Intel TDX QE Identity with its issuer chain. */
  public Optional<SignedDocument> intelQeIdentity() throws IOException, CertificateParseException {
    return document(firstExisting(TDX_QE_IDENTITY, TDX_QE_IDENTITY + ".json", FLAT_QE_IDENTITY));
  }

  private Optional<SignedDocument> document(Optional<String> path) throws IOException, CertificateParseException {
    if (path.isEmpty()) {
      return Optional.empty();
    }
    byte[] body = read(path.get()).orElseThrow();
    String base = path.get().endsWith(".json") ? path.get().substring(0, path.get().length() - 5) : path.get();
    return Optional.of(new SignedDocument(body, issuerChain(base), root.resolve(path.get()).toString()));
  }

  /** The issuer chain saved beside {@code base}: {@code base.issuer-chain}, or {@code base.issuer-chain.pem}. */
  private List<X509CertificateHolder> issuerChain(String base) throws IOException, CertificateParseException {
    Optional<String> rel = firstExisting(base + ISSUER_CHAIN_SUFFIX, base + ISSUER_CHAIN_SUFFIX + ".pem");
    if (rel.isEmpty()) {
      return List.of();
    }
    return Certificates.parseAll(read(rel.get()).orElseThrow(), root.resolve(rel.get()).toString());
  }

  /** An Intel PCK CRL ({@code platform} or {@code processor}) with the certificates of its issuer chain. */
  public Optional<CrlWithChain> intelPckCrl(String ca) throws IOException, CertificateParseException {
    String base = SGX_PCK_CRL + ca.toLowerCase(Locale.ROOT);
    Optional<X509CRLHolder> crl = crl(base);
    if (crl.isEmpty() && ca.equalsIgnoreCase("platform")) {
      base = FLAT_PCK_CRL;
      crl = crl(base);
    }
    if (crl.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new CrlWithChain(crl.get(), issuerChain(base)));
  }

  /** The Intel SGX Root CA CRL. */
  public Optional<X509CRLHolder> intelRootCaCrl() throws IOException, CertificateParseException {
    Optional<X509CRLHolder> crl = crl(SGX_ROOT_CA_CRL);
    return crl.isPresent() ? crl : crl(FLAT_ROOT_CRL);
  }

  /** A CRL and the issuer chain served with it. */
  public record CrlWithChain(X509CRLHolder crl, List<X509CertificateHolder> issuerChain) {
    public CrlWithChain {
      issuerChain = List.copyOf(issuerChain);
    }
  }

  /** AMD KDS {@code cert_chain} for {@code vcek} or {@code vlek} and a product (ASK/ASVK, then ARK). */
  public List<X509CertificateHolder> amdCertChain(String keyType, String product)
      throws IOException, CertificateParseException {
    String rel = keyType + "/v1/" + product + "/cert_chain";
    Optional<byte[]> b = read(rel);
    return b.isEmpty() ? List.of() : Certificates.parseAll(b.get(), root.resolve(rel).toString());
  }

  /** AMD KDS CRL for a product. */
  public Optional<X509CRLHolder> amdCrl(String product) throws IOException, CertificateParseException {
    return crl("vcek/v1/" + product + "/crl");
  }

  /** VCEKs stored for a product and chip id: the TCB-specific one first, then the chip's default. */
  public List<X509CertificateHolder> amdVceks(String product, String hwidHex, String tcbHex)
      throws IOException, CertificateParseException {
    List<X509CertificateHolder> out = new ArrayList<>();
    String base = "vcek/v1/" + product + "/" + hwidHex.toLowerCase(Locale.ROOT);
    for (String rel : List.of(base + "/" + tcbHex.toLowerCase(Locale.ROOT), base)) {
      Optional<byte[]> b = read(rel);
      if (b.isPresent()) {
        out.addAll(Certificates.parseAll(b.get(), root.resolve(rel).toString()));
      }
    }
    return out;
  }

  /** Every VLEK stored for a product. */
  public List<X509CertificateHolder> amdVleks(String product) throws IOException, CertificateParseException {
    Path dir = root.resolve("vlek/v1/" + product).normalize();
    List<X509CertificateHolder> out = new ArrayList<>();
    if (!dir.startsWith(root) || !Files.isDirectory(dir)) {
      return out;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.sorted().toList()) {
        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
        if (Files.isRegularFile(f) && (n.endsWith(".der") || n.endsWith(".pem") || n.endsWith(".cer"))) {
          out.addAll(Certificates.parseAll(Files.readAllBytes(f), f.toString()));
        }
      }
    }
    return out;
  }

  private Optional<X509CRLHolder> crl(String base) throws IOException, CertificateParseException {
    Optional<String> rel = firstExisting(base, base + ".der", base + ".pem", base + ".crl");
    if (rel.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(Certificates.parseCrls(read(rel.get()).orElseThrow(), root.resolve(rel.get()).toString()).get(0));
  }
}
