package io.guestmem.tdx.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every real TDX quote in ../shared/vectors parses, round-trips and matches MANIFEST.md. */
class QuoteRealVectorsTest {

  static Stream<Arguments> quotes() {
    // file, sha256, version, body kind, trailing bytes, FMSPC, PCK leaf validity (MANIFEST §1)
    return Stream.of(
        Arguments.of(Vectors.SPR_E4, Vectors.SPR_E4_SHA, 4, TdReportBody.Kind.TD10, 39, "50806f000000", "2022-09-20", "2029-09-20"),
        Arguments.of(Vectors.V5_SAMPLE, Vectors.V5_SAMPLE_SHA, 5, TdReportBody.Kind.TD15, 0, "90c06f000000", "2026-01-27", "2033-01-27"),
        Arguments.of(Vectors.COS113, Vectors.COS113_SHA, 4, TdReportBody.Kind.TD10, 3065, "00806f050000", "2024-07-02", "2031-07-02"),
        Arguments.of(Vectors.DCAP_TDX, Vectors.DCAP_TDX_SHA, 4, TdReportBody.Kind.TD10, 70, "b0c06f000000", "2025-02-06", "2032-02-06"),
        Arguments.of(Vectors.DCAP_OUTDATED, Vectors.DCAP_OUTDATED_SHA, 5, TdReportBody.Kind.TD15, 0, "90c06f000000", "2026-01-23", "2033-01-23"),
        Arguments.of(Vectors.TRUSTEE_Q4, Vectors.TRUSTEE_Q4_SHA, 4, TdReportBody.Kind.TD10, 0, "50806f000000", "2023-02-07", "2030-02-07"),
        Arguments.of(Vectors.TRUSTEE_Q5, Vectors.TRUSTEE_Q5_SHA, 5, TdReportBody.Kind.TD15, 0, "90c06f000000", "2024-03-18", "2031-03-18"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("quotes")
  void realQuote_parses_roundTripsByteIdentical_andHasManifestShape(
      String file, String sha, int version, TdReportBody.Kind kind, int trailing, String fmspc, String pckFrom, String pckTo)
      throws Exception {
    byte[] raw = Vectors.read(file, sha);
    Quote q = Quote.parse(raw);

    assertThat(q.toBytes()).isEqualTo(raw);
    assertThat(q.raw().toByteArray()).isEqualTo(raw);
    assertThat(q.version()).isEqualTo(version);
    assertThat(q.body().kind()).isEqualTo(kind);
    assertThat(q.trailingLength()).isEqualTo(trailing);
    assertThat(q.header().attestationKeyType()).isEqualTo(2);
    assertThat(q.header().qeVendorId()).isEqualTo(QuoteHeader.INTEL_QE_VENDOR_ID);
    assertThat(q.header().reserved().isAllZero()).as("header QE/PCE SVN bytes are 0 in TDX quotes").isTrue();
    assertThat(q.signatureData().certificationData().type()).isEqualTo(6);
    QeReportCertificationData qe = q.qeReportCertificationData().orElseThrow();
    assertThat(qe.certificationData().type()).isEqualTo(5);
    PckCertChain chain = q.pckCertChain().orElseThrow();
    assertThat(chain.certificates()).hasSize(3);
    assertThat(PckExtensions.fromCertificate(chain.leaf()).fmspc().hex()).isEqualTo(fmspc);
    assertThat(chain.leaf().getNotBefore().toInstant().toString()).startsWith(pckFrom);
    assertThat(chain.leaf().getNotAfter().toInstant().toString()).startsWith(pckTo);
    if (version == 5) {
      assertThat(q.bodyDescriptor().orElseThrow()).isEqualTo(new QuoteBodyDescriptor(3, 648));
      assertThat(q.body().teeTcbSvn2()).isPresent();
    } else {
      assertThat(q.bodyDescriptor()).isEmpty();
      assertThat(q.sigDataLenOffset()).isEqualTo(0x278);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("quotes")
  void signedRegions_areTheExactBytesTheSignaturesCover(
      String file, String sha, int version, TdReportBody.Kind kind, int trailing, String fmspc, String pckFrom, String pckTo)
      throws Exception {
    Quote q = Quote.parse(Vectors.read(file, sha));
    int bodyEnd = QuoteHeader.SIZE + (version == 5 ? 6 : 0) + kind.size();
    assertThat(q.signedBytes().length()).isEqualTo(bodyEnd);

    // MANIFEST: quote signature, QE report signature and AK binding are valid for all real quotes.
    var ak = TestCrypto.p256(q.signatureData().attestationKey().toByteArray());
    assertThat(TestCrypto.verifyRaw(ak, q.signatureData().signature().toByteArray(), q.signedBytes().toByteArray())).isTrue();
    QeReportCertificationData qe = q.qeReportCertificationData().orElseThrow();
    X509Certificate pck = q.pckCertChain().orElseThrow().leaf();
    assertThat(TestCrypto.verifyRaw(pck.getPublicKey(), qe.qeReportSignature().toByteArray(), q.qeReportBytes().orElseThrow().toByteArray()))
        .isTrue();
    assertThat(q.qeReportBytes().orElseThrow().toByteArray()).isEqualTo(qe.qeReport().toBytes());
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    sha256.update(q.signatureData().attestationKey().toByteArray());
    sha256.update(qe.qeAuthData().toByteArray());
    assertThat(qe.qeReport().reportData().slice(0, 32).toByteArray()).isEqualTo(sha256.digest());
  }

  @Test
  void sprE4_fieldsMatchGoTdxGuestDeepCheck() throws Exception {
    Quote q = Quote.parse(Vectors.read(Vectors.SPR_E4, Vectors.SPR_E4_SHA));
    TdReportBody b = q.body();
    assertThat(b.mrSeam().hex()).startsWith("2fd279c1").endsWith("c656");
    assertThat(b.mrTd().hex()).startsWith("6363b804").endsWith("5cbb");
    assertThat(b.tdAttributes().bits()).isEqualTo(0x0000_0000_4000_0000L);
    assertThat(b.tdAttributes().names()).containsExactly("PKS");
    assertThat(b.tdAttributes().debug()).isFalse();
    assertThat(b.xfam().bits()).isEqualTo(0x061ae7L);
    assertThat(b.teeTcbSvn().hex()).startsWith("03000400");
    assertThat(b.rtmr(0).hex()).startsWith("2927da70").endsWith("f32a");
    assertThat(b.rtmr(1).hex()).startsWith("2c700b8b").endsWith("cb61");
    assertThat(b.rtmr(2).hex()).startsWith("8652f0ca").endsWith("424e");
    assertThat(b.rtmr(3).isAllZero()).isTrue();
    assertThat(b.mrConfigId().isAllZero()).isTrue();
    assertThat(b.mrOwner().isAllZero()).isTrue();
    assertThat(b.mrOwnerConfig().isAllZero()).isTrue();
    assertThat(b.reportData().hex()).startsWith("6c62dec1").endsWith("1f1113");
    assertThat(q.trailingBytes().toByteArray()).isEqualTo("\nextra bytes(only for testing purpose)\n".getBytes());
    assertThat(q.pckCertChain().orElseThrow().trailingNul()).as("SPR_E4's PEM chain has no NUL").isFalse();
  }

  @Test
  void sprE4_pckExtensionsMatchGoTdxGuest() throws Exception {
    Quote q = Quote.parse(Vectors.read(Vectors.SPR_E4, Vectors.SPR_E4_SHA));
    PckExtensions ext = PckExtensions.fromCertificate(q.pckCertChain().orElseThrow().leaf());
    assertThat(ext.ppid().hex()).isEqualTo("089ddfdb9c0359c82a3bc7719239574e");
    assertThat(ext.fmspc().hex()).isEqualTo("50806f000000");
    assertThat(ext.pceId().hex()).isEqualTo("0000");
    assertThat(ext.tcb().pceSvn()).isEqualTo(11);
    assertThat(ext.tcb().cpuSvn().hex()).isEqualTo("03030202020100020000000000000000");
    assertThat(ext.tcb().sgxTcbComponents().subList(0, 8)).containsExactly(3, 3, 2, 2, 2, 1, 0, 2);
  }

  @Test
  void trusteeQ4_isADebugTdWithManifestMeasurements() throws Exception {
    Quote q = Quote.parse(Vectors.read(Vectors.TRUSTEE_Q4, Vectors.TRUSTEE_Q4_SHA));
    TdReportBody b = q.body();
    assertThat(b.mrTd().hex()).startsWith("705ee938").endsWith("f031");
    assertThat(b.rtmr(0).hex()).startsWith("e940da7c").endsWith("b288");
    assertThat(b.rtmr(1).hex()).startsWith("559cfcf4").endsWith("a596");
    assertThat(b.xfam().bits()).isEqualTo(0x0642e7L);
    assertThat(b.tdAttributes().debug()).isTrue();
    assertThat(b.tdAttributes().septVeDisable()).isTrue();
    PckExtensions ext = PckExtensions.fromCertificate(q.pckCertChain().orElseThrow().leaf());
    // trustee prints it byte-reversed; the DER OCTET STRING is this (MANIFEST §4.3).
    assertThat(ext.platformInstanceId().orElseThrow().hex()).isEqualTo("021ac64d355ba904e2d5948d228d5482");
    assertThat(ext.configuration()).isPresent();
  }

  @Test
  void tdx15ModuleQuotes_carryModuleMajorVersion1() throws Exception {
    Quote dcap = Quote.parse(Vectors.read(Vectors.DCAP_TDX, Vectors.DCAP_TDX_SHA));
    assertThat(dcap.body().teeTcbSvn().get(1)).isEqualTo((byte) 1);
    assertThat(dcap.pckCertChain().orElseThrow().trailingNul()).as("configfs quotes end the PEM chain with NUL").isTrue();
    Quote cos = Quote.parse(Vectors.read(Vectors.COS113, Vectors.COS113_SHA));
    assertThat(cos.body().teeTcbSvn().get(1)).isEqualTo((byte) 1);
    assertThat(cos.body().reportData().isAllZero()).isTrue();
    assertThat(cos.trailingBytes().isAllZero()).isTrue();
  }

  @Test
  void sgxV3Quote_isNotATdxQuote() throws Exception {
    byte[] raw = Vectors.read(Vectors.DCAP_SGX, Vectors.DCAP_SGX_SHA);
    assertThatThrownBy(() -> Quote.parse(raw))
        .isInstanceOf(MalformedLayoutException.class)
        .satisfies(e -> assertThat(((MalformedLayoutException) e).field()).isEqualTo("quote.header.version"));
  }

  @Test
  void trailingBytes_areNeverPartOfTheSignedRegion() throws Exception {
    byte[] raw = Vectors.read(Vectors.SPR_E4, Vectors.SPR_E4_SHA);
    Quote q = Quote.parse(raw);
    byte[] changed = raw.clone();
    changed[changed.length - 2] ^= 0x55;
    Quote q2 = Quote.parse(changed);
    assertThat(q2.signedBytes()).isEqualTo(q.signedBytes());
    assertThat(q2.trailingBytes()).isNotEqualTo(q.trailingBytes());
    byte[] longer = Arrays.copyOf(raw, raw.length + 100);
    assertThat(Quote.parse(longer).trailingLength()).isEqualTo(139);
  }

  @Test
  void pemChainTolerance_oneTrailingNulIsAccepted_otherTrailingBytesAreNot() throws Exception {
    Quote q = Quote.parse(Vectors.read(Vectors.SPR_E4, Vectors.SPR_E4_SHA));
    byte[] pem = q.pckCertChain().orElseThrow().pem().toByteArray();
    byte[] withNul = Arrays.copyOf(pem, pem.length + 1);
    assertThat(PckCertChain.parsePem(withNul).certificates()).hasSize(3);
    assertThat(PckCertChain.parsePem(pem).trailingNul()).isFalse();
    byte[] withOne = withNul.clone();
    withOne[withOne.length - 1] = 1;
    assertThatThrownBy(() -> PckCertChain.parsePem(withOne)).isInstanceOf(MalformedLayoutException.class);
    assertThatThrownBy(() -> PckCertChain.parsePem(new byte[] {0})).isInstanceOf(MalformedLayoutException.class);
  }
}
