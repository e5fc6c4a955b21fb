package io.guestmem.tdx.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * PCS collateral: TCB Info v3 and QE Identity v2 keep the exact served bytes of their signed body
 * (checked by verifying Intel's signature over them), CRLs keep their DER.
 */
class CollateralTest {
  private static final String TCB_2023 = "1b96f799643d045c076fbc505c094a4fb26f51f4851feb8ac95f3fc12408f2d6";
  private static final String TCB_V5 = "1cd562453aa7de360666f5526968f38ddc6c27bd8cbdd10695d09573fca57dfb";
  private static final String QE_2023 = "86239584ed47792d02cdfc051cde95cb5169a0b74dc9dcc61c1ebaeb5e59ade0";
  private static final String TCB_CHAIN = "b2ca71b8e849d5e799451b4bfe43159a0ee548032cecb2c0e479bf6ee3f39fd1";
  private static final String TRUSTEE_TCB = "06c50be9bc9c042a45675bcba09ae381c61b5d3a017a41cb12e9312387e3898c";
  private static final String TRUSTEE_QE = "1ebffe572e3b77f5917be8e75dde4b66af13438e65f09fd5011a12b70f7e9a5d";
  private static final String DCAP_COLLATERAL = "b0a5f5fd620a8881b1eda45261fdf30dd930b49aff93231556645c81fcb4c0bc";

  private static X509Certificate tcbSigningCert() throws Exception {
    return TestCrypto.pemChain(Vectors.read("go-tdx-guest/tcbinfo_issuer_chain.pem", TCB_CHAIN)).get(0);
  }

  private static boolean intelSigned(SignedCollateral<?> c) throws Exception {
    return TestCrypto.verifyRaw(tcbSigningCert().getPublicKey(), c.signature().toByteArray(), c.signedBody().toByteArray());
  }

  /** The bytes between {@code {"member":} and {@code ,"signature"} of a compact response. */
  private static byte[] between(byte[] response, String member) {
    String s = new String(response, StandardCharsets.UTF_8);
    int from = s.indexOf("{\"" + member + "\":") + member.length() + 4;
    int to = s.lastIndexOf(",\"signature\"");
    return s.substring(from, to).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void tcbInfo2023_parses_keepsServedBody_andIntelSignatureVerifies() throws Exception {
    byte[] raw = Vectors.read("go-tdx-guest/sample_tcbInfo_response", TCB_2023);
    SignedCollateral<TcbInfo> c = TcbInfo.parseResponse(raw);
    assertThat(c.signedBody().toByteArray()).isEqualTo(between(raw, "tcbInfo"));
    assertThat(intelSigned(c)).isTrue();
    TcbInfo t = c.body();
    assertThat(t.id()).isEqualTo("TDX");
    assertThat(t.version()).isEqualTo(3);
    assertThat(t.fmspc().hex()).isEqualTo("50806f000000");
    assertThat(t.tcbEvaluationDataNumber()).isEqualTo(15);
    assertThat(t.issueDate()).isEqualTo(Instant.parse("2023-06-18T08:42:58Z"));
    assertThat(t.tdxModule()).isPresent();
    assertThat(t.tcbLevels()).isNotEmpty();
    assertThat(t.tcbLevels().get(0).tdxTcbComponents()).hasSize(16);
  }

  @Test
  void tcbInfoV5_hasModuleIdentities() throws Exception {
    SignedCollateral<TcbInfo> c = TcbInfo.parseResponse(Vectors.read("go-tdx-guest/sample_tcbinfo_response_v5", TCB_V5));
    assertThat(intelSigned(c)).as("same key signs, MANIFEST §3").isTrue();
    TcbInfo t = c.body();
    assertThat(t.fmspc().hex()).isEqualTo("90c06f000000");
    assertThat(t.tcbEvaluationDataNumber()).isEqualTo(18);
    assertThat(t.tdxModuleIdentities()).extracting(TcbInfo.TdxModuleIdentity::id).containsExactly("TDX_03", "TDX_01");
    TcbInfo.TdxModuleIdentity m1 = t.tdxModuleIdentities().get(1);
    assertThat(m1.tcbLevels().get(0).isvSvn()).isEqualTo(6);
    assertThat(m1.tcbLevels().get(1).tcbStatus()).isEqualTo(TcbStatus.OUT_OF_DATE);
    assertThat(m1.tcbLevels().get(1).advisoryIds()).containsExactly("INTEL-SA-01036", "INTEL-SA-01099");
  }

  @Test
  void trusteeTcbInfo_andEnclaveIdentity_parse_andVerify() throws Exception {
    SignedCollateral<TcbInfo> t = TcbInfo.parseResponse(Vectors.read("trustee/tcbInfo.json", TRUSTEE_TCB));
    assertThat(t.body().fmspc().hex()).isEqualTo("00a06d080000");
    assertThat(t.body().tdxModule().orElseThrow().attributesMask().hex()).isEqualTo("ffffffffffffffff");
    assertThat(intelSigned(t)).isTrue();
    SignedCollateral<QeIdentity> q = QeIdentity.parseResponse(Vectors.read("trustee/enclaveIdentity.json", TRUSTEE_QE));
    assertThat(q.body().id()).isEqualTo("TD_QE");
    assertThat(intelSigned(q)).isTrue();
  }

  @Test
  void qeIdentity2023_parses_andIntelSignatureVerifies() throws Exception {
    byte[] raw = Vectors.read("go-tdx-guest/sample_qeIdentity_response", QE_2023);
    SignedCollateral<QeIdentity> c = QeIdentity.parseResponse(raw);
    assertThat(c.signedBody().toByteArray()).isEqualTo(between(raw, "enclaveIdentity"));
    assertThat(intelSigned(c)).isTrue();
    QeIdentity q = c.body();
    assertThat(q.id()).isEqualTo(QeIdentity.ID_TD_QE);
    assertThat(q.version()).isEqualTo(2);
    assertThat(q.mrSigner().hex()).isEqualTo("dc9e2a7c6f948f17474e34a7fc43ed030f7c1563f1babddf6340c82e0e54a8c5");
    assertThat(q.isvProdId()).isEqualTo(2);
    assertThat(q.miscselectMaskValue()).isEqualTo(0xffffffffL);
    assertThat(q.attributes().hex()).isEqualTo("11000000000000000000000000000000");
    assertThat(q.tcbLevels()).singleElement().satisfies(l -> {
      assertThat(l.isvSvn()).isEqualTo(4);
      assertThat(l.tcbStatus()).isEqualTo(TcbStatus.UP_TO_DATE);
    });
  }

  @Test
  void dcapQvlBundle_bareBodies_parse_andTheirSeparateSignaturesVerify() throws Exception {
    byte[] bundle = Vectors.read("dcap-qvl/tdx_quote_collateral.json", DCAP_COLLATERAL);
    JsonFields f = new JsonFields(Json.parse(bundle, "bundle"), "bundle");
    byte[] tcbBody = f.string("tcb_info").getBytes(StandardCharsets.UTF_8);
    TcbInfo t = TcbInfo.parse(tcbBody);
    assertThat(t.fmspc().hex()).isEqualTo("b0c06f000000");
    assertThat(t.tcbEvaluationDataNumber()).isEqualTo(17);
    X509Certificate signer = TestCrypto.pemChain(f.string("tcb_info_issuer_chain").getBytes(StandardCharsets.US_ASCII)).get(0);
    Bytes sig = SignedCollateral.signature(f.string("tcb_info_signature"), "sig", 0);
    assertThat(TestCrypto.verifyRaw(signer.getPublicKey(), sig.toByteArray(), tcbBody)).isTrue();
    QeIdentity q = QeIdentity.parse(f.string("qe_identity").getBytes(StandardCharsets.UTF_8));
    assertThat(q.tcbEvaluationDataNumber()).isEqualTo(17);
    CertificateRevocationList pck = CertificateRevocationList.parse(HexFormat.of().parseHex(f.string("pck_crl")));
    CertificateRevocationList root = CertificateRevocationList.parse(HexFormat.of().parseHex(f.string("root_ca_crl")));
    assertThat(pck.x509().getIssuerX500Principal().getName()).contains("Intel SGX PCK Platform CA");
    assertThat(root.x509().getIssuerX500Principal().getName()).contains("Intel SGX Root CA");
  }

  @Test
  void sgxTcbInfo_fromTheDcapQvlSgxBundle_parsesWithoutTdxMembers() throws Exception {
    byte[] bundle = Vectors.read("dcap-qvl/sgx_quote_collateral.json", "bdd694bbe50f3a2a1cfe12f9e2bd83125921107a368edcf10780a5523b8501ce");
    JsonFields f = new JsonFields(Json.parse(bundle, "bundle"), "bundle");
    TcbInfo t = TcbInfo.parse(f.string("tcb_info").getBytes(StandardCharsets.UTF_8));
    assertThat(t.id()).isEqualTo("SGX");
    assertThat(t.fmspc().hex()).isEqualTo("00a067110000");
    assertThat(t.tdxModule()).isEmpty();
    assertThat(t.tcbLevels()).allSatisfy(l -> assertThat(l.tdxTcbComponents()).isEmpty());
    assertThat(t.tcbLevels()).anySatisfy(l -> assertThat(l.advisoryIds()).contains("INTEL-SA-00289", "INTEL-SA-00615"));
  }

  @Test
  void crls_parse_andKeepTheirDer() throws Exception {
    byte[] pck = Vectors.read("go-tdx-guest/pckcrl", "381598fbab078ecfba7df257d4396d3428ffb20a491f7ddbc14c52ec9c27e06f");
    byte[] root = Vectors.read("go-tdx-guest/rootcrl.der", "f64b58a120f2882219944f1c0e0e3d87e8a02313e39c5d0bc658bdbcf524c41c");
    assertThat(CertificateRevocationList.parse(pck).toBytes()).isEqualTo(pck);
    assertThat(CertificateRevocationList.parse(root).toBytes()).isEqualTo(root);
    assertThat(catchThrowableOfType(MalformedLayoutException.class, () -> CertificateRevocationList.parse(java.util.Arrays.copyOf(pck, 100))))
        .isNotNull();
    byte[] longer = java.util.Arrays.copyOf(root, root.length + 1);
    assertThat(catchThrowableOfType(MalformedLayoutException.class, () -> CertificateRevocationList.parse(longer))).isNotNull();
  }

  @Test
  void malformedCollateral_failsWithTheCheckedException() throws Exception {
    byte[] raw = Vectors.read("go-tdx-guest/sample_qeIdentity_response", QE_2023);
    String s = new String(raw, StandardCharsets.UTF_8);
    List<String> bad =
        List.of(
            s.substring(0, s.length() - 1),
            s + "x",
            s.replace("\"isvprodid\":2", "\"isvprodid\":2,\"isvprodid\":3"),
            s.replace("\"version\":2", "\"version\":1"),
            s.replace("UpToDate", "Great"),
            s.replace("\"signature\":\"b6", "\"signature\":\"b"),
            s.replace("\"miscselect\":\"00000000\"", "\"miscselect\":\"000000\""),
            s.replace("\"issueDate\":\"2023-06-08T07:24:59Z\"", "\"issueDate\":\"yesterday\""),
            s.replace("{\"enclaveIdentity\"", "{\"extra\":1,\"enclaveIdentity\""),
            "[]",
            "",
            "{\"enclaveIdentity\":" + "[".repeat(100) + "]".repeat(100) + "}");
    for (String b : bad) {
      assertThat(catchThrowableOfType(MalformedLayoutException.class, () -> QeIdentity.parseResponse(b.getBytes(StandardCharsets.UTF_8))))
          .as(b.length() > 80 ? b.substring(0, 80) : b)
          .isNotNull();
    }
    assertThat(catchThrowableOfType(MalformedLayoutException.class, () -> TcbInfo.parseResponse(new byte[] {(byte) 0xff, '{'}))).isNotNull();
  }

  @Test
  void emittedJson_parsesBackToTheSameValue() throws Exception {
    TcbInfo t = TcbInfo.parseResponse(Vectors.read("go-tdx-guest/sample_tcbinfo_response_v5", TCB_V5)).body();
    assertThat(TcbInfo.parse(t.toJson())).isEqualTo(t);
    QeIdentity q = QeIdentity.parseResponse(Vectors.read("go-tdx-guest/sample_qeIdentity_response", QE_2023)).body();
    assertThat(QeIdentity.parse(q.toJson())).isEqualTo(q);
  }
}
