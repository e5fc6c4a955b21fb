package io.guestmem.tdx.verify;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.VerificationRequest;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.tdx.emu.EmulatedEvidence;
import io.guestmem.tdx.emu.EmulationKnobs;
import io.guestmem.tdx.emu.TdxEmulation;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Intel SGX PCK certificate profile (version, signature algorithm, curve, subject CN of every
 * certificate in the PCK chain and the TCB signing chain) and the PCK CRL issuer rule: a CRL
 * given for the PCK level whose issuer is not the PCK's issuer fails instead of being ignored.
 */
class IntelProfileAndCrlIssuerTest {
  static final Instant ISSUED = Instant.parse("2026-03-01T00:00:00Z");
  static final Instant AT = ISSUED.plus(Duration.ofDays(1));

  @TempDir Path tmp;
  private int runs;

  private List<String> failures(UnaryOperator<EmulationKnobs.Builder> knobs) throws Exception {
    Path out = tmp.resolve("run" + runs++);
    TdxEmulation.run(new PageMapMemory(256 * 1024), TdxEmulation.Options.defaults(out).withIssueTime(ISSUED)
        .withKnobs(knobs.apply(EmulationKnobs.builder()).build()));
    Verifiers verifiers = new Verifiers(VerifiedCache.disabled(), java.time.Clock.systemUTC()).register(new TdxVerifier());
    Verdict v = verifiers.verify(VerificationRequest.builder().evidenceFile(out.resolve(EmulatedEvidence.QUOTE)).at(AT)
        .tcbInfoFile(out.resolve(EmulatedEvidence.TCB_INFO)).tcbInfoChainFile(out.resolve(EmulatedEvidence.TCB_INFO_CHAIN))
        .qeIdentityFile(out.resolve(EmulatedEvidence.QE_IDENTITY))
        .qeIdentityChainFile(out.resolve(EmulatedEvidence.QE_IDENTITY_CHAIN))
        .crlFile(out.resolve(EmulatedEvidence.PCK_CRL)).crlFile(out.resolve(EmulatedEvidence.ROOT_CRL))
        .trustedEmulatedRootsDir(out.resolve("roots")).build());
    if (v.failures().isEmpty()) {
      assertThat(v.status()).isEqualTo(TrustStatus.AFFIRMING);
      assertThat(v.checks()).extracting(c -> c.id()).contains("tdx.pck_chain.pck.profile",
          "tdx.pck_chain.intermediate.profile", "tdx.pck_chain.root.profile", "tdx.tcb_info.chain.tcb_signing.profile");
    }
    return v.failures().stream().map(f -> f.id() + ":" + f.reason()).toList();
  }

  @Test
  void conformingEmulatedChain_passesEveryProfileCheck() throws Exception {
    assertThat(failures(k -> k)).isEmpty();
  }

  @Test
  void x509Version1_isNotTheProfile() throws Exception {
    assertThat(failures(k -> k.version1Certificate(EmulationKnobs.CertRole.TCB_SIGNING))).containsExactly(
        "tdx.tcb_info.chain.tcb_signing.version:cert_profile_invalid",
        "tdx.qe_identity.chain.tcb_signing.version:cert_profile_invalid");
  }

  @Test
  void validSha384Signature_isStillTheWrongAlgorithm() throws Exception {
    assertThat(failures(k -> k.sha384Certificate(EmulationKnobs.CertRole.PCK)))
        .containsExactly("tdx.pck_chain.pck.signature_algorithm:unsupported_algorithm");
  }

  @Test
  void p384IntermediateKey_isTheWrongCurve() throws Exception {
    assertThat(failures(k -> k.platformCaP384(true)))
        .containsExactly("tdx.pck_chain.intermediate.public_key:unsupported_algorithm");
  }

  @Test
  void pckSubjectCn_mustBeIntels() throws Exception {
    assertThat(failures(k -> k.pckSubjectCn("Intel SGX PCK Certificate 2")))
        .containsExactly("tdx.pck_chain.pck.subject:cert_profile_invalid");
  }

  @Test
  void pckCrlOfAnotherIssuer_failsInsteadOfBeingIgnored() throws Exception {
    assertThat(failures(k -> k.pckCrlIssuerCn("Intel SGX PCK Processor CA")))
        .containsExactly("tdx.pck_crl.issuer:crl_issuer_mismatch");
  }
}
