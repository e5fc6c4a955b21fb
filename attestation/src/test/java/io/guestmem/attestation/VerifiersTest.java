package io.guestmem.attestation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.policy.AppraisalPolicy;
import io.guestmem.attestation.policy.PolicyException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifiersTest {
  private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

  /** A plug-in for evidence that starts with "FAKE"; its policy section is {"expect": "text"}. */
  static final class FakeVerifier implements TeeVerifier {
    record Policy(String expect) {}

    @Override
    public String tee() {
      return "fake";
    }

    @Override
    public boolean recognizes(Evidence e) {
      byte[] b = e.toByteArray();
      return b.length >= 4 && new String(b, 0, 4, StandardCharsets.US_ASCII).equals("FAKE");
    }

    @Override
    public Object compilePolicy(JsonNode section) throws PolicyException {
      if (section.has("bogus")) {
        throw new PolicyException("bogus: not allowed");
      }
      return new Policy(section.path("expect").asText(""));
    }

    @Override
    public void verify(Evidence evidence, VerificationContext ctx, Appraisal out) {
      String body = new String(evidence.toByteArray(), StandardCharsets.US_ASCII);
      out.pass("fake.signature", Ar4siClaim.HARDWARE, "");
      out.signatureValid(true);
      out.claim("body", body);
      out.reportData(Arrays.copyOf(body.substring(4).getBytes(StandardCharsets.US_ASCII), 64));
      ctx.teePolicy("fake", Policy.class).filter(p -> !p.expect().isEmpty()).ifPresent(p ->
          out.check("fake.policy.expect", Ar4siClaim.EXECUTABLES, body.endsWith(p.expect()),
              Reason.REFERENCE_VALUE_MISMATCH, body));
      out.tcb(TcbSummary.upToDate());
    }
  }

  private static Verifiers verifiers() {
    return new Verifiers(VerifiedCache.defaultCache(), Clock.fixed(NOW, ZoneOffset.UTC)).register(new FakeVerifier());
  }

  @Test
  void evidenceAtAnOffset_isCutOutOfTheBuffer_andTheClockDefaultsToNow() throws Exception {
    Verdict v = verifiers().verify(VerificationRequest.builder().evidence("xxxxFAKEhello".getBytes(StandardCharsets.US_ASCII))
        .reportOffset(4).build());
    assertThat(v.tee()).isEqualTo("fake");
    assertThat(v.status()).isEqualTo(TrustStatus.AFFIRMING);
    assertThat(v.claims()).containsEntry("body", "FAKEhello");
    assertThat(v.appraisedAt()).isEqualTo(NOW);
  }

  @Test
  void unrecognizedEvidence_andBadOffsets_areRequestErrors() {
    assertThatThrownBy(() -> verifiers().verify(VerificationRequest.builder().evidence(new byte[] {1, 2, 3}).build()))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.reason()).isEqualTo("unknown_evidence"));
    assertThatThrownBy(() -> verifiers().verify(VerificationRequest.builder().evidence(new byte[] {1}).reportOffset(5).build()))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.reason()).isEqualTo("bad_offset"));
  }

  @Test
  void unreadableOrMalformedFiles_areRequestErrors(@TempDir Path dir) throws Exception {
    Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate");
    byte[] ev = "FAKE".getBytes(StandardCharsets.US_ASCII);
    for (VerificationRequest r : new VerificationRequest[] {
        VerificationRequest.builder().evidence(ev).certificateFile(junk).build(),
        VerificationRequest.builder().evidence(ev).crlFile(junk).build(),
        VerificationRequest.builder().evidence(ev).certificateFile(dir.resolve("missing.der")).build(),
        VerificationRequest.builder().evidence(ev).collateralDir(dir.resolve("nope")).build(),
        VerificationRequest.builder().evidence(ev).trustedEmulatedRootsDir(dir.resolve("nope")).build(),
        VerificationRequest.builder().evidence(ev).tcbInfoChainFile(junk).build()}) {
      assertThatThrownBy(() -> verifiers().verify(r)).isInstanceOfSatisfying(InvalidRequestException.class,
          e -> assertThat(e.reason()).isEqualTo("bad_file"));
    }
  }

  @Test
  void requestErrorsSayWhy(@TempDir Path dir) throws Exception {
    Path missing = dir.resolve("missing.bin");
    assertThatThrownBy(() -> verifiers().verify(VerificationRequest.builder().evidenceFile(missing).build()))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.reason()).isEqualTo("bad_file");
          assertThat(e.getMessage()).isEqualTo("cannot read " + missing + ": no such file");
        });
    assertThatThrownBy(() -> verifiers().verify(VerificationRequest.builder().evidence(new byte[] {1})
        .policyFile(missing).build()))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.reason()).isEqualTo("bad_file");
          assertThat(e.getMessage()).isEqualTo("cannot read policy " + missing + ": no such file");
        });
    Path empty = Files.write(dir.resolve("empty.bin"), new byte[0]);
    assertThatThrownBy(() -> verifiers().verify(VerificationRequest.builder().evidenceFile(empty).build()))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.reason()).isEqualTo("bad_offset");
          assertThat(e.getMessage()).startsWith("evidence file " + empty + " is empty (0 bytes)").doesNotContain("offset");
        });
    assertThatThrownBy(() -> verifiers().verify(VerificationRequest.builder().evidence(new byte[0]).build()))
        .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
          assertThat(e.reason()).isEqualTo("bad_offset");
          assertThat(e.getMessage()).startsWith("the evidence is empty (0 bytes)");
        });
  }

  @Test
  void policyFile_isCompiledOnce_andRecompiledWhenItChanges(@TempDir Path dir) throws Exception {
    Verifiers v = verifiers();
    Path p = Files.writeString(dir.resolve("policy.json"), "{\"id\":\"policy://a\",\"fake\":{\"expect\":\"hello\"}}");
    AppraisalPolicy first = v.compilePolicy(p);
    assertThat(v.compilePolicy(p)).isSameAs(first);
    Verdict ok = v.verify(VerificationRequest.builder().evidence("FAKEhello".getBytes(StandardCharsets.US_ASCII))
        .policyFile(p).build());
    assertThat(ok.policyId()).isEqualTo("policy://a");
    assertThat(ok.check("fake.policy.expect")).hasValueSatisfying(c -> assertThat(c.ok()).isTrue());
    // the same size and, as an edit within one timestamp tick can give, the same modification time: still a new policy
    java.nio.file.attribute.FileTime compiledAt = Files.getLastModifiedTime(p);
    Files.writeString(p, "{\"id\":\"policy://b\",\"fake\":{\"expect\":\"bye!!\"}}");
    Files.setLastModifiedTime(p, compiledAt);
    Verdict bad = v.verify(VerificationRequest.builder().evidence("FAKEhello".getBytes(StandardCharsets.US_ASCII))
        .policyFile(p).build());
    assertThat(bad.policyId()).isEqualTo("policy://b");
    assertThat(bad.failedWith(Reason.REFERENCE_VALUE_MISMATCH)).isTrue();
    assertThat(bad.status()).isEqualTo(TrustStatus.CONTRAINDICATED);
  }

  @Test
  void invalidPolicies_areRequestErrorsNamingTheField(@TempDir Path dir) throws Exception {
    Path unknownTee = Files.writeString(dir.resolve("a.json"), "{\"sgx\":{}}");
    Path badSection = Files.writeString(dir.resolve("b.json"), "{\"fake\":{\"bogus\":1}}");
    assertThatThrownBy(() -> verifiers().compilePolicy(unknownTee)).isInstanceOfSatisfying(InvalidRequestException.class,
        e -> assertThat(e.reason()).isEqualTo("bad_policy")).hasMessageContaining("sgx");
    assertThatThrownBy(() -> verifiers().compilePolicy(badSection)).hasMessageContaining("fake.bogus");
  }

  @Test
  void nonceFromTheRequest_isBoundToReportData() throws Exception {
    Verdict v = verifiers().verify(VerificationRequest.builder().evidence("FAKEnonce-1".getBytes(StandardCharsets.US_ASCII))
        .nonce("nonce-1".getBytes(StandardCharsets.US_ASCII)).build());
    assertThat(v.check("policy.nonce")).hasValueSatisfying(c -> assertThat(c.ok()).isTrue());
    Verdict w = verifiers().verify(VerificationRequest.builder().evidence("FAKEnonce-1".getBytes(StandardCharsets.US_ASCII))
        .nonce("nonce-2".getBytes(StandardCharsets.US_ASCII)).build());
    assertThat(w.failedWith(Reason.NONCE_MISMATCH)).isTrue();
  }

  @Test
  void explicitRegistration_replacesAPluginOfTheSameTee() {
    Verifiers v = verifiers().register(new FakeVerifier());
    assertThat(v.plugins()).hasSize(1);
  }
}
