package io.guestmem.vectors.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.attestation.InvalidRequestException;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.pki.CertificateParseException;
import io.guestmem.attestation.pki.Certificates;
import io.guestmem.attestation.policy.AppraisalPolicy;
import io.guestmem.attestation.policy.PolicyException;
import io.guestmem.snp.abi.AttestationReport;
import io.guestmem.snp.abi.CertTable;
import io.guestmem.tdx.abi.MalformedLayoutException;
import io.guestmem.tdx.abi.QeIdentity;
import io.guestmem.tdx.abi.Quote;
import io.guestmem.tdx.abi.TcbInfo;
import io.guestmem.vectors.VectorSuiteTest;
import io.guestmem.vectors.format.AttestationCase;
import io.guestmem.vectors.format.VectorGroup;
import io.guestmem.vectors.format.VectorLoader;
import io.guestmem.vectors.run.AttestationCaseRunner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;

/**
 * Random and mutated bytes fed to the TDX and SEV-SNP parsers, the collateral and certificate
 * parsers, the policy parser and the whole verifier: each either parses or fails with its checked
 * exception (or, for the verifier, gives a verdict or refuses the request), and never lets an
 * unchecked exception escape. Parser properties run {@code jqwik.tries.default} tries (1000, see
 * junit-platform.properties; raise it on the command line for long runs), verifier properties 300. Seeds are the committed generated vectors; each try applies a few
 * random mutations (byte flips, length-field extremes, truncation, insertion, splicing).
 */
class HostileInputPropertiesTest {
  private static final Path GENERATED;
  private static final byte[] QUOTE_V4;
  private static final byte[] QUOTE_V5;
  private static final byte[] REPORT;
  private static final byte[] CERT_TABLE;
  private static final byte[] TCB_INFO;
  private static final byte[] QE_IDENTITY;
  private static final byte[] VCEK;

