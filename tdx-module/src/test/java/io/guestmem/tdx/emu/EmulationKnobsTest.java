package io.guestmem.tdx.emu;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.CertificateRevocationList;
import io.guestmem.tdx.abi.PckExtensions;
import io.guestmem.tdx.abi.QeIdentity;
import io.guestmem.tdx.abi.QeReportCertificationData;
import io.guestmem.tdx.abi.Quote;
import io.guestmem.tdx.abi.SignedCollateral;
import io.guestmem.tdx.abi.TcbInfo;
import io.guestmem.tdx.abi.TcbStatus;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each negative-test knob breaks exactly what it names; the defaults break nothing. */
class EmulationKnobsTest {
  static final Instant ISSUED = Instant.parse("2026-03-01T00:00:00Z");

  private static EmulatedEvidence generate(EmulationKnobs knobs, int version) throws Exception {
    TdxEmulation.Options o =
        TdxEmulation.Options.defaults(Path.of("unused")).withSeed(5).withIssueTime(ISSUED).withQuoteVersion(version).withKnobs(knobs);
    return TdxEmulation.generate(new RecordingMemory(1L << 20), o, new ArrayList<>());
  }

  private static boolean ecdsa(java.security.PublicKey key, Bytes rs, Bytes msg) throws Exception {
    byte[] r = rs.toByteArray();
    ASN1EncodableVector v = new ASN1EncodableVector();
    v.add(new ASN1Integer(new BigInteger(1, java.util.Arrays.copyOfRange(r, 0, 32))));
    v.add(new ASN1Integer(new BigInteger(1, java.util.Arrays.copyOfRange(r, 32, 64))));
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initVerify(key);
    s.update(msg.toByteArray());
    return s.verify(new DERSequence(v).getEncoded());
  }

  private static java.security.PublicKey ak(Quote q) throws Exception {
    byte[] xy = q.signatureData().attestationKey().toByteArray();
    var params = java.security.AlgorithmParameters.getInstance("EC");
    params.init(new java.security.spec.ECGenParameterSpec("secp256r1"));
    var spec = params.getParameterSpec(java.security.spec.ECParameterSpec.class);
    return java.security.KeyFactory.getInstance("EC").generatePublic(new java.security.spec.ECPublicKeySpec(
        new java.security.spec.ECPoint(new BigInteger(1, java.util.Arrays.copyOfRange(xy, 0, 32)), new BigInteger(1, java.util.Arrays.copyOfRange(xy, 32, 64))), spec));
  }

  private static boolean quoteSignatureOk(Quote q) throws Exception {
    return ecdsa(ak(q), q.signatureData().signature(), q.signedBytes());
  }

  private static boolean qeReportSignatureOk(Quote q) throws Exception {
    QeReportCertificationData qe = q.qeReportCertificationData().orElseThrow();
    return ecdsa(q.pckCertChain().orElseThrow().leaf().getPublicKey(), qe.qeReportSignature(), q.qeReportBytes().orElseThrow());
  }

  private static boolean bindingOk(Quote q) throws Exception {
    QeReportCertificationData qe = q.qeReportCertificationData().orElseThrow();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update(q.signatureData().attestationKey().toByteArray());
    sha.update(qe.qeAuthData().toByteArray());
    return qe.qeReport().reportData().slice(0, 32).contentEquals(sha.digest());
  }

  private static boolean tcbInfoSignatureOk(EmulatedEvidence e) throws Exception {
    SignedCollateral<TcbInfo> t = TcbInfo.parseResponse(e.tcbInfoResponse().toByteArray());
    return ecdsa(e.tcbInfoIssuerChain().get(0).getPublicKey(), t.signature(), t.signedBody());
  }

  @Test
  void defaults_breakNothing() throws Exception {
    EmulatedEvidence e = generate(EmulationKnobs.defaults(), 5);
    Quote q = e.quote();
    assertThat(quoteSignatureOk(q)).isTrue();
    assertThat(qeReportSignatureOk(q)).isTrue();
    assertThat(bindingOk(q)).isTrue();
    assertThat(q.qeReportCertificationData().orElseThrow().qeReport().reportData().slice(32, 64).isAllZero()).isTrue();
    assertThat(tcbInfoSignatureOk(e)).isTrue();
    assertThat(q.body().tdAttributes().debug()).isFalse();
    assertThat(q.trailingLength()).isZero();
    TcbInfo t = TcbInfo.parseResponse(e.tcbInfoResponse().toByteArray()).body();
    assertThat(t.tcbLevels()).singleElement().satisfies(l -> assertThat(l.tcbStatus()).isEqualTo(TcbStatus.UP_TO_DATE));
    assertThat(t.tdxModuleIdentities()).extracting(TcbInfo.TdxModuleIdentity::id).containsExactly("TDX_01");
    assertThat(t.nextUpdate()).isEqualTo(ISSUED.plus(Duration.ofDays(30)));
    QeIdentity qe = QeIdentity.parseResponse(e.qeIdentityResponse().toByteArray()).body();
    assertThat(qe.mrSigner()).isEqualTo(q.qeReportCertificationData().orElseThrow().qeReport().mrSigner());
    assertThat(qe.tcbLevels().get(0).isvSvn()).isEqualTo(8);
  }

