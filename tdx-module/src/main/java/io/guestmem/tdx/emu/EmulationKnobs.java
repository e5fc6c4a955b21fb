package io.guestmem.tdx.emu;

import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.QeIdentity;
import io.guestmem.tdx.abi.TcbInfo;
import io.guestmem.tdx.abi.TcbStatus;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Every parameter of the emulated platform, quoting enclave and PCS that a negative test may
 * want to turn. The defaults give evidence that a verifier configured with the emulated root
 * accepts as UpToDate at the issue time. Build with {@link #builder()}.
 *
 * @param fmspc FMSPC in the PCK certificate and TCB Info (6 bytes)
 * @param pceId PCE-ID in the PCK certificate and TCB Info (2 bytes)
 * @param pceSvn PCESVN in the PCK certificate
 * @param platform the platform TCB (CPUSVN, TEE_TCB_SVN, …); empty = {@link PlatformConfig#defaults}
 * @param qeIsvSvn the quoting enclave's ISVSVN
 * @param debugTd set TD_ATTRIBUTES.DEBUG on the emulated TD
 * @param tcbLevels TCB Info platform levels; empty = one level equal to the platform's SVNs
 * @param platformTcbStatus status of that default level
 * @param advisoryIds advisories of that default level
 * @param moduleTcbLevels levels of the TDX module identity; empty = one UpToDate level at the module ISVSVN
 * @param qeTcbLevels QE Identity levels; empty = one UpToDate level at {@code qeIsvSvn}
 * @param tcbEvaluationDataNumber of TCB Info and QE Identity
 * @param collateralValidity nextUpdate − issueDate of TCB Info, QE Identity and CRLs
 * @param certsNotBefore notBefore of every certificate; empty = issue time − 1 day
 * @param caNotAfter notAfter of the root, Platform CA and TCB signing certificates; empty = notBefore + 25 years
 * @param pckNotAfter notAfter of the PCK leaf; empty = notBefore + 7 years
 * @param revokePckLeaf list the PCK leaf's serial on the PCK CRL
 * @param revokePlatformCa list the Platform CA's serial on the root CRL
 * @param extraRevokedSerials further serials on the PCK CRL
 * @param quoteSignedWithWrongKey sign the quote with a key other than the attestation key in it
 * @param qeReportSignedWithWrongKey sign the QE report with a key other than the PCK key
 * @param wrongQeBinding QE REPORTDATA[0..32) not SHA-256(attestation key ‖ QE auth data)
 * @param nonZeroQeReportDataTail QE REPORTDATA[32..64) not zero
 * @param collateralSignedWithWrongKey sign TCB Info and QE Identity with a key other than the TCB signing key
 * @param trailingBytes bytes appended after the quote's signature data
 */
public record EmulationKnobs(
    Bytes fmspc,
    Bytes pceId,
    int pceSvn,
    Optional<PlatformConfig> platform,
    int qeIsvSvn,
    boolean debugTd,
    Optional<List<TcbInfo.TcbLevel>> tcbLevels,
    TcbStatus platformTcbStatus,
    List<String> advisoryIds,
    Optional<List<TcbInfo.ModuleTcbLevel>> moduleTcbLevels,
    Optional<List<QeIdentity.QeTcbLevel>> qeTcbLevels,
    long tcbEvaluationDataNumber,
    Duration collateralValidity,
    Optional<Instant> certsNotBefore,
    Optional<Instant> caNotAfter,
    Optional<Instant> pckNotAfter,
    boolean revokePckLeaf,
    boolean revokePlatformCa,
    List<BigInteger> extraRevokedSerials,
    boolean quoteSignedWithWrongKey,
    boolean qeReportSignedWithWrongKey,
    boolean wrongQeBinding,
    boolean nonZeroQeReportDataTail,
    boolean collateralSignedWithWrongKey,
    Bytes trailingBytes) {

  public EmulationKnobs {
    if (fmspc.length() != 6 || pceId.length() != 2) {
      throw new IllegalArgumentException("FMSPC is 6 bytes, PCE-ID 2");
    }
    advisoryIds = List.copyOf(advisoryIds);
    extraRevokedSerials = List.copyOf(extraRevokedSerials);
    tcbLevels = tcbLevels.map(List::copyOf);
    moduleTcbLevels = moduleTcbLevels.map(List::copyOf);
    qeTcbLevels = qeTcbLevels.map(List::copyOf);
  }

  public static EmulationKnobs defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.fmspc = fmspc;
    b.pceId = pceId;
    b.pceSvn = pceSvn;
    b.platform = platform;
    b.qeIsvSvn = qeIsvSvn;
    b.debugTd = debugTd;
    b.tcbLevels = tcbLevels;
    b.platformTcbStatus = platformTcbStatus;
    b.advisoryIds = advisoryIds;
    b.moduleTcbLevels = moduleTcbLevels;
    b.qeTcbLevels = qeTcbLevels;
    b.tcbEvaluationDataNumber = tcbEvaluationDataNumber;
    b.collateralValidity = collateralValidity;
    b.certsNotBefore = certsNotBefore;
    b.caNotAfter = caNotAfter;
    b.pckNotAfter = pckNotAfter;
    b.revokePckLeaf = revokePckLeaf;
    b.revokePlatformCa = revokePlatformCa;
    b.extraRevokedSerials = extraRevokedSerials;
    b.quoteSignedWithWrongKey = quoteSignedWithWrongKey;
    b.qeReportSignedWithWrongKey = qeReportSignedWithWrongKey;
    b.wrongQeBinding = wrongQeBinding;
    b.nonZeroQeReportDataTail = nonZeroQeReportDataTail;
    b.collateralSignedWithWrongKey = collateralSignedWithWrongKey;
    b.trailingBytes = trailingBytes;
    return b;
  }

  /** Builder with the defaults described on {@link EmulationKnobs}. */
  public static final class Builder {
    private Bytes fmspc = Bytes.fromHex("90c06f000000");
    private Bytes pceId = Bytes.fromHex("0000");
    private int pceSvn = 13;
    private Optional<PlatformConfig> platform = Optional.empty();
    private int qeIsvSvn = 8;
    private boolean debugTd;
    private Optional<List<TcbInfo.TcbLevel>> tcbLevels = Optional.empty();
    private TcbStatus platformTcbStatus = TcbStatus.UP_TO_DATE;
    private List<String> advisoryIds = List.of();
    private Optional<List<TcbInfo.ModuleTcbLevel>> moduleTcbLevels = Optional.empty();
    private Optional<List<QeIdentity.QeTcbLevel>> qeTcbLevels = Optional.empty();
    private long tcbEvaluationDataNumber = 17;
    private Duration collateralValidity = Duration.ofDays(30);
    private Optional<Instant> certsNotBefore = Optional.empty();
    private Optional<Instant> caNotAfter = Optional.empty();
    private Optional<Instant> pckNotAfter = Optional.empty();
    private boolean revokePckLeaf;
    private boolean revokePlatformCa;
    private List<BigInteger> extraRevokedSerials = List.of();
    private boolean quoteSignedWithWrongKey;
    private boolean qeReportSignedWithWrongKey;
    private boolean wrongQeBinding;
    private boolean nonZeroQeReportDataTail;
    private boolean collateralSignedWithWrongKey;
    private Bytes trailingBytes = Bytes.empty();

    public Builder fmspc(Bytes v) { fmspc = v; return this; }
    public Builder pceId(Bytes v) { pceId = v; return this; }
    public Builder pceSvn(int v) { pceSvn = v; return this; }
    public Builder platform(PlatformConfig v) { platform = Optional.of(v); return this; }
    public Builder qeIsvSvn(int v) { qeIsvSvn = v; return this; }
    public Builder debugTd(boolean v) { debugTd = v; return this; }
    public Builder tcbLevels(List<TcbInfo.TcbLevel> v) { tcbLevels = Optional.of(v); return this; }
    public Builder platformTcbStatus(TcbStatus v) { platformTcbStatus = v; return this; }
    public Builder advisoryIds(List<String> v) { advisoryIds = v; return this; }
    public Builder moduleTcbLevels(List<TcbInfo.ModuleTcbLevel> v) { moduleTcbLevels = Optional.of(v); return this; }
    public Builder qeTcbLevels(List<QeIdentity.QeTcbLevel> v) { qeTcbLevels = Optional.of(v); return this; }
    public Builder tcbEvaluationDataNumber(long v) { tcbEvaluationDataNumber = v; return this; }
    public Builder collateralValidity(Duration v) { collateralValidity = v; return this; }
    public Builder certsNotBefore(Instant v) { certsNotBefore = Optional.of(v); return this; }
    public Builder caNotAfter(Instant v) { caNotAfter = Optional.of(v); return this; }
    public Builder pckNotAfter(Instant v) { pckNotAfter = Optional.of(v); return this; }
    public Builder revokePckLeaf(boolean v) { revokePckLeaf = v; return this; }
    public Builder revokePlatformCa(boolean v) { revokePlatformCa = v; return this; }
    public Builder extraRevokedSerials(List<BigInteger> v) { extraRevokedSerials = v; return this; }
    public Builder quoteSignedWithWrongKey(boolean v) { quoteSignedWithWrongKey = v; return this; }
    public Builder qeReportSignedWithWrongKey(boolean v) { qeReportSignedWithWrongKey = v; return this; }
    public Builder wrongQeBinding(boolean v) { wrongQeBinding = v; return this; }
    public Builder nonZeroQeReportDataTail(boolean v) { nonZeroQeReportDataTail = v; return this; }
    public Builder collateralSignedWithWrongKey(boolean v) { collateralSignedWithWrongKey = v; return this; }
    public Builder trailingBytes(Bytes v) { trailingBytes = v; return this; }

    public EmulationKnobs build() {
      return new EmulationKnobs(
          fmspc, pceId, pceSvn, platform, qeIsvSvn, debugTd, tcbLevels, platformTcbStatus, advisoryIds, moduleTcbLevels,
          qeTcbLevels, tcbEvaluationDataNumber, collateralValidity, certsNotBefore, caNotAfter, pckNotAfter, revokePckLeaf,
          revokePlatformCa, extraRevokedSerials, quoteSignedWithWrongKey, qeReportSignedWithWrongKey, wrongQeBinding,
          nonZeroQeReportDataTail, collateralSignedWithWrongKey, trailingBytes);
    }
  }
}