  static {
    try {
      GENERATED = VectorSuiteTest.committedVectorsDir().resolve("generated");
      QUOTE_V4 = Files.readAllBytes(GENERATED.resolve("tdx/v4/quote.bin"));
      QUOTE_V5 = Files.readAllBytes(GENERATED.resolve("tdx/v5/quote.bin"));
      REPORT = Files.readAllBytes(GENERATED.resolve("snp/turin-v5-vcek/report.bin"));
      CERT_TABLE = Files.readAllBytes(GENERATED.resolve("snp/genoa-v5-vlek/certs.bin"));
      TCB_INFO = Files.readAllBytes(GENERATED.resolve("tdx/v4/collateral/tcbinfo.json"));
      QE_IDENTITY = Files.readAllBytes(GENERATED.resolve("tdx/v4/collateral/qeidentity.json"));
      VCEK = Files.readAllBytes(GENERATED.resolve("snp/milan-v5-hwid-raw/vcek.der"));
    } catch (java.io.IOException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  static byte[] mutate(byte[] seed, Random r) {
    return Mutants.mutate(seed, r);
  }

  @Property
  void tdxQuoteParser_onlyThrowsMalformedLayout(@ForAll long seed) {
    byte[] b = mutate(new Random(seed).nextBoolean() ? QUOTE_V4 : QUOTE_V5, new Random(seed));
    try {
      Quote q = Quote.parse(b);
      assertThat(q.version()).isIn(4, 5);
    } catch (MalformedLayoutException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @Property
  void tdxQuoteParser_onRandomBytes(@ForAll @Size(max = 6000) byte[] b) {
    try {
      Quote.parse(b);
    } catch (MalformedLayoutException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @Property
  void snpReportAndCertTableParsers_onlyThrowMalformedLayout(@ForAll long seed) {
    Random r = new Random(seed);
    byte[] report = mutate(REPORT, r);
    try {
      AttestationReport.parse(report);
    } catch (io.guestmem.snp.abi.MalformedLayoutException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
    byte[] table = mutate(CERT_TABLE, r);
    try {
      CertTable.parse(table);
    } catch (io.guestmem.snp.abi.MalformedLayoutException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @Property
  void snpReportParser_onRandomBytes(@ForAll @Size(max = 2000) byte[] b) {
    try {
      AttestationReport.parse(b);
    } catch (io.guestmem.snp.abi.MalformedLayoutException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @Property
  void collateralJsonParsers_onlyThrowMalformedLayout(@ForAll long seed) {
    Random r = new Random(seed);
    try {
      TcbInfo.parseResponse(mutate(TCB_INFO, r));
    } catch (MalformedLayoutException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
    try {
      QeIdentity.parseResponse(mutate(QE_IDENTITY, r));
    } catch (MalformedLayoutException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @Property
  void certificateParser_onlyThrowsCertificateParseException(@ForAll long seed) {
    try {
      Certificates.parseAll(mutate(VCEK, new Random(seed)), "fuzz");
    } catch (CertificateParseException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  @Property
  void policyParser_onlyThrowsPolicyException(@ForAll long seed) {
    byte[] policy = ("{\"acceptedTcbStatuses\":[\"UpToDate\",\"OutOfDate\"],\"maxCollateralAge\":\"P7D\",\"tdx\":{\"allowDebug\":false,"
        + "\"mrTd\":[\"" + "11".repeat(48) + "\"],\"minimumTeeTcbSvn\":\"07010300000000000000000000000000\"},\"snp\":{\"maxVmpl\":1,"
        + "\"minimumCommittedVersion\":\"1.55.49\",\"minimumReportedTcb\":{\"snp\":3},\"guestPolicyForbidden\":[\"DEBUG\"]}}")
        .getBytes(StandardCharsets.UTF_8);
    try {
      AppraisalPolicy.parse(mutate(policy, new Random(seed)), VERIFIERS.plugins());
    } catch (PolicyException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  private static final Verifiers VERIFIERS = AttestationCaseRunner.discoveredVerifiers();

  /** Where the certificates start: the PEM chain of a quote, the certificate table after a report. */
  private static int certificatesStart(byte[] evidence) {
    boolean tdx = evidence.length >= 8 && (evidence[4] & 0xFF) == 0x81 && evidence[5] == 0 && evidence[6] == 0 && evidence[7] == 0;
    if (!tdx) {
      return Math.min(1184, evidence.length);
    }
    byte[] begin = "-----BEGIN".getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i + begin.length <= evidence.length; i++) {
      if (Arrays.equals(evidence, i, i + begin.length, begin, 0, begin.length)) {
        return i;
      }
    }
    return evidence.length;
  }

  private static Verdict verifyMutant(String group, String caseId, long seed, boolean inCertificates) throws Exception {
    VectorGroup g = VectorLoader.load(GENERATED.resolve(group));
    AttestationCase c = (AttestationCase) g.cases().stream().filter(x -> x.id().equals(caseId)).findFirst().orElseThrow();
    Path root = AttestationCaseRunner.root(g).orElseThrow();
    byte[] original = AttestationCaseRunner.evidence(root, c.inputs());
    int certs = certificatesStart(original);
    byte[] evidence = inCertificates ? Mutants.mutateWithin(original, new Random(seed), certs, original.length)
        : Mutants.mutateWithin(original, new Random(seed), 0, certs);
    Path scratch = Files.createTempDirectory("fuzz-");
    try {
      AttestationCaseRunner runner = new AttestationCaseRunner(() -> VERIFIERS, scratch);
      return VERIFIERS.verify(runner.request(VERIFIERS, root, c, evidence));
    } finally {
      io.guestmem.vectors.Trees.delete(scratch);
    }
  }

  @Property(tries = 300)
  void verifier_onMutatedTdxQuotes_givesAVerdictOrRefuses(@ForAll long seed) throws Exception {
    try {
      Verdict v = verifyMutant("tdx-emulated.vectors.json", new Random(seed).nextBoolean() ? "v4-td10-tdx15-module" : "v5-td15",
          seed, false);
      assertThat(v.status()).isNotNull();
    } catch (InvalidRequestException refused) {
      assertThat(refused.reason()).isNotBlank();
    }
  }

  @Property(tries = 300)
  void verifier_onMutatedSnpReports_givesAVerdictOrRefuses(@ForAll long seed) throws Exception {
    try {
      Verdict v = verifyMutant("snp-emulated.vectors.json", new Random(seed).nextBoolean() ? "turin-v5-vcek" : "genoa-v5-vlek",
          seed, false);
      assertThat(v.status()).isNotNull();
    } catch (InvalidRequestException refused) {
      assertThat(refused.reason()).isNotBlank();
    }
  }

  /**
   * Mutations inside the certificates that travel with the evidence (the quote's PEM chain, the
   * report's certificate table). This property found malformed X.500 names escaping as
   * IllegalArgumentException from the attestation pki (fixed in b00f501); its inputs are kept as the
   * fuzz-regression vectors of the generated groups.
   */
  @Property(tries = 300)
  void verifier_onMutatedEmbeddedCertificates_givesAVerdictOrRefuses(@ForAll long seed) throws Exception {
    try {
      Verdict v = new Random(seed).nextBoolean()
          ? verifyMutant("tdx-emulated.vectors.json", "v5-td15", seed, true)
          : verifyMutant("snp-emulated.vectors.json", "genoa-v5-vlek", seed, true);
      assertThat(v.status()).isNotNull();
    } catch (InvalidRequestException refused) {
      assertThat(refused.reason()).isNotBlank();
    }
  }
}
