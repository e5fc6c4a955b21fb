package io.guestmem.vectors.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.SignedCollateral;
import io.guestmem.vectors.format.FileRef;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Resolves a case's relative input paths against its root and reads them, checking the recorded
 * SHA-256 first. Real-hardware files are read in place; nothing is copied into the project (a dcap-qvl
 * bundle is laid out in a temporary directory of the run).
 */
public final class InputFiles {
  private InputFiles() {}

  /** A file that is missing, unreadable or whose checksum differs: the case fails with this message. */
  public static final class BadInputException extends Exception {
    private static final long serialVersionUID = 1L;

    public BadInputException(String message) {
      super(message);
    }
  }

  /**
   * The real-hardware vectors directory: system property {@code guestmem.vectors.dir} when it is
   * set (empty if that directory does not exist), else {@code ../shared/vectors} next to the working
   * directory or one of its two parents; empty when none exists.
   */
  public static Optional<Path> sharedVectorsDir() {
    String prop = System.getProperty("guestmem.vectors.dir");
    if (prop != null && !prop.isBlank()) {
      Path p = Path.of(prop);
      return Files.isDirectory(p) ? Optional.of(p.toAbsolutePath().normalize()) : Optional.empty();
    }
    Path cwd = Path.of("").toAbsolutePath();
    for (Path p = cwd; p != null; p = p.getParent()) {
      Path candidate = p.resolve("../shared/vectors").normalize();
      if (Files.isDirectory(candidate) && Files.isRegularFile(candidate.resolve("MANIFEST.md"))) {
        return Optional.of(candidate);
      }
      if (cwd.getNameCount() - p.getNameCount() >= 2) {
        break;
      }
    }
    return Optional.empty();
  }

  /** The path of {@code ref} under {@code root}, after checking that it exists and matches its SHA-256. */
  public static Path resolve(Path root, FileRef ref) throws BadInputException {
    Path p = root.resolve(ref.file()).normalize();
    if (!p.startsWith(root.normalize())) {
      throw new BadInputException("input " + ref.file() + " escapes its root");
    }
    if (!Files.exists(p)) {
      throw new BadInputException("input file missing: " + p);
    }
    if (ref.sha256().isPresent()) {
      if (!Files.isRegularFile(p)) {
        throw new BadInputException("input " + p + " has a SHA-256 but is not a file");
      }
      String got = sha256(readRaw(p));
      if (!got.equals(ref.sha256().get())) {
        throw new BadInputException("SHA-256 of " + ref.file() + " is " + got + ", the vector records " + ref.sha256().get());
      }
    }
    return p;
  }

  /** The bytes of {@code ref}, decoded according to its encoding. */
  public static byte[] read(Path root, FileRef ref) throws BadInputException {
    byte[] b = readRaw(resolve(root, ref));
    if (ref.encoding() == FileRef.Encoding.HEX_TEXT) {
      String s = new String(b, StandardCharsets.US_ASCII).strip();
      try {
        return HexFormat.of().parseHex(s);
      } catch (IllegalArgumentException e) {
        throw new BadInputException(ref.file() + " is declared hex-text but is not hex: " + e.getMessage());
      }
    }
    return b;
  }

  private static byte[] readRaw(Path p) throws BadInputException {
    try {
      return Files.readAllBytes(p);
    } catch (IOException e) {
      throw new BadInputException("cannot read " + p + ": " + e.getMessage());
    }
  }

  public static String sha256(byte[] data) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JRE has SHA-256", e);
    }
  }

  /**
   * Lays a dcap-qvl collateral bundle ({@code tcb_info}, {@code tcb_info_signature}, {@code qe_identity},
   * issuer chains, hex DER CRLs) out as an offline collateral directory in PCS layout under {@code into}.
   * The TCB Info and QE Identity bodies are kept byte for byte; only the PCS response envelope is added.
   */
  public static Path layOutDcapQvlBundle(byte[] bundle, Path into) throws BadInputException {
    try {
      ObjectMapper m = new ObjectMapper();
      JsonNode j = m.readTree(bundle);
      byte[] tcbBody = text(j, "tcb_info").getBytes(StandardCharsets.UTF_8);
      String fmspc = m.readTree(tcbBody).path("fmspc").asText("");
      if (!fmspc.matches("[0-9A-Fa-f]{12}")) {
        throw new BadInputException("dcap-qvl bundle: tcb_info has no 12-hex-digit fmspc");
      }
      Path tcb = Files.createDirectories(into.resolve("tdx/certification/v4/tcb"));
      Files.write(tcb.resolve(fmspc), SignedCollateral.encodeResponse("tcbInfo", Bytes.of(tcbBody),
          Bytes.fromHex(text(j, "tcb_info_signature"))));
      Files.writeString(tcb.resolve(fmspc + ".issuer-chain"), text(j, "tcb_info_issuer_chain"));
      Path qe = Files.createDirectories(into.resolve("tdx/certification/v4/qe"));
      Files.write(qe.resolve("identity"), SignedCollateral.encodeResponse("enclaveIdentity",
          Bytes.of(text(j, "qe_identity").getBytes(StandardCharsets.UTF_8)), Bytes.fromHex(text(j, "qe_identity_signature"))));
      Files.writeString(qe.resolve("identity.issuer-chain"), text(j, "qe_identity_issuer_chain"));
      Path crl = Files.createDirectories(into.resolve("sgx/certification/v4/pckcrl"));
      Files.write(crl.resolve("platform"), HexFormat.of().parseHex(text(j, "pck_crl")));
      Files.writeString(crl.resolve("platform.issuer-chain"), text(j, "pck_crl_issuer_chain"));
      Files.write(into.resolve("sgx/certification/v4/rootcacrl"), HexFormat.of().parseHex(text(j, "root_ca_crl")));
      return into;
    } catch (IOException | IllegalArgumentException e) {
      throw new BadInputException("dcap-qvl bundle cannot be laid out: " + e.getMessage());
    }
  }

  private static String text(JsonNode j, String field) throws BadInputException {
    JsonNode v = j.get(field);
    if (v == null || !v.isTextual()) {
      throw new BadInputException("dcap-qvl bundle has no string field " + field);
    }
    return v.textValue();
  }
}
