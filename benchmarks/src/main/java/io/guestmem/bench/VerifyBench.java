package io.guestmem.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.guestmem.attestation.Evidence;
import io.guestmem.attestation.InvalidRequestException;
import io.guestmem.attestation.TrustStatus;
import io.guestmem.attestation.VerificationContext;
import io.guestmem.attestation.Verdict;
import io.guestmem.attestation.Verifiers;
import io.guestmem.attestation.collateral.Collateral;
import io.guestmem.attestation.collateral.SignedDocument;
import io.guestmem.attestation.collateral.VerifiedCache;
import io.guestmem.attestation.pki.Certificates;
import io.guestmem.attestation.pki.Ecdsa;
import io.guestmem.attestation.trust.TrustAnchors;
import io.guestmem.snp.abi.AttestationReport;
import io.guestmem.snp.verify.SnpVerifier;
import io.guestmem.tdx.abi.Quote;
import io.guestmem.tdx.abi.SignedCollateral;
import io.guestmem.tdx.verify.TdxVerifier;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.cert.X509CRLHolder;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Verification throughput on real vectors from {@code ../shared/vectors} (read in place; system
 * property {@code guestmem.vectors.dir} overrides), with same-run baselines:
 *
 * <ul>
 *   <li>{@code warmTdx}: dcap-qvl {@code tdx_quote} with its full collateral bundle (PCK chain, two
 *       CRLs, TCB Info, QE Identity) at the bundle's fixed time, sharing one {@link VerifiedCache}:
 *       per call, the quote signature plus field, window and TCB checks;
 *       baseline {@code bareP256}: one BouncyCastle ECDSA P-256 verify of that quote's signature
 *       over a precomputed digest with the same (memoized) key; {@code fastP256}: the same with
 *       guestmem's fixed-base tables for G and the key ({@link Ecdsa#verifyPrecomputed});
 *   <li>{@code warmSnp}: the routex Genoa v5 report with its VCEK chain and the Genoa KDS CRL;
 *       baseline {@code bareP384}: one BouncyCastle ECDSA P-384 verify of that report;
 *       {@code fastP384} the same with tables;
 *   <li>{@code coldTdx}, {@code coldSnp}: the same with an empty cache for every call (every
 *       certificate, CRL and collateral signature verified again).
 * </ul>
 *
 * Every benchmark asserts in setup that the verdict is the MANIFEST's (affirming), so a broken
 * verifier cannot produce fast numbers. Run:
 * {@code java -jar benchmarks/target/benchmarks.jar VerifyBench -f 1 -wi 3 -i 5}. See docs/PERFORMANCE.md.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class VerifyBench {
  private static final Instant TDX_AT = Instant.ofEpochSecond(1752919234L);
  private static final Instant SNP_AT = Instant.parse("2026-04-12T00:00:00Z");

  private Verifiers verifiers;
  private Evidence tdxQuote;
  private Evidence snpReport;
  private Collateral tdxCollateral;
  private Collateral snpCollateral;
  private VerificationContext tdxWarm;
  private VerificationContext snpWarm;
  private ECPublicKeyParameters p256Key;
  private byte[] p256Digest;
  private BigInteger p256R;
  private BigInteger p256S;
  private ECPublicKeyParameters p384Key;
  private byte[] p384Digest;
  private BigInteger p384R;
  private BigInteger p384S;

  static Path vectors() {
    String prop = System.getProperty("guestmem.vectors.dir");
    Path dir = prop != null ? Path.of(prop) : Path.of("..", "shared", "vectors");
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException("real vectors not found at " + dir.toAbsolutePath()
          + "; set -Dguestmem.vectors.dir");
    }
    return dir;
  }

  @Setup
  public void setup() throws Exception {
    Path v = vectors();
    verifiers = new Verifiers(VerifiedCache.defaultCache(), Clock.systemUTC())
        .register(new TdxVerifier()).register(new SnpVerifier());
    byte[] quote = Files.readAllBytes(v.resolve("dcap-qvl/tdx_quote"));
    tdxQuote = Evidence.copyOf(quote);
    tdxCollateral = qvlBundle(v.resolve("dcap-qvl/tdx_quote_collateral.json"));
    byte[] report = Files.readAllBytes(v.resolve("routex-client-lua/DERIVED.attestation_spec.genoa-v5.report.bin"));
    snpReport = Evidence.copyOf(report);
    snpCollateral = new Collateral(
        Certificates.parseAll(Files.readAllBytes(v.resolve("routex-client-lua/vcek-chain-genoa-v5.pem")), "chain"),
        Certificates.parseCrls(Files.readAllBytes(v.resolve("cyntrisec-kds/Genoa/crl.der")), "crl"), Map.of(), null);
    tdxWarm = context(TDX_AT, tdxCollateral, verifiers.cache());
    snpWarm = context(SNP_AT, snpCollateral, verifiers.cache());
    expectAffirming(warmTdx());
    expectAffirming(warmSnp());
    expectAffirming(coldTdx());
    expectAffirming(coldSnp());

    Quote q = Quote.parse(quote);
    p256Key = Ecdsa.p256FromRaw(q.signatureData().attestationKey().toByteArray());
    byte[] signed = q.signedBytes().toByteArray();
    p256Digest = Ecdsa.digest("SHA-256", signed, 0, signed.length);
    byte[] rs = q.signatureData().signature().toByteArray();
    p256R = new BigInteger(1, java.util.Arrays.copyOfRange(rs, 0, 32));
    p256S = new BigInteger(1, java.util.Arrays.copyOfRange(rs, 32, 64));
    AttestationReport r = AttestationReport.parse(report);
    p384Key = Ecdsa.publicKey(snpCollateral.certificates().get(0));
    byte[] s = r.signedBytes();
    p384Digest = Ecdsa.digest("SHA-384", s, 0, s.length);
    p384R = r.signature().rInteger();
    p384S = r.signature().sInteger();
    if (!bareP256() || !bareP384() || !fastP256() || !fastP384()) {
      throw new IllegalStateException("baseline signatures do not verify");
    }
    byte[] wrong = p256Digest.clone();
    wrong[0] ^= 1;
    if (Ecdsa.verifyPrecomputed(p256Key, wrong, p256R, p256S) || Ecdsa.verifyWithBouncyCastle(p256Key, wrong, p256R, p256S)) {
      throw new IllegalStateException("a wrong digest verifies");
    }
  }

  private VerificationContext context(Instant at, Collateral c, VerifiedCache cache) {
    return new VerificationContext(at, TrustAnchors.pinned(), c, cache, verifiers.defaultPolicy());
  }

  private static void expectAffirming(Verdict v) {
    if (v.status() != TrustStatus.AFFIRMING) {
      throw new IllegalStateException("expected affirming, got " + v.status() + " " + v.failures() + " " + v.notRun());
    }
  }

  /** The dcap-qvl collateral JSON as file-by-file collateral (bodies re-wrapped as PCS responses). */
  static Collateral qvlBundle(Path json) throws IOException, io.guestmem.attestation.pki.CertificateParseException {
    JsonNode j = new ObjectMapper().readTree(json.toFile());
    SignedDocument tcb = new SignedDocument(SignedCollateral.encodeResponse("tcbInfo",
        io.guestmem.tdx.abi.Bytes.of(j.get("tcb_info").textValue().getBytes(StandardCharsets.UTF_8)),
        io.guestmem.tdx.abi.Bytes.fromHex(j.get("tcb_info_signature").textValue())),
        Certificates.parseAll(j.get("tcb_info_issuer_chain").textValue().getBytes(StandardCharsets.US_ASCII), "tcb chain"),
        "tcb_info");
    SignedDocument qe = new SignedDocument(SignedCollateral.encodeResponse("enclaveIdentity",
        io.guestmem.tdx.abi.Bytes.of(j.get("qe_identity").textValue().getBytes(StandardCharsets.UTF_8)),
        io.guestmem.tdx.abi.Bytes.fromHex(j.get("qe_identity_signature").textValue())),
        Certificates.parseAll(j.get("qe_identity_issuer_chain").textValue().getBytes(StandardCharsets.US_ASCII), "qe chain"),
        "qe_identity");
    List<X509CRLHolder> crls = List.of(
        Certificates.parseCrls(HexFormat.of().parseHex(j.get("pck_crl").textValue()), "pck crl").get(0),
        Certificates.parseCrls(HexFormat.of().parseHex(j.get("root_ca_crl").textValue()), "root crl").get(0));
    return new Collateral(List.of(), crls, Map.of(Collateral.TCB_INFO, tcb, Collateral.QE_IDENTITY, qe), null);
  }

  @Benchmark
  public Verdict warmTdx() throws InvalidRequestException {
    return verifiers.verify(tdxQuote, tdxWarm, null);
  }

  @Benchmark
  public Verdict coldTdx() throws InvalidRequestException {
    return verifiers.verify(tdxQuote, context(TDX_AT, tdxCollateral, VerifiedCache.disabled()), null);
  }

  @Benchmark
  public Verdict warmSnp() throws InvalidRequestException {
    return verifiers.verify(snpReport, snpWarm, null);
  }

  @Benchmark
  public Verdict coldSnp() throws InvalidRequestException {
    return verifiers.verify(snpReport, context(SNP_AT, snpCollateral, VerifiedCache.disabled()), null);
  }

  @Benchmark
  public boolean bareP256() {
    return Ecdsa.verifyWithBouncyCastle(p256Key, p256Digest, p256R, p256S);
  }

  @Benchmark
  public boolean bareP384() {
    return Ecdsa.verifyWithBouncyCastle(p384Key, p384Digest, p384R, p384S);
  }

  @Benchmark
  public boolean fastP256() {
    return Ecdsa.verifyPrecomputed(p256Key, p256Digest, p256R, p256S);
  }

  @Benchmark
  public boolean fastP384() {
    return Ecdsa.verifyPrecomputed(p384Key, p384Digest, p384R, p384S);
  }
}
