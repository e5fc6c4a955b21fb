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
 * @param corruptCertificateSignature flip the last byte (inside ECDSA s) of this certificate's signature
 * @param version1Certificate issue this certificate as X.509 v1 (no extensions)
 * @param sha384Certificate sign this certificate with ecdsa-with-SHA384 (its issuer's P-256 key, valid signature)
 * @param platformCaP384 give the Platform CA an EC P-384 key (it still signs the PCK and its CRL with ecdsa-with-SHA256)
 * @param pckSubjectCn subject CN of the PCK leaf instead of "Intel SGX PCK Certificate"
 * @param pckIssuerCn issuer CN written into the PCK leaf instead of its issuer's subject CN (still signed by it)
 * @param pckChainWithoutRoot the quote's PEM chain carries only the PCK and the Platform CA
 * @param pckCrlIssuerCn issuer CN of the PCK CRL instead of the Platform CA's (still signed by it)
 * @param crlsSignedWithWrongKey sign the PCK CRL and the root CRL with a key that is not their issuer's
 * @param qeIdentityId QE Identity id instead of TD_QE
 * @param qeIdentityMrSigner MRSIGNER the QE Identity expects instead of the QE's
 * @param qeIsvProdId ISVPRODID of the QE report instead of {@link EmulatedQuotingEnclave#ISV_PROD_ID}
 * @param qeMiscSelect MISCSELECT of the QE report (QE Identity expects 0 under mask 0xFFFFFFFF)
 * @param qeAttributes ATTRIBUTES of the QE report instead of {@link EmulatedQuotingEnclave#ATTRIBUTES}
 * @param omitPckSgxExtensions issue the PCK leaf without its SGX extension (FMSPC, TCB, PCE-ID …)
 * @param tcbInfoId TCB Info id instead of TDX (e.g. SGX: collateral for another TEE)
 * @param tcbInfoVersion TCB Info version (3; another value is a version no verifier supports)
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
    Bytes trailingBytes,
    Optional<CertRole> corruptCertificateSignature,
    Optional<CertRole> version1Certificate,
    Optional<CertRole> sha384Certificate,
    boolean platformCaP384,
    Optional<String> pckSubjectCn,
    Optional<String> pckIssuerCn,
    boolean pckChainWithoutRoot,
    Optional<String> pckCrlIssuerCn,
    boolean crlsSignedWithWrongKey,
    Optional<String> qeIdentityId,
    Optional<Bytes> qeIdentityMrSigner,
    Optional<Integer> qeIsvProdId,
    long qeMiscSelect,
    Optional<Bytes> qeAttributes,
    boolean omitPckSgxExtensions,
    Optional<String> tcbInfoId,
    int tcbInfoVersion) {

  /** A certificate of the emulated Intel PKI, for the knobs that break one of them. */
  public enum CertRole {
    PCK, PLATFORM_CA, ROOT, TCB_SIGNING
  }

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
    b.corruptCertificateSignature = corruptCertificateSignature;
    b.version1Certificate = version1Certificate;
    b.sha384Certificate = sha384Certificate;
    b.platformCaP384 = platformCaP384;
    b.pckSubjectCn = pckSubjectCn;
    b.pckIssuerCn = pckIssuerCn;
    b.pckChainWithoutRoot = pckChainWithoutRoot;
    b.pckCrlIssuerCn = pckCrlIssuerCn;
    b.crlsSignedWithWrongKey = crlsSignedWithWrongKey;
    b.qeIdentityId = qeIdentityId;
    b.qeIdentityMrSigner = qeIdentityMrSigner;
    b.qeIsvProdId = qeIsvProdId;
    b.qeMiscSelect = qeMiscSelect;
    b.qeAttributes = qeAttributes;
    b.omitPckSgxExtensions = omitPckSgxExtensions;
    b.tcbInfoId = tcbInfoId;
    b.tcbInfoVersion = tcbInfoVersion;
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
    private Optional<CertRole> corruptCertificateSignature = Optional.empty();
    private Optional<CertRole> version1Certificate = Optional.empty();
    private Optional<CertRole> sha384Certificate = Optional.empty();
    private boolean platformCaP384;
    private Optional<String> pckSubjectCn = Optional.empty();
    private Optional<String> pckIssuerCn = Optional.empty();
    private boolean pckChainWithoutRoot;
    private Optional<String> pckCrlIssuerCn = Optional.empty();
    private boolean crlsSignedWithWrongKey;
    private Optional<String> qeIdentityId = Optional.empty();
    private Optional<Bytes> qeIdentityMrSigner = Optional.empty();
    private Optional<Integer> qeIsvProdId = Optional.empty();
    private long qeMiscSelect;
    private Optional<Bytes> qeAttributes = Optional.empty();
    private boolean omitPckSgxExtensions;
    private Optional<String> tcbInfoId = Optional.empty();
    private int tcbInfoVersion = TcbInfo.VERSION_3;

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
    public Builder corruptCertificateSignature(CertRole v) { corruptCertificateSignature = Optional.of(v); return this; }
    public Builder version1Certificate(CertRole v) { version1Certificate = Optional.of(v); return this; }
    public Builder sha384Certificate(CertRole v) { sha384Certificate = Optional.of(v); return this; }
    public Builder platformCaP384(boolean v) { platformCaP384 = v; return this; }
    public Builder pckSubjectCn(String v) { pckSubjectCn = Optional.of(v); return this; }
    public Builder pckIssuerCn(String v) { pckIssuerCn = Optional.of(v); return this; }
    public Builder pckChainWithoutRoot(boolean v) { pckChainWithoutRoot = v; return this; }
    public Builder pckCrlIssuerCn(String v) { pckCrlIssuerCn = Optional.of(v); return this; }
    public Builder crlsSignedWithWrongKey(boolean v) { crlsSignedWithWrongKey = v; return this; }
    public Builder qeIdentityId(String v) { qeIdentityId = Optional.of(v); return this; }
    public Builder qeIdentityMrSigner(Bytes v) { qeIdentityMrSigner = Optional.of(v); return this; }
    public Builder qeIsvProdId(int v) { qeIsvProdId = Optional.of(v); return this; }
    public Builder qeMiscSelect(long v) { qeMiscSelect = v; return this; }
    public Builder qeAttributes(Bytes v) { qeAttributes = Optional.of(v); return this; }
    public Builder omitPckSgxExtensions(boolean v) { omitPckSgxExtensions = v; return this; }
    public Builder tcbInfoId(String v) { tcbInfoId = Optional.of(v); return this; }
    public Builder tcbInfoVersion(int v) { tcbInfoVersion = v; return this; }

    public EmulationKnobs build() {
      return new EmulationKnobs(
          fmspc, pceId, pceSvn, platform, qeIsvSvn, debugTd, tcbLevels, platformTcbStatus, advisoryIds, moduleTcbLevels,
          qeTcbLevels, tcbEvaluationDataNumber, collateralValidity, certsNotBefore, caNotAfter, pckNotAfter, revokePckLeaf,
          revokePlatformCa, extraRevokedSerials, quoteSignedWithWrongKey, qeReportSignedWithWrongKey, wrongQeBinding,
          nonZeroQeReportDataTail, collateralSignedWithWrongKey, trailingBytes, corruptCertificateSignature,
          version1Certificate, sha384Certificate, platformCaP384, pckSubjectCn, pckIssuerCn, pckChainWithoutRoot,
          pckCrlIssuerCn, crlsSignedWithWrongKey, qeIdentityId, qeIdentityMrSigner, qeIsvProdId, qeMiscSelect,
          qeAttributes, omitPckSgxExtensions, tcbInfoId, tcbInfoVersion);
    }
  }
}
