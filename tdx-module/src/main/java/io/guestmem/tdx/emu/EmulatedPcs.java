package io.guestmem.tdx.emu;

import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.QeIdentity;
import io.guestmem.tdx.abi.SignedCollateral;
import io.guestmem.tdx.abi.TcbInfo;
import io.guestmem.tdx.abi.TcbStatus;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The emulated Intel Provisioning Certification Service: TCB Info v3 (id TDX) and QE Identity v2
 * (id TD_QE) in PCS response form {@code {"tcbInfo":{…},"signature":"<hex r‖s>"}}, where the
 * signature is ECDSA P-256/SHA-256 by the TCB signing key over the exact bytes of the body as
 * served — the same rule Intel follows, so one verifier checks both.
 *
 * <p>By default the collateral describes the emulated platform exactly (one UpToDate level at its
 * SVNs), so its evidence evaluates to UpToDate; {@link EmulationKnobs} replaces levels, statuses,
 * advisories, validity and the signing key.
 */
public final class EmulatedPcs {
  private final EmulatedPki pki;
  private final EmulationKnobs knobs;
  private final PlatformConfig platform;
  private final EmulatedQuotingEnclave qe;
  private final Instant issueTime;
  private final EcdsaP256 strangerKey;

  public EmulatedPcs(Seed seed, EmulatedPki pki, PlatformConfig platform, EmulatedQuotingEnclave qe, EmulationKnobs knobs, Instant issueTime) {
    this.pki = pki;
    this.knobs = knobs;
    this.platform = platform;
    this.qe = qe;
    this.issueTime = issueTime.truncatedTo(ChronoUnit.SECONDS);
    this.strangerKey = EcdsaP256.derive(seed, "collateral-stranger");
  }

  private Instant tcbDate() {
    return issueTime.truncatedTo(ChronoUnit.DAYS).minus(30, ChronoUnit.DAYS);
  }

  public TcbInfo tcbInfo() {
    Bytes seamAttributes = Bytes.of(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(platform.seamAttributes()).array());
    List<TcbInfo.TdxModuleIdentity> identities = new ArrayList<>();
    if (platform.tdx15()) {
      int major = platform.teeTcbSvn().get(1) & 0xff;
      int isvSvn = platform.teeTcbSvn().get(0) & 0xff;
      List<TcbInfo.ModuleTcbLevel> levels =
          knobs.moduleTcbLevels().orElse(List.of(new TcbInfo.ModuleTcbLevel(isvSvn, tcbDate(), TcbStatus.UP_TO_DATE, List.of())));
      identities.add(
          new TcbInfo.TdxModuleIdentity(
              String.format("TDX_%02X", major), platform.mrSignerSeam(), seamAttributes, Bytes.fromHex("ffffffffffffffff"), levels));
    }
    List<TcbInfo.TcbLevel> levels =
        knobs
            .tcbLevels()
            .orElseGet(
                () -> {
                  List<TcbInfo.TcbComponent> sgx = new ArrayList<>();
                  List<TcbInfo.TcbComponent> tdx = new ArrayList<>();
                  for (int i = 0; i < 16; i++) {
                    sgx.add(TcbInfo.TcbComponent.of(platform.cpuSvn().get(i) & 0xff));
                    tdx.add(TcbInfo.TcbComponent.of(platform.teeTcbSvn().get(i) & 0xff));
                  }
                  return List.of(new TcbInfo.TcbLevel(sgx, knobs.pceSvn(), tdx, tcbDate(), knobs.platformTcbStatus(), knobs.advisoryIds()));
                });
    return new TcbInfo(
        knobs.tcbInfoId().orElse(TcbInfo.ID_TDX), knobs.tcbInfoVersion(), issueTime, issueTime.plus(knobs.collateralValidity()), knobs.fmspc(), knobs.pceId(), 0,
        knobs.tcbEvaluationDataNumber(),
        Optional.of(new TcbInfo.TdxModule(platform.mrSignerSeam(), seamAttributes, Bytes.fromHex("ffffffffffffffff"))),
        identities, levels);
  }

  public QeIdentity qeIdentity() {
    List<QeIdentity.QeTcbLevel> levels =
        knobs.qeTcbLevels().orElse(List.of(new QeIdentity.QeTcbLevel(qe.isvSvn(), tcbDate(), TcbStatus.UP_TO_DATE, List.of())));
    return new QeIdentity(
        knobs.qeIdentityId().orElse(QeIdentity.ID_TD_QE), QeIdentity.VERSION_2, issueTime, issueTime.plus(knobs.collateralValidity()), knobs.tcbEvaluationDataNumber(),
        Bytes.fromHex("00000000"), Bytes.fromHex("ffffffff"), EmulatedQuotingEnclave.ATTRIBUTES,
        Bytes.fromHex("fbffffffffffffff0000000000000000"),
        knobs.qeIdentityMrSigner().orElse(qe.mrSigner()), EmulatedQuotingEnclave.ISV_PROD_ID, levels);
  }

  /** The TCB Info response body bytes as served. */
  public Bytes tcbInfoResponse() {
    return signedResponse("tcbInfo", tcbInfo().toJson());
  }

  /** The QE Identity response body bytes as served. */
  public Bytes qeIdentityResponse() {
    return signedResponse("enclaveIdentity", qeIdentity().toJson());
  }

  private Bytes signedResponse(String member, byte[] body) {
    EcdsaP256 signer = knobs.collateralSignedWithWrongKey() ? strangerKey : pki.tcbSigningKey();
    return Bytes.of(SignedCollateral.encodeResponse(member, Bytes.of(body), signer.signRaw(body)));
  }
}
