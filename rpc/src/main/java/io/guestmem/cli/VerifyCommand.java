package io.guestmem.cli;

import io.guestmem.attestation.Check;
import io.guestmem.attestation.InvalidRequestException;
import io.guestmem.attestation.NotRun;
import io.guestmem.attestation.TcbSummary;
import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.ear.EarTokens;
import io.guestmem.attestation.ear.VerdictJson;
import io.guestmem.attestation.ear.VerifierKey;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code guestmem verify}: appraise a TDX quote or an SNP report offline. The exit code follows the
 * verdict's status: 0 affirming or warning (no check failed); 3 contraindicated (some check failed:
 * signature, chain, revocation, collateral, TCB level, policy, nonce); 2 usage or input errors
 * (unreadable files, bad arguments, evidence that is not a quote or report).
 */
@Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Verify a TDX quote or SNP report (the TEE is detected from the bytes) against collateral and a policy.",
        "Exit: 0 status affirming or warning (no check failed); 3 status contraindicated (some check failed, "
            + "including TCB level, policy, reference values and nonce); 2 usage or input error."})
final class VerifyCommand implements Callable<Integer> {
  static final int EXIT_NOT_VERIFIED = 3;

  @Parameters(index = "0", paramLabel = "EVIDENCE", description = "Quote or report file (raw bytes).")
  Path evidence;

  @Option(names = "--collateral", paramLabel = "DIR", description = "Collateral directory (Intel PCS responses; AMD KDS layout).")
  Path collateral;

  @Option(names = "--cert", paramLabel = "FILE", description = "A certificate or chain, PEM or DER (repeatable): VCEK/VLEK, ASK/ARK, PCK chain, …")
  List<Path> certs = new java.util.ArrayList<>();

  @Option(names = "--crl", paramLabel = "FILE", description = "A CRL, DER or PEM (repeatable).")
  List<Path> crls = new java.util.ArrayList<>();

  @Option(names = "--tcb-info", paramLabel = "FILE", description = "Intel PCS TCB Info response body.")
  Path tcbInfo;

  @Option(names = "--tcb-info-chain", paramLabel = "FILE", description = "Its issuer chain: PEM, or URL-encoded PEM as PCS sends it.")
  Path tcbInfoChain;

  @Option(names = "--qe-identity", paramLabel = "FILE", description = "Intel PCS QE Identity response body.")
  Path qeIdentity;

  @Option(names = "--qe-identity-chain", paramLabel = "FILE", description = "Its issuer chain: PEM, or URL-encoded PEM.")
  Path qeIdentityChain;

  @Option(names = "--report-offset", defaultValue = "0", paramLabel = "N", description = "Where the report starts in a larger buffer.")
  int reportOffset;

  @Option(names = "--at", paramLabel = "RFC3339", description = "Verify as of this time (default: now).")
  String at;

  @Option(names = "--policy", paramLabel = "FILE", description = "Appraisal policy (JSON).")
  Path policy;

  @Option(names = "--nonce", paramLabel = "HEX", description = "Nonce the policy's REPORTDATA binding rule checks.")
  String nonce;

  @Option(names = "--trust-emulated-roots", paramLabel = "DIR",
      description = "Also trust the emulated roots in DIR (from guestmem emulate); every verdict then says emulated.")
  Path emulatedRoots;

  @Option(names = "--format", defaultValue = "table", description = "table, json or ear (default: ${DEFAULT-VALUE}).")
  String format;

  @Option(names = "--ear-key", paramLabel = "FILE", description = "P-384 JWK that signs EAR tokens (created if absent; default: a fresh key per run).")
  Path earKey;

