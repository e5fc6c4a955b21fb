package io.guestmem.snp.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.Reason;
import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.policy.AppraisalPolicy;
import io.guestmem.snp.abi.Bytes;
import io.guestmem.snp.abi.SnpProduct;
import io.guestmem.snp.emu.EmulatedKds;
import io.guestmem.snp.emu.SnpEmulation;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Evidence from the SNP emulator verifies with the same code as real evidence: affirming only when
 * its emulated ARK is explicitly trusted, contraindicated with {@code untrusted_root} otherwise; and
 * the negative cases of evidence-formats.md §2.6–2.9 that need a signer each give their reason.
 */
class EmulatedSnpEvidenceTest {
  /** Inside the emulated KDS's default windows (CAs and CRL issued 2026-06-01). */
  static final Instant AT = Instant.parse("2026-07-01T00:00:00Z");

  @TempDir Path tmp;

  private Path emulate(String name, SnpEmulation.Options options) throws Exception {
    Path out = tmp.resolve(name);
    SnpEmulation.run(options, new PageMapMemory(64 * 4096));
    return out;
  }

  private SnpEmulation.Options options(String name) {
    return SnpEmulation.Options.defaults(tmp.resolve(name));
  }

  private static Verdict verify(Path out, boolean trust, String policy, Consumer<VerificationRequest.Builder> more)
      throws Exception {
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new SnpVerifier());
    VerificationRequest.Builder b = VerificationRequest.builder().evidenceFile(out.resolve("report.bin"))
        .collateralDir(out.resolve("kds")).at(AT)
        .policy(AppraisalPolicy.parse(policy.getBytes(StandardCharsets.UTF_8), verifiers.plugins()));
    if (trust) {
      b.trustedEmulatedRootsDir(out.resolve("roots"));
    }
    more.accept(b);
    return verifiers.verify(b.build());
  }

  private static List<String> failures(Verdict v) {
    return v.failures().stream().map(f -> f.id() + ":" + f.reason()).toList();
  }

  @Test
  void emulatedReports_areAffirmingOnlyWithTheEmulatedRootTrusted() throws Exception {
    List<String> disagreements = new ArrayList<>();
    int[] versions = {2, 3, 5};
    for (SnpProduct p : SnpProduct.values()) {
      for (int version : new int[] {versions[p.ordinal()]}) {
        Path out = emulate(p + "-" + version, options(p + "-" + version).withProduct(p).withReportVersion(version));
        Verdict trusted = verify(out, true, "{}", b -> {});
        if (trusted.status() != TrustStatus.AFFIRMING || !trusted.emulated() || !trusted.signatureValid()) {
          disagreements.add(p + " v" + version + " trusted: " + trusted.status() + " " + failures(trusted) + " " + trusted.notRun());
        }
        Verdict untrusted = verify(out, false, "{}", b -> {});
        if (untrusted.status() != TrustStatus.CONTRAINDICATED
            || !failures(untrusted).equals(List.of("snp.chain.root_pinned:untrusted_root"))) {
          disagreements.add(p + " v" + version + " untrusted: " + untrusted.status() + " " + failures(untrusted));
        }
      }
    }
    assertThat(disagreements).isEmpty();
  }

  @Test
  void emulatedVlekReport_withTheCertificateTable_isAffirming() throws Exception {
    Path out = emulate("vlek", options("vlek").withProduct(SnpProduct.GENOA).withSigner(SnpEmulation.Signer.VLEK));
    byte[] report = Files.readAllBytes(out.resolve("report.bin"));
    byte[] table = Files.readAllBytes(out.resolve("certs.bin"));
    byte[] evidence = new byte[report.length + table.length];
    System.arraycopy(report, 0, evidence, 0, report.length);
    System.arraycopy(table, 0, evidence, report.length, table.length);
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new SnpVerifier());
    Verdict v = verifiers.verify(VerificationRequest.builder().evidence(evidence).at(AT)
        .crlFile(out.resolve("kds/vcek/v1/Genoa/crl")).trustedEmulatedRootsDir(out.resolve("roots")).build());
    assertThat(failures(v)).isEmpty();
    assertThat(v.status()).isEqualTo(TrustStatus.AFFIRMING);
    assertThat(v.claims().get("cspId")).isEqualTo(SnpEmulation.EMULATED_CSP_ID);
    assertThat(v.check("snp.cert_table")).hasValueSatisfying(c -> assertThat(c.ok()).isTrue());
  }

  @Test
  void vlekReportWithoutAVlek_isChainMissing() throws Exception {
    Path out = emulate("vlek-missing", options("vlek-missing").withSigner(SnpEmulation.Signer.VLEK));
    Verdict v = verify(out, true, "{}", b -> {});
    assertThat(failures(v)).containsExactly("snp.vek.present:chain_missing");
  }

  @Test
  void revokedAsk_andRevokedVcek_areRevoked() throws Exception {
    Path out = emulate("revoked", options("revoked").withRevokedSerials(List.of(BigInteger.valueOf(0x10001), BigInteger.ZERO)));
    Verdict v = verify(out, true, "{}", b -> {});
    assertThat(failures(v)).containsExactly("snp.crl.revocation.ask:revoked", "snp.crl.revocation.vcek:revoked");
    assertThat(v.signatureValid()).isFalse();
  }

  @Test
  void expiredVcek_atAnInjectedTime_isCertExpired() throws Exception {
    Path out = emulate("expired", options("expired").withVekValidity(
        EmulatedKds.Validity.of(Instant.parse("2025-01-01T00:00:00Z"), Duration.ofDays(365))));
    assertThat(failures(verify(out, true, "{}", b -> {}))).containsExactly("snp.chain.vcek.validity:cert_expired");
  }

  @Test
  void vcekForAnotherChip_isIdentityMismatch() throws Exception {
    Path out = emulate("hwid", options("hwid").withCertifiedHwId(Bytes.zeros(64)));
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new SnpVerifier());
    // The KDS path of the VCEK names the certified chip, so the VCEK is given as a file.
    List<Path> vceks;
    try (var s = Files.walk(out.resolve("kds/vcek"))) {
      vceks = s.filter(f -> f.getFileName().toString().contains("%3F")).toList();
    }
    VerificationRequest.Builder b = VerificationRequest.builder().evidenceFile(out.resolve("report.bin"))
        .collateralDir(out.resolve("kds")).at(AT).trustedEmulatedRootsDir(out.resolve("roots"));
    vceks.forEach(b::certificateFile);
    assertThat(failures(verifiers.verify(b.build()))).containsExactly("snp.report.chip_id:identity_mismatch");
  }

  @Test
  void policyFailures_onGenuinelySignedEmulatedReports() throws Exception {
    Path debug = emulate("debug", options("debug").withDebugPolicy(true).withVmpl(2));
    Verdict v = verify(debug, true, "{\"snp\":{\"guestPolicyForbidden\":[\"DEBUG\"],\"vmpl\":0,"
        + "\"requireAuthorKey\":true,\"minimumGuestSvn\":0}}", b -> {});
    assertThat(failures(v)).containsExactly("snp.policy.vmpl:policy_violation", "snp.policy.guest_policy:debug_not_allowed");
    Path noId = emulate("noid", options("noid").withIdBlock(false));
    assertThat(failures(verify(noId, true, "{\"snp\":{\"requireAuthorKey\":true}}", b -> {})))
        .containsExactly("snp.policy.author_key_required:policy_violation");
  }

  @Test
  void nonceBinding_onAnEmulatedReport() throws Exception {
    byte[] nonce = "relying-party-nonce".getBytes(StandardCharsets.US_ASCII);
    Path out = emulate("nonce", options("nonce").withReportData(Bytes.copyOf(nonce)));
    assertThat(failures(verify(out, true, "{}", b -> b.nonce(nonce)))).isEmpty();
    assertThat(failures(verify(out, true, "{}", b -> b.nonce("other".getBytes(StandardCharsets.US_ASCII)))))
        .containsExactly("policy.nonce:" + Reason.NONCE_MISMATCH);
  }

  @Test
  void everyMustBeZeroRange_isRejectedWithItsReason() throws Exception {
    Path out = emulate("mbz", options("mbz"));
    byte[] good = Files.readAllBytes(out.resolve("report.bin"));
    List<String> disagreements = new ArrayList<>();
    for (int offset : new int[] {0x04C, 0x04F, 0x18B, 0x19F, 0x1EB, 0x1EF, 0x208, 0x29F, 0x2D0, 0x2E7, 0x318, 0x32F,
        0x330, 0x49F}) {
      byte[] bad = good.clone();
      bad[offset] = 1;
      Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new SnpVerifier());
      Verdict v = verifiers.verify(VerificationRequest.builder().evidence(bad).at(AT).build());
      if (!failures(v).equals(List.of("snp.report.structure:must_be_zero_violation"))) {
        disagreements.add(String.format("0x%03x: %s", offset, failures(v)));
      }
    }
    assertThat(disagreements).isEmpty();
  }

  @Test
  void reservedSigningKeyValue_isReservedValue() throws Exception {
    Path out = emulate("keyinfo", options("keyinfo"));
    byte[] r = Files.readAllBytes(out.resolve("report.bin"));
    r[0x48] = (byte) (3 << 2);
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), Clock.systemUTC()).register(new SnpVerifier());
    Verdict v = verifiers.verify(VerificationRequest.builder().evidence(r).at(AT).build());
    assertThat(failures(v)).containsExactly("snp.report.signing_key:reserved_value");
  }
}