  @Test
  void quoteSignedWithWrongKey_failsOnlyTheQuoteSignature() throws Exception {
    Quote q = generate(EmulationKnobs.builder().quoteSignedWithWrongKey(true).build(), 4).quote();
    assertThat(quoteSignatureOk(q)).isFalse();
    assertThat(qeReportSignatureOk(q)).isTrue();
    assertThat(bindingOk(q)).isTrue();
  }

  @Test
  void qeReportSignedWithWrongKey_failsOnlyTheQeReportSignature() throws Exception {
    Quote q = generate(EmulationKnobs.builder().qeReportSignedWithWrongKey(true).build(), 4).quote();
    assertThat(quoteSignatureOk(q)).isTrue();
    assertThat(qeReportSignatureOk(q)).isFalse();
  }

  @Test
  void wrongBinding_andNonZeroTail_breakTheQeReportData() throws Exception {
    Quote q = generate(EmulationKnobs.builder().wrongQeBinding(true).build(), 4).quote();
    assertThat(bindingOk(q)).isFalse();
    assertThat(qeReportSignatureOk(q)).as("still properly signed").isTrue();
    Quote t = generate(EmulationKnobs.builder().nonZeroQeReportDataTail(true).build(), 4).quote();
    assertThat(bindingOk(t)).isTrue();
    assertThat(t.qeReportCertificationData().orElseThrow().qeReport().reportData().slice(32, 64).isAllZero()).isFalse();
  }

  @Test
  void collateralSignedWithWrongKey_failsTheTcbInfoSignature() throws Exception {
    assertThat(tcbInfoSignatureOk(generate(EmulationKnobs.builder().collateralSignedWithWrongKey(true).build(), 4))).isFalse();
  }

  @Test
  void debugTd_setsTdAttributesDebug() throws Exception {
    assertThat(generate(EmulationKnobs.builder().debugTd(true).build(), 4).quote().body().tdAttributes().debug()).isTrue();
  }

  @Test
  void platformKnobs_reachThePckCertificate_andTheTcbInfo() throws Exception {
    EmulatedEvidence e =
        generate(EmulationKnobs.builder().fmspc(Bytes.fromHex("00a06d080000")).pceSvn(11).platformTcbStatus(TcbStatus.OUT_OF_DATE)
            .advisoryIds(List.of("INTEL-SA-00837")).tcbEvaluationDataNumber(19).build(), 4);
    PckExtensions ext = PckExtensions.fromCertificate(e.quote().pckCertChain().orElseThrow().leaf());
    assertThat(ext.fmspc().hex()).isEqualTo("00a06d080000");
    assertThat(ext.tcb().pceSvn()).isEqualTo(11);
    TcbInfo t = TcbInfo.parseResponse(e.tcbInfoResponse().toByteArray()).body();
    assertThat(t.fmspc().hex()).isEqualTo("00a06d080000");
    assertThat(t.tcbEvaluationDataNumber()).isEqualTo(19);
    assertThat(t.tcbLevels().get(0).tcbStatus()).isEqualTo(TcbStatus.OUT_OF_DATE);
    assertThat(t.tcbLevels().get(0).advisoryIds()).containsExactly("INTEL-SA-00837");
    assertThat(t.tcbLevels().get(0).pceSvn()).isEqualTo(11);
  }

  @Test
  void explicitTcbAndQeLevels_replaceTheDefaults() throws Exception {
    List<TcbInfo.TcbComponent> high = Stream.generate(() -> TcbInfo.TcbComponent.of(99)).limit(16).toList();
    TcbInfo.TcbLevel unreachable = new TcbInfo.TcbLevel(high, 99, high, ISSUED, TcbStatus.UP_TO_DATE, List.of());
    QeIdentity.QeTcbLevel qeRevoked = new QeIdentity.QeTcbLevel(1, ISSUED, TcbStatus.REVOKED, List.of());
    EmulatedEvidence e = generate(EmulationKnobs.builder().tcbLevels(List.of(unreachable)).qeTcbLevels(List.of(qeRevoked)).build(), 4);
    assertThat(TcbInfo.parseResponse(e.tcbInfoResponse().toByteArray()).body().tcbLevels()).containsExactly(unreachable);
    assertThat(QeIdentity.parseResponse(e.qeIdentityResponse().toByteArray()).body().tcbLevels()).containsExactly(qeRevoked);
  }

