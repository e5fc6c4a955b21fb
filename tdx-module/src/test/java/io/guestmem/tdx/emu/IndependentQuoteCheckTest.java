package io.guestmem.tdx.emu;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.tdx.abi.Quote;
import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.DERSequence;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checks emulated quotes v4 and v5 and their collateral the way an outside verifier would, with
 * plain JCA and BouncyCastle ASN.1 over the bytes on disk — no emulator code and no abi parser:
 * offsets are computed here from the DCAP layout.
 */
class IndependentQuoteCheckTest {
  static final Instant ISSUED = Instant.parse("2026-03-01T00:00:00Z");

  @TempDir Path out;

  private static int u16(byte[] b, int at) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getShort(at) & 0xffff;
  }

  private static int u32(byte[] b, int at) {
    return ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt(at);
  }

  private static PublicKey p256(byte[] xy) throws Exception {
    AlgorithmParameters params = AlgorithmParameters.getInstance("EC");
    params.init(new ECGenParameterSpec("secp256r1"));
    ECParameterSpec spec = params.getParameterSpec(ECParameterSpec.class);
    return KeyFactory.getInstance("EC")
        .generatePublic(new ECPublicKeySpec(
            new ECPoint(new BigInteger(1, Arrays.copyOfRange(xy, 0, 32)), new BigInteger(1, Arrays.copyOfRange(xy, 32, 64))), spec));
  }

  private static boolean verify(PublicKey key, byte[] rs, byte[] msg) throws Exception {
    ASN1EncodableVector v = new ASN1EncodableVector();
    v.add(new ASN1Integer(new BigInteger(1, Arrays.copyOfRange(rs, 0, 32))));
    v.add(new ASN1Integer(new BigInteger(1, Arrays.copyOfRange(rs, 32, 64))));
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initVerify(key);
    s.update(msg);
    return s.verify(new DERSequence(v).getEncoded());
  }

  private static List<X509Certificate> certs(byte[] pem) throws Exception {
    return CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem)).stream()
        .map(c -> (X509Certificate) c).toList();
  }

  @ParameterizedTest(name = "quote v{0}")
  @ValueSource(ints = {4, 5})
  void emulatedQuote_passesAnIndependentJcaCheck(int version) throws Exception {
    TdxEmulation.Options options =
        TdxEmulation.Options.defaults(out).withQuoteVersion(version).withSeed(42).withIssueTime(ISSUED)
            .withReportData(TdxEmulation.Options.reportDataFromHex("c0ffee"));
    TdxEmulation.run(new RecordingMemory(16L << 20), options);
    byte[] q = Files.readAllBytes(out.resolve("quote.bin"));

    // Layout (DCAP sgx_quote_4.h / sgx_quote_5.h).
    assertThat(u16(q, 0)).isEqualTo(version);
    assertThat(u16(q, 2)).isEqualTo(2);
    assertThat(u32(q, 4)).isEqualTo(0x81);
    int bodyAt = version == 4 ? 0x30 : 0x36;
    int bodySize = version == 4 ? 584 : 648;
    if (version == 5) {
      assertThat(u16(q, 0x30)).isEqualTo(3);
      assertThat(u32(q, 0x32)).isEqualTo(648);
    }
    int sigLenAt = bodyAt + bodySize;
    int sigAt = sigLenAt + 4;
    assertThat(sigAt + u32(q, sigLenAt)).isEqualTo(q.length);
    assertThat(Arrays.copyOfRange(q, bodyAt + 0x208, bodyAt + 0x20B)).containsExactly(0xc0, 0xff, 0xee);

    // Quote signature over header ‖ [descriptor ‖] body with the attestation key.
    byte[] signature = Arrays.copyOfRange(q, sigAt, sigAt + 64);
    byte[] ak = Arrays.copyOfRange(q, sigAt + 64, sigAt + 128);
    assertThat(verify(p256(ak), signature, Arrays.copyOfRange(q, 0, sigLenAt))).isTrue();

    // Certification data type 6 → QE report, its signature, auth data, type 5 PEM chain.
    int cd = sigAt + 128;
    assertThat(u16(q, cd)).isEqualTo(6);
    int qeReportAt = cd + 6;
    byte[] qeReport = Arrays.copyOfRange(q, qeReportAt, qeReportAt + 384);
    byte[] qeSig = Arrays.copyOfRange(q, qeReportAt + 384, qeReportAt + 448);
    int authLen = u16(q, qeReportAt + 448);
    byte[] auth = Arrays.copyOfRange(q, qeReportAt + 450, qeReportAt + 450 + authLen);
    int innerAt = qeReportAt + 450 + authLen;
    assertThat(u16(q, innerAt)).isEqualTo(5);
    byte[] pem = Arrays.copyOfRange(q, innerAt + 6, innerAt + 6 + u32(q, innerAt + 2));
    assertThat(pem[pem.length - 1]).as("NUL-terminated like real quotes").isZero();
    List<X509Certificate> chain = certs(Arrays.copyOf(pem, pem.length - 1));
    assertThat(chain).hasSize(3);

    // QE report signed by the PCK leaf; binding of the attestation key.
    assertThat(verify(chain.get(0).getPublicKey(), qeSig, qeReport)).isTrue();
    MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
    sha256.update(ak);
    sha256.update(auth);
    assertThat(Arrays.copyOfRange(qeReport, 0x140, 0x160)).isEqualTo(sha256.digest());
    assertThat(Arrays.copyOfRange(qeReport, 0x160, 0x180)).isEqualTo(new byte[32]);

    // PCK chain to the emulated root on disk (PKIX, at the issue time, CRLs checked separately).
    X509Certificate root = certs(Files.readAllBytes(out.resolve("roots/emulated-sgx-root-ca.pem"))).get(0);
    assertThat(chain.get(2)).isEqualTo(root);
    PKIXParameters pkix = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    pkix.setRevocationEnabled(false);
    pkix.setDate(Date.from(ISSUED));
    CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(chain.subList(0, 2)), pkix);

    // PCK SGX extension: FMSPC (OID .4) as an OCTET STRING inside the SEQUENCE.
    ASN1Sequence ext = ASN1Sequence.getInstance(
        ASN1OctetString.getInstance(ASN1Primitive.fromByteArray(chain.get(0).getExtensionValue("1.2.840.113741.1.13.1"))).getOctets());
    byte[] fmspc = null;
    for (var e : ext) {
      ASN1Sequence pair = ASN1Sequence.getInstance(e);
      if (pair.getObjectAt(0).toString().equals("1.2.840.113741.1.13.1.4")) {
        fmspc = ASN1OctetString.getInstance(pair.getObjectAt(1)).getOctets();
      }
    }
    assertThat(fmspc).containsExactly(0x90, 0xc0, 0x6f, 0, 0, 0);

    // Collateral: TCB Info and QE Identity signed over the raw served body by the TCB signing cert.
    for (String[] f : new String[][] {{"collateral/tcbinfo.json", "tcbInfo"}, {"collateral/qeidentity.json", "enclaveIdentity"}}) {
      String json = Files.readString(out.resolve(f[0]), StandardCharsets.UTF_8);
      String head = "{\"" + f[1] + "\":";
      int sigMember = json.lastIndexOf(",\"signature\":\"");
      assertThat(json).startsWith(head);
      byte[] body = json.substring(head.length(), sigMember).getBytes(StandardCharsets.UTF_8);
      String hex = json.substring(sigMember + 14, json.length() - 2);
      List<X509Certificate> issuer = certs(Files.readAllBytes(out.resolve(f[0].replace(".json", ".issuer-chain.pem"))));
      assertThat(issuer.get(1)).isEqualTo(root);
      issuer.get(0).verify(root.getPublicKey());
      assertThat(verify(issuer.get(0).getPublicKey(), java.util.HexFormat.of().parseHex(hex), body)).as(f[0]).isTrue();
    }
    assertThat(Files.readString(out.resolve("collateral/tcbinfo.json"))).contains("\"fmspc\":\"90c06f000000\"");

    // CRLs: PCK CRL by the Platform CA, root CRL by the root; nothing revoked by default.
    CertificateFactory cf = CertificateFactory.getInstance("X.509");
    X509CRL pckCrl = (X509CRL) cf.generateCRL(Files.newInputStream(out.resolve("collateral/pckcrl.der")));
    X509CRL rootCrl = (X509CRL) cf.generateCRL(Files.newInputStream(out.resolve("collateral/rootcrl.der")));
    pckCrl.verify(chain.get(1).getPublicKey());
    rootCrl.verify(root.getPublicKey());
    assertThat(pckCrl.isRevoked(chain.get(0))).isFalse();
    assertThat(rootCrl.isRevoked(chain.get(1))).isFalse();
    assertThat(certs(Files.readAllBytes(out.resolve("collateral/pckcrl.issuer-chain.pem"))).get(0)).isEqualTo(chain.get(1));

    // And the project's own parser reads it the same way.
    Quote parsed = Quote.parse(q);
    assertThat(parsed.toBytes()).isEqualTo(q);
    assertThat(parsed.signedBytes().toByteArray()).isEqualTo(Arrays.copyOfRange(q, 0, sigLenAt));
  }
}