  @Option(names = "--jwks-out", paramLabel = "FILE", description = "Write the EAR signing key's public JWKS here.")
  Path jwksOut;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!Set.of("table", "json", "ear").contains(format)) {
      return badArgument(err, "--format must be table, json or ear, not " + format);
    }
    if (reportOffset < 0) {
      return badArgument(err, "--report-offset must not be negative: " + reportOffset);
    }
    byte[] nonceBytes = null;
    if (nonce != null) {
      try {
        nonceBytes = HexFormat.of().parseHex(nonce.startsWith("0x") ? nonce.substring(2) : nonce);
      } catch (IllegalArgumentException e) {
        return badArgument(err, "--nonce is not an even number of hexadecimal digits: " + nonce);
      }
    }
    try {
      VerificationRequest.Builder b = VerificationRequest.builder().evidenceFile(evidence).reportOffset(reportOffset);
      if (collateral != null) {
        b.collateralDir(collateral);
      }
      certs.forEach(b::certificateFile);
      crls.forEach(b::crlFile);
      if (tcbInfo != null) {
        b.tcbInfoFile(tcbInfo);
      }
      if (tcbInfoChain != null) {
        b.tcbInfoChainFile(tcbInfoChain);
      }
      if (qeIdentity != null) {
        b.qeIdentityFile(qeIdentity);
      }
      if (qeIdentityChain != null) {
        b.qeIdentityChainFile(qeIdentityChain);
      }
      if (policy != null) {
        b.policyFile(policy);
      }
      if (emulatedRoots != null) {
        b.trustedEmulatedRootsDir(emulatedRoots);
      }
      if (at != null) {
        b.at(OffsetDateTime.parse(at).toInstant());
      }
      if (nonceBytes != null) {
        b.nonce(nonceBytes);
      }
      Verdict v = Verifiers.discover().verify(b.build());
      switch (format) {
        case "json":
          out.println(VerdictJson.toJson(v));
          break;
        case "ear":
          // iat/exp are the real issuance time: a token issued with --at in the past must not be
          // expired at issue. The appraisal time stays in the verdict (ear.guestmem.verdict.appraisedAt).
          VerifierKey key = earKey != null ? VerifierKey.loadOrCreate(earKey) : VerifierKey.generate();
          if (jwksOut != null) {
            Files.writeString(jwksOut, key.jwks(), StandardCharsets.UTF_8);
          }
          out.println(new EarTokens(key, "guestmem " + VersionProvider.version()).sign(v, nonceBytes, Instant.now()));
          break;
        default:
          out.print(table(v));
          break;
      }
      out.flush();
      return exitCode(v);
    } catch (InvalidRequestException e) {
      err.println("guestmem verify: " + e.reason() + ": " + e.getMessage());
      err.flush();
      return Main.EXIT_USAGE;
    } catch (DateTimeParseException e) {
      return badArgument(err, "--at is not RFC 3339 (e.g. 2026-01-31T12:00:00Z): " + at);
    } catch (IOException e) {
      // --ear-key / --jwks-out: name the file and say why
      String why = e instanceof java.nio.file.NoSuchFileException ? "no such file or directory"
          : e instanceof java.nio.file.AccessDeniedException ? "permission denied"
          : e instanceof java.nio.file.FileSystemException f && f.getReason() != null ? f.getReason() : e.toString();
      String file = e instanceof java.nio.file.FileSystemException f ? f.getFile() + ": " : "";
      err.println("guestmem verify: bad_file: " + file + why);
      err.flush();
      return Main.EXIT_USAGE;
    } catch (IllegalArgumentException e) {
      return badArgument(err, e.getMessage());
    }
  }

  /** An argument error: {@code guestmem verify: bad_argument: <what>}, exit 2. */
  private static int badArgument(PrintWriter err, String message) {
    err.println("guestmem verify: bad_argument: " + message);
    err.flush();
    return Main.EXIT_USAGE;
  }

  /**
   * 0 when the status is affirming or warning, 3 when it is contraindicated. A verdict whose
   * signature did not verify is always contraindicated; it is refused here too, whatever its status.
   */
  static int exitCode(Verdict v) {
    return v.status() == TrustStatus.CONTRAINDICATED || !v.signatureValid() ? EXIT_NOT_VERIFIED : 0;
  }

  static String table(Verdict v) {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("%-16s %s%n", "tee", v.tee()));
    sb.append(String.format("%-16s %s%n", "status", v.status().earName()));
    sb.append(String.format("%-16s %s%n", "signature", v.signatureValid() ? "valid" : "NOT valid"));
    sb.append(String.format("%-16s %s%s%n", "trust anchor", v.trustAnchor().isEmpty() ? "-" : v.trustAnchor(),
        v.emulated() ? "  (EMULATED root: says nothing about real hardware)" : ""));
    TcbSummary t = v.tcb();
    if (t != null) {
      sb.append(String.format("%-16s %s%s%n", "tcb status", t.status(), t.tcbDate() == null ? "" : "  (tcbDate " + t.tcbDate() + ")"));
      if (!t.advisories().isEmpty()) {
        sb.append(String.format("%-16s %s%n", "advisories", String.join(", ", t.advisories())));
      }
      if (!t.outOfDateComponents().isEmpty()) {
        sb.append(String.format("%-16s %s%n", "out of date", String.join(", ", t.outOfDateComponents())));
      }
    }
    sb.append(String.format("%nchecks%n"));
    for (Check c : v.checks()) {
      sb.append(String.format("  %-4s %-40s %-28s %s%n", c.ok() ? "ok" : "FAIL", c.id(), c.ok() ? "" : c.reason(), c.detail() == null ? "" : c.detail()));
    }
    if (!v.notRun().isEmpty()) {
      sb.append(String.format("%nnot run%n"));
      for (NotRun n : v.notRun()) {
        sb.append(String.format("  %-40s %-28s %s%n", n.id(), n.reason(), n.detail() == null ? "" : n.detail()));
      }
    }
    if (!v.claims().isEmpty()) {
      sb.append(String.format("%nclaims%n"));
      for (Map.Entry<String, Object> e : v.claims().entrySet()) {
        sb.append(String.format("  %-24s %s%n", e.getKey(), e.getValue()));
      }
    }
    return sb.toString();
  }
}
