package io.guestmem.tdx.emu;

import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.PckCertChain;
import io.guestmem.tdx.abi.QeReportCertificationData;
import io.guestmem.tdx.abi.Quote;
import io.guestmem.tdx.abi.QuoteHeader;
import io.guestmem.tdx.abi.QuoteSignatureData;
import io.guestmem.tdx.abi.SgxReportBody;
import io.guestmem.tdx.abi.TdReport;
import io.guestmem.tdx.abi.TdReportBody;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * The emulated TD quoting enclave: turns a TDREPORT of its platform into a quote v4 or v5.
 *
 * <ol>
 *   <li>Check the TDREPORT's MAC with the platform (the real QE uses EVERIFYREPORT2).
 *   <li>Copy the report's fields into a TD 1.0 body (v4) or TD 1.5 body (v5, descriptor type 3).
 *   <li>Sign header ‖ [descriptor ‖] body with the P-256 attestation key (raw r‖s).
 *   <li>Attach type 6 certification data: the QE's own report, whose REPORTDATA is
 *       SHA-256(attestation key ‖ QE authentication data) ‖ 32 zero bytes, signed by the PCK key,
 *       wrapping type 5: the PEM chain PCK ‖ Platform CA ‖ root, NUL-terminated as real quotes are.
 * </ol>
 *
 * Knobs in {@link EmulationKnobs} break exactly one of these on request.
 */
public final class EmulatedQuotingEnclave {
  /** TD_QE's ISVPRODID. */
  public static final int ISV_PROD_ID = 2;
  /** SGX ATTRIBUTES of the QE (INIT | MODE64BIT, as Intel's QE Identity expects). */
  public static final Bytes ATTRIBUTES = Bytes.fromHex("11000000000000000000000000000000");

  private final EmulatedTdxPlatform platform;
  private final EmulatedPki pki;
  private final EmulationKnobs knobs;
  private final EcdsaP256 attestationKey;
  private final EcdsaP256 strangerKey;
  private final Bytes qeId;
  private final Bytes mrSigner;
  private final Bytes mrEnclave;
  private final Bytes authData;

  public EmulatedQuotingEnclave(Seed seed, EmulatedTdxPlatform platform, EmulatedPki pki, EmulationKnobs knobs) {
    this.platform = platform;
    this.pki = pki;
    this.knobs = knobs;
    this.attestationKey = EcdsaP256.derive(seed, "attestation-key");
    this.strangerKey = EcdsaP256.derive(seed, "stranger");
    this.qeId = Bytes.of(seed.bytes("qe-id", 16));
    this.mrSigner = Bytes.of(seed.bytes("qe-mrsigner", 32));
    this.mrEnclave = Bytes.of(seed.bytes("qe-mrenclave", 32));
    byte[] auth = new byte[32];
    for (int i = 0; i < auth.length; i++) {
      auth[i] = (byte) i;
    }
    this.authData = Bytes.of(auth);
  }

  /** The attestation public key x‖y. */
  public Bytes attestationKey() {
    return attestationKey.rawPublicKey();
  }

  public Bytes mrSigner() {
    return mrSigner;
  }

  public int isvSvn() {
    return knobs.qeIsvSvn();
  }

  /**
   * Quotes {@code report}.
   *
   * @throws IllegalArgumentException if the report's MAC does not verify on this platform, or the
   *     version is not 4 or 5
   */
  public Quote quote(TdReport report, int version) {
    if (version != 4 && version != 5) {
      throw new IllegalArgumentException("quote version must be 4 or 5");
    }
    // Step 1: only reports of this platform are quoted.
    if (!platform.verifyReport(report)) {
      throw new IllegalArgumentException("TDREPORT MAC does not verify on this platform");
    }
    // Step 2: the body.
    TdReport.TdInfo info = report.tdInfo();
    TdReport.TeeTcbInfo tcb = report.teeTcbInfo();
    boolean td15 = version == 5;
    TdReportBody body =
        new TdReportBody(
            td15 ? TdReportBody.Kind.TD15 : TdReportBody.Kind.TD10,
            tcb.teeTcbSvn(), tcb.mrSeam(), tcb.mrSignerSeam(), tcb.attributes(), info.attributes(), info.xfam(), info.mrTd(),
            info.mrConfigId(), info.mrOwner(), info.mrOwnerConfig(), info.rtmrs(), report.reportMac().reportData(),
            td15 ? Optional.of(tcb.teeTcbSvn2()) : Optional.empty(),
            td15 ? Optional.of(info.servTdHash()) : Optional.empty());
    QuoteHeader header = QuoteHeader.tdx(version, QuoteHeader.INTEL_QE_VENDOR_ID, qeId.concat(Bytes.zeros(4)));
    // Step 3: the quote signature.
    EcdsaP256 signer = knobs.quoteSignedWithWrongKey() ? strangerKey : attestationKey;
    Bytes signature = signer.signRaw(Quote.signedBytesOf(header, body));
    // Step 4: the QE report and its certification.
    SgxReportBody qeReport = qeReport(report.reportMac().cpuSvn());
    EcdsaP256 qeSigner = knobs.qeReportSignedWithWrongKey() ? strangerKey : pki.pckKey();
    Bytes qeSignature = qeSigner.signRaw(qeReport.toBytes());
    QeReportCertificationData certification =
        new QeReportCertificationData(qeReport, qeSignature, authData, PckCertChain.of(pki.pckChain(), true));
    return Quote.of(header, body, new QuoteSignatureData(signature, attestationKey.rawPublicKey(), certification), knobs.trailingBytes());
  }

  private SgxReportBody qeReport(Bytes cpuSvn) {
    Bytes bound = sha256(knobs.wrongQeBinding() ? authData.concat(attestationKey.rawPublicKey()) : attestationKey.rawPublicKey().concat(authData));
    Bytes tail = knobs.nonZeroQeReportDataTail() ? Bytes.fromHex("01".repeat(32)) : Bytes.zeros(32);
    return new SgxReportBody(
        cpuSvn, knobs.qeMiscSelect(), Bytes.zeros(12), Bytes.zeros(16), knobs.qeAttributes().orElse(ATTRIBUTES), mrEnclave,
        Bytes.zeros(32), mrSigner, Bytes.zeros(32), Bytes.zeros(64), knobs.qeIsvProdId().orElse(ISV_PROD_ID), knobs.qeIsvSvn(), 0, Bytes.zeros(42), Bytes.zeros(16), bound.concat(tail));
  }

  private static Bytes sha256(Bytes b) {
    try {
      return Bytes.of(MessageDigest.getInstance("SHA-256").digest(b.toByteArray()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }
}