  @Test
  void revocationKnobs_listTheSerialsOnTheCrls() throws Exception {
    EmulatedEvidence e =
        generate(EmulationKnobs.builder().revokePckLeaf(true).revokePlatformCa(true).extraRevokedSerials(List.of(BigInteger.valueOf(77))).build(), 4);
    X509Certificate pck = e.quote().pckCertChain().orElseThrow().leaf();
    X509Certificate platformCa = e.pckCrlIssuerChain().get(0);
    var pckCrl = CertificateRevocationList.parse(e.pckCrl().toByteArray()).x509();
    var rootCrl = CertificateRevocationList.parse(e.rootCrl().toByteArray()).x509();
    assertThat(pckCrl.isRevoked(pck)).isTrue();
    assertThat(pckCrl.getRevokedCertificate(BigInteger.valueOf(77))).isNotNull();
    assertThat(rootCrl.isRevoked(platformCa)).isTrue();
    EmulatedEvidence clean = generate(EmulationKnobs.defaults(), 4);
    assertThat(CertificateRevocationList.parse(clean.pckCrl().toByteArray()).x509().getRevokedCertificates()).isNull();
  }

  @Test
  void validityKnobs_setCertificateAndCollateralTimes() throws Exception {
    Instant expired = Instant.parse("2026-02-01T00:00:00Z");
    EmulatedEvidence e =
        generate(EmulationKnobs.builder().pckNotAfter(expired).collateralValidity(Duration.ofDays(1)).build(), 4);
    assertThat(e.quote().pckCertChain().orElseThrow().leaf().getNotAfter().toInstant()).isEqualTo(expired);
    assertThat(TcbInfo.parseResponse(e.tcbInfoResponse().toByteArray()).body().nextUpdate()).isEqualTo(ISSUED.plus(Duration.ofDays(1)));
    assertThat(CertificateRevocationList.parse(e.rootCrl().toByteArray()).x509().getNextUpdate().toInstant()).isEqualTo(ISSUED.plus(Duration.ofDays(1)));
  }

  @Test
  void trailingBytes_followTheSignatureData_unsigned() throws Exception {
    Quote q = generate(EmulationKnobs.builder().trailingBytes(Bytes.zeros(70)).build(), 4).quote();
    assertThat(q.trailingLength()).isEqualTo(70);
    assertThat(quoteSignatureOk(q)).isTrue();
  }

  @Test
  void sameSeed_givesByteIdenticalFiles_otherSeed_differs(@TempDir Path tmp) throws Exception {
    TdxEmulation.Options o = TdxEmulation.Options.defaults(tmp.resolve("a")).withSeed(1234).withIssueTime(ISSUED).withQuoteVersion(5);
    TdxEmulation.Result a = TdxEmulation.run(new RecordingMemory(1L << 20), o);
    TdxEmulation.Result b = TdxEmulation.run(new RecordingMemory(1L << 20), new TdxEmulation.Options(tmp.resolve("b"), o.reportData(), 5, 1234, ISSUED, o.knobs()));
    assertThat(a.files()).hasSize(10);
    for (Path f : a.files()) {
      Path rel = tmp.resolve("a").relativize(f);
      assertThat(Files.readAllBytes(tmp.resolve("b").resolve(rel))).as(rel.toString()).isEqualTo(Files.readAllBytes(f));
    }
    assertThat(b.log()).isEqualTo(a.log().stream().map(l -> l.replace(tmp.resolve("a").toString(), tmp.resolve("b").toString())).toList());
    TdxEmulation.Result c = TdxEmulation.run(new RecordingMemory(1L << 20), o.withSeed(1235).withIssueTime(ISSUED));
    assertThat(c.evidence().quote().raw()).isNotEqualTo(a.evidence().quote().raw());
  }

  @Test
  void pckExtensions_roundTripThroughDer() throws Exception {
    PckExtensions ext = PckExtensions.fromCertificate(generate(EmulationKnobs.defaults(), 4).quote().pckCertChain().orElseThrow().leaf());
    assertThat(PckExtensions.parse(ext.toDer())).isEqualTo(ext);
    assertThat(ext.platformInstanceId()).isPresent();
    assertThat(ext.sgxType()).isEqualTo(PckExtensions.SGX_TYPE_SCALABLE);
  }
}
