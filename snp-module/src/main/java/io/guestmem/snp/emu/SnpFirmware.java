package io.guestmem.snp.emu;

import io.guestmem.memory.ConvertibleMemory;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.PageState;
import io.guestmem.snp.abi.AttestationReport;
import io.guestmem.snp.abi.Bytes;
import io.guestmem.snp.abi.GuestPolicy;
import io.guestmem.snp.abi.KeyInfo;
import io.guestmem.snp.abi.PlatformInfo;
import io.guestmem.snp.abi.SnpEcdsaSignature;
import io.guestmem.snp.abi.SnpProduct;
import io.guestmem.snp.abi.TcbVersion;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.bouncycastle.crypto.digests.SHA384Digest;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Emulated AMD SEV-SNP firmware (the PSP) for one platform: the guest launch commands, the guest's
 * MSG_REPORT_REQ, and each guest's {@link Rmp} with the RMPUPDATE / PSMASH / PVALIDATE
 * instructions (AMD SEV-SNP ABI spec 56860 §8; AMD64 APM vol. 2 §15.36).
 *
 * <p><b>Model.</b> The platform is {@code UNINIT} until {@link #snpInit()}. Each guest context is
 * created by SNP_LAUNCH_START and lives on the guest's own {@link ConvertibleMemory} (its lease),
 * whose offsets are the guest's physical addresses. The firmware measures what the VMM adds, signs
 * reports with the emulated VCEK/VLEK of {@link EmulatedKds}, and never stores page contents.
 *
 * <pre>
 * platform   command              guest state before -> after     wrong state returns
 * UNINIT     SNP_INIT             (platform) UNINIT -> INIT        INVALID_PLATFORM_STATE
 * INIT       SNP_LAUNCH_START     (none) -> LAUNCH                 INVALID_PLATFORM_STATE
 * INIT       SNP_LAUNCH_UPDATE    LAUNCH -> LAUNCH (digest grows)  INVALID_GUEST_STATE; unknown handle INVALID_GUEST
 * INIT       SNP_LAUNCH_FINISH    LAUNCH -> RUNNING                INVALID_GUEST_STATE
 * INIT       MSG_REPORT_REQ       RUNNING -> RUNNING               INVALID_GUEST_STATE
 * </pre>
 *
 * Other errors: LAUNCH_START — policy bit 17 clear or unknown bits set INVALID_PARAM, policy ABI
 * newer than the firmware or SMT disallowed while SMT is enabled POLICY_FAILURE; LAUNCH_UPDATE —
 * unaligned or outside the lease INVALID_ADDRESS, page not private in the lease or already
 * assigned INVALID_PAGE_STATE, contents of the wrong length INVALID_LENGTH; LAUNCH_FINISH — ID
 * block of wrong length or version INVALID_PARAM, ID block digest differs BAD_MEASUREMENT, its
 * policy differs POLICY_FAILURE, bad ID block or ID key signature BAD_SIGNATURE; MSG_REPORT_REQ —
 * VMPL above 3 INVALID_PARAM, VLEK requested but none loaded INVALID_KEY. <b>Every command checks
 * all of its guards before changing anything: a non-SUCCESS status means no state changed.</b>
 *
 * <p>Thread safety: every public method is {@code synchronized} on this firmware (the PSP runs one
 * command at a time). Guarded by this: {@code platformInitialized}, {@code guests}, {@code nextAsid}.
 */
public final class SnpFirmware {

  /** The emulated platform: product, TCBs, versions, chip identity and key material. */
  public record Config(
      long seed,
      SnpProduct product,
      EmulatedKds kds,
      Bytes hwId,
      TcbVersion currentTcb,
      TcbVersion reportedTcb,
      TcbVersion committedTcb,
      AttestationReport.FirmwareVersion currentVersion,
      AttestationReport.FirmwareVersion committedVersion,
      PlatformInfo platformInfo,
      int cpuidFamily,
      int cpuidModel,
      int cpuidStepping,
      int reportVersion,
      long launchMitigationVector,
      long currentMitigationVector,
      Optional<String> vlekCspId,
      boolean maskChipId,
      boolean maskChipKey) {
    public Config {
      Objects.requireNonNull(kds);
      if (hwId.length() != product.hwIdLength()) {
        throw new IllegalArgumentException(product.kdsName() + " hwID is " + product.hwIdLength() + " bytes");
      }
      if (reportVersion < AttestationReport.MIN_VERSION || reportVersion > AttestationReport.MAX_VERSION) {
        throw new IllegalArgumentException("report version must be 2..5");
      }
      if (kds.product() != product) {
        throw new IllegalArgumentException("the KDS is for " + kds.product());
      }
    }

    /**
     * A plausible platform of {@code product}: firmware 1.55, a TCB in the product's layout, the
     * CPUID of a real part (Milan 19/01/01, Genoa 19/11/01, Turin 1A/02/01), SMT and alias check
     * on, a hwID derived from the seed, report version 5, no VLEK.
     */
    public static Config defaults(long seed, SnpProduct product, EmulatedKds kds) {
      TcbVersion tcb = switch (product) {
        case MILAN -> TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 4, 0, 24, 219);
        case GENOA -> TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 9, 0, 27, 84);
        case TURIN -> TcbVersion.of(TcbVersion.Layout.TURIN, 1, 1, 1, 4, 75);
      };
      int[] cpuid = switch (product) {
        case MILAN -> new int[] {0x19, 0x01, 0x01};
        case GENOA -> new int[] {0x19, 0x11, 0x01};
        case TURIN -> new int[] {0x1A, 0x02, 0x01};
      };
      byte[] hw = new byte[product.hwIdLength()];
      new DeterministicRandom(seed, "hwid/" + product.kdsName()).nextBytes(hw);
      AttestationReport.FirmwareVersion v = new AttestationReport.FirmwareVersion(1, 55, 50);
      return new Config(seed, product, kds, Bytes.copyOf(hw), tcb, tcb, tcb, v, v,
          new PlatformInfo(PlatformInfo.SMT_EN | PlatformInfo.ALIAS_CHECK_COMPLETE), cpuid[0], cpuid[1], cpuid[2],
          5, 0x3, 0x3, Optional.empty(), false, false);
    }

    public Config withReportVersion(int v) {
      return new Config(seed, product, kds, hwId, currentTcb, reportedTcb, committedTcb, currentVersion,
          committedVersion, platformInfo, cpuidFamily, cpuidModel, cpuidStepping, v, launchMitigationVector,
          currentMitigationVector, vlekCspId, maskChipId, maskChipKey);
    }

    /** Loads a VLEK for {@code cspId}: reports are then signed with it unless the VCEK is asked for. */
    public Config withVlek(String cspId) {
      return new Config(seed, product, kds, hwId, currentTcb, reportedTcb, committedTcb, currentVersion,
          committedVersion, platformInfo, cpuidFamily, cpuidModel, cpuidStepping, reportVersion, launchMitigationVector,
          currentMitigationVector, Optional.of(cspId), maskChipId, maskChipKey);
    }

    /** Sets all three TCBs (current, reported, committed). */
    public Config withTcb(TcbVersion tcb) {
      return new Config(seed, product, kds, hwId, tcb, tcb, tcb, currentVersion, committedVersion, platformInfo,
          cpuidFamily, cpuidModel, cpuidStepping, reportVersion, launchMitigationVector, currentMitigationVector,
          vlekCspId, maskChipId, maskChipKey);
    }

    /**
     * Provisional firmware: the running (current) TCB and version differ from the committed ones,
     * as after SNP_DOWNLOAD_FIRMWARE_EX before SNP_COMMIT; REPORTED_TCB stays the committed TCB.
     */
    public Config withCurrent(TcbVersion tcb, AttestationReport.FirmwareVersion version) {
      return new Config(seed, product, kds, hwId, tcb, reportedTcb, committedTcb, version, committedVersion, platformInfo,
          cpuidFamily, cpuidModel, cpuidStepping, reportVersion, launchMitigationVector, currentMitigationVector,
          vlekCspId, maskChipId, maskChipKey);
    }

    public Config withPlatformInfo(PlatformInfo p) {
      return new Config(seed, product, kds, hwId, currentTcb, reportedTcb, committedTcb, currentVersion,
          committedVersion, p, cpuidFamily, cpuidModel, cpuidStepping, reportVersion, launchMitigationVector,
          currentMitigationVector, vlekCspId, maskChipId, maskChipKey);
    }

    public Config withMasks(boolean chipId, boolean chipKey) {
      return new Config(seed, product, kds, hwId, currentTcb, reportedTcb, committedTcb, currentVersion,
          committedVersion, platformInfo, cpuidFamily, cpuidModel, cpuidStepping, reportVersion, launchMitigationVector,
          currentMitigationVector, vlekCspId, chipId, chipKey);
    }
  }

  /** A guest context's state. */
  public enum GuestState {
    LAUNCH, RUNNING
  }

  /** MSG_REPORT_REQ KEY_SEL. */
  public enum KeySelect {
    /** VLEK if one is loaded, else VCEK. */
    DEFAULT,
    VCEK,
    VLEK
  }

  /** SNP_LAUNCH_START's answer: the new guest handle on success. */
  public record LaunchStartResult(SnpFirmwareStatus status, int handle) {}

  /** MSG_REPORT_REQ's answer: a report on success. */
  public record ReportResult(SnpFirmwareStatus status, Optional<AttestationReport> report) {}

  static final class Guest {
    final int handle;
    final int asid;
    final GuestPolicy policy;
    final ConvertibleMemory memory;
    final Rmp rmp;
    final LaunchDigest digest = new LaunchDigest();
    final TcbVersion launchTcb;
    GuestState state = GuestState.LAUNCH;
    Bytes familyId = Bytes.zeros(16);
    Bytes imageId = Bytes.zeros(16);
    long guestSvn;
    Bytes idKeyDigest = Bytes.zeros(48);
    Bytes authorKeyDigest = Bytes.zeros(48);
    boolean authorKeyEn;
    Bytes hostData = Bytes.zeros(32);
    Bytes measurement = Bytes.zeros(48);

    Guest(int handle, int asid, GuestPolicy policy, ConvertibleMemory memory, TcbVersion launchTcb) {
      this.handle = handle;
      this.asid = asid;
      this.policy = policy;
      this.memory = memory;
      this.rmp = new Rmp(memory.size());
      this.launchTcb = launchTcb;
    }
  }

  private final Config config;
  private boolean platformInitialized;
  private final Map<Integer, Guest> guests = new HashMap<>();
  private int nextAsid = 1;

  public SnpFirmware(Config config) {
    this.config = Objects.requireNonNull(config);
  }

  public Config config() {
    return config;
  }

  /** SNP_INIT: UNINIT → INIT. */
  public synchronized SnpFirmwareStatus snpInit() {
    if (platformInitialized) {
      return SnpFirmwareStatus.INVALID_PLATFORM_STATE;
    }
    platformInitialized = true;
    return SnpFirmwareStatus.SUCCESS;
  }

  public synchronized Optional<GuestState> guestState(int handle) {
    return Optional.ofNullable(guests.get(handle)).map(g -> g.state);
  }

  /** The guest's ASID (what PVALIDATE runs as), if the handle exists. */
  public synchronized Optional<Integer> asid(int handle) {
    return Optional.ofNullable(guests.get(handle)).map(g -> g.asid);
  }

  /** The guest's current launch digest. */
  public synchronized Optional<Bytes> launchDigest(int handle) {
    return Optional.ofNullable(guests.get(handle)).map(g -> g.digest.value());
  }

  public synchronized Optional<RmpEntry> rmpEntry(int handle, long gpa) {
    return Optional.ofNullable(guests.get(handle)).map(g -> g.rmp.entry(gpa));
  }

  /** Assigned and validated page counts of the guest's RMP (4 KiB units). */
  public synchronized long[] rmpCounts(int handle) {
    Guest g = guests.get(handle);
    return g == null ? new long[] {0, 0} : new long[] {g.rmp.assignedPages(), g.rmp.validatedPages()};
  }

  /** SNP_LAUNCH_START for a guest backed by {@code memory}. */
  public synchronized LaunchStartResult launchStart(ConvertibleMemory memory, GuestPolicy policy) {
    if (!platformInitialized) {
      return new LaunchStartResult(SnpFirmwareStatus.INVALID_PLATFORM_STATE, 0);
    }
    if (memory == null || memory.size() <= 0 || memory.size() % 4096 != 0) {
      return new LaunchStartResult(SnpFirmwareStatus.INVALID_LENGTH, 0);
    }
    if (!policy.reservedBitOneSet() || policy.unknownBits() != 0) {
      return new LaunchStartResult(SnpFirmwareStatus.INVALID_PARAM, 0);
    }
    AttestationReport.FirmwareVersion fw = config.currentVersion();
    if (policy.abiMajor() > fw.major() || (policy.abiMajor() == fw.major() && policy.abiMinor() > fw.minor())) {
      return new LaunchStartResult(SnpFirmwareStatus.POLICY_FAILURE, 0);
    }
    if (!policy.smt() && config.platformInfo().smtEnabled()) {
      return new LaunchStartResult(SnpFirmwareStatus.POLICY_FAILURE, 0);
    }
    int asid = nextAsid++;
    Guest g = new Guest(asid, asid, policy, memory, config.currentTcb());
    guests.put(g.handle, g);
    return new LaunchStartResult(SnpFirmwareStatus.SUCCESS, g.handle);
  }

  /** SNP_LAUNCH_UPDATE of one 4 KiB page with VMPL permissions 0 and IMI clear. */
  public SnpFirmwareStatus launchUpdate(int handle, long gpa, PageType type, byte[] contents) {
    return launchUpdate(handle, gpa, type, contents, false, 0, 0, 0);
  }

  /**
   * SNP_LAUNCH_UPDATE of one 4 KiB page. {@code contents} must be 4096 bytes for NORMAL and VMSA
   * pages (the VMM's copy, which is measured); for other types it may be null. VMSA pages need not
   * lie inside the lease (VMMs place them at a GPA of their choosing).
   */
  public synchronized SnpFirmwareStatus launchUpdate(int handle, long gpa, PageType type, byte[] contents,
      boolean imi, int vmpl3Perms, int vmpl2Perms, int vmpl1Perms) {
    Guest g = guests.get(handle);
    if (!platformInitialized) {
      return SnpFirmwareStatus.INVALID_PLATFORM_STATE;
    }
    if (g == null) {
      return SnpFirmwareStatus.INVALID_GUEST;
    }
    if (g.state != GuestState.LAUNCH) {
      return SnpFirmwareStatus.INVALID_GUEST_STATE;
    }
    if (type == null || vmpl3Perms < 0 || vmpl3Perms > 0xFF || vmpl2Perms < 0 || vmpl2Perms > 0xFF
        || vmpl1Perms < 0 || vmpl1Perms > 0xFF) {
      return SnpFirmwareStatus.INVALID_PARAM;
    }
    if (type.contentsMeasured() && (contents == null || contents.length != 4096)) {
      return SnpFirmwareStatus.INVALID_LENGTH;
    }
    boolean inLease = gpa >= 0 && gpa + 4096 <= g.memory.size();
    if ((gpa & 0xFFF) != 0 || gpa < 0 || (!inLease && type != PageType.VMSA)) {
      return SnpFirmwareStatus.INVALID_ADDRESS;
    }
    if (inLease) {
      try {
        if (g.memory.stateAt(gpa) != PageState.PRIVATE) {
          return SnpFirmwareStatus.INVALID_PAGE_STATE;
        }
      } catch (MemoryException e) {
        return SnpFirmwareStatus.INVALID_ADDRESS;
      }
      if (g.rmp.entry(gpa).assigned()) {
        return SnpFirmwareStatus.INVALID_PAGE_STATE;
      }
    }
    g.digest.update(type, gpa, contents, imi, vmpl3Perms, vmpl2Perms, vmpl1Perms);
    if (inLease) {
      g.rmp.launchAssign(gpa, g.asid, type == PageType.VMSA);
    }
    return SnpFirmwareStatus.SUCCESS;
  }

  /**
   * SNP_LAUNCH_FINISH. With an ID block, {@code idAuth} must be its ID_AUTH_INFO; with
   * {@code authorKeyEn} the ID key must be signed by the author key in it.
   */
  public synchronized SnpFirmwareStatus launchFinish(int handle, Optional<byte[]> idBlock, Optional<byte[]> idAuth,
      boolean authorKeyEn, Bytes hostData) {
    Guest g = guests.get(handle);
    if (!platformInitialized) {
      return SnpFirmwareStatus.INVALID_PLATFORM_STATE;
    }
    if (g == null) {
      return SnpFirmwareStatus.INVALID_GUEST;
    }
    if (g.state != GuestState.LAUNCH) {
      return SnpFirmwareStatus.INVALID_GUEST_STATE;
    }
    if (hostData == null || hostData.length() != 32 || idBlock.isPresent() != idAuth.isPresent()
        || (authorKeyEn && idBlock.isEmpty())) {
      return SnpFirmwareStatus.INVALID_PARAM;
    }
    Bytes familyId = Bytes.zeros(16);
    Bytes imageId = Bytes.zeros(16);
    long guestSvn = 0;
    Bytes idDigest = Bytes.zeros(48);
    Bytes authorDigest = Bytes.zeros(48);
    if (idBlock.isPresent()) {
      byte[] blockBytes = idBlock.get();
      byte[] auth = idAuth.get();
      if (blockBytes.length != IdBlock.SIZE || auth.length != IdAuthInfo.SIZE) {
        return SnpFirmwareStatus.INVALID_PARAM;
      }
      IdBlock block = IdBlock.fromBytes(blockBytes);
      if (block.version() != 1 || IdBlock.get(auth, IdAuthInfo.OFF_ID_KEY_ALGO, 4) != IdAuthInfo.ALGO_ECDSA_P384_SHA384) {
        return SnpFirmwareStatus.INVALID_PARAM;
      }
      byte[] idKey = slice(auth, IdAuthInfo.OFF_ID_KEY, GuestOwnerKey.PUBLIC_KEY_SIZE);
      // Step 1: the ID block is signed by the ID key.
      if (!verifyWithKeyStructure(idKey, blockBytes, slice(auth, IdAuthInfo.OFF_ID_BLOCK_SIG, GuestOwnerKey.SIGNATURE_SIZE))) {
        return SnpFirmwareStatus.BAD_SIGNATURE;
      }
      // Step 2: with AUTHOR_KEY_EN, the ID key is signed by the author key.
      if (authorKeyEn) {
        byte[] authorKey = slice(auth, IdAuthInfo.OFF_AUTHOR_KEY, GuestOwnerKey.PUBLIC_KEY_SIZE);
        if (IdBlock.get(auth, IdAuthInfo.OFF_AUTHOR_KEY_ALGO, 4) != IdAuthInfo.ALGO_ECDSA_P384_SHA384) {
          return SnpFirmwareStatus.INVALID_PARAM;
        }
        if (!verifyWithKeyStructure(authorKey, idKey, slice(auth, IdAuthInfo.OFF_ID_KEY_SIG, GuestOwnerKey.SIGNATURE_SIZE))) {
          return SnpFirmwareStatus.BAD_SIGNATURE;
        }
        authorDigest = Bytes.copyOf(LaunchDigest.sha384(authorKey));
      }
      // Step 3: the ID block describes this launch.
      if (!block.launchDigest().equals(g.digest.value())) {
        return SnpFirmwareStatus.BAD_MEASUREMENT;
      }
      if (block.policy().bits() != g.policy.bits()) {
        return SnpFirmwareStatus.POLICY_FAILURE;
      }
      familyId = block.familyId();
      imageId = block.imageId();
      guestSvn = block.guestSvn();
      idDigest = Bytes.copyOf(LaunchDigest.sha384(idKey));
    }
    g.familyId = familyId;
    g.imageId = imageId;
    g.guestSvn = guestSvn;
    g.idKeyDigest = idDigest;
    g.authorKeyDigest = authorDigest;
    g.authorKeyEn = authorKeyEn;
    g.hostData = hostData;
    g.measurement = g.digest.value();
    g.state = GuestState.RUNNING;
    return SnpFirmwareStatus.SUCCESS;
  }

  private static byte[] slice(byte[] b, int off, int len) {
    byte[] out = new byte[len];
    System.arraycopy(b, off, out, 0, len);
    return out;
  }

  private static BigInteger le(byte[] b, int off, int len) {
    byte[] be = new byte[len];
    for (int i = 0; i < len; i++) {
      be[i] = b[off + len - 1 - i];
    }
    return new BigInteger(1, be);
  }

  /** ECDSA P-384/SHA-384 check of an SNP signature structure with an SNP public key structure. */
  private static boolean verifyWithKeyStructure(byte[] keyStruct, byte[] message, byte[] sigStruct) {
    if (IdBlock.get(keyStruct, 0, 4) != GuestOwnerKey.CURVE_P384) {
      return false;
    }
    try {
      ECPoint q = AmdKeyRing.P384.getCurve().createPoint(le(keyStruct, 0x04, 72), le(keyStruct, 0x4C, 72));
      if (!q.isValid()) {
        return false;
      }
      SHA384Digest d = new SHA384Digest();
      d.update(message, 0, message.length);
      byte[] h = new byte[48];
      d.doFinal(h, 0);
      ECDSASigner v = new ECDSASigner();
      v.init(false, new ECPublicKeyParameters(q, AmdKeyRing.P384));
      return v.verifySignature(h, le(sigStruct, 0, 72), le(sigStruct, 0x48, 72));
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** MSG_REPORT_REQ from the running guest: a report with {@code reportData} at {@code vmpl}. */
  public synchronized ReportResult reportRequest(int handle, Bytes reportData, int vmpl, KeySelect keySelect) {
    Guest g = guests.get(handle);
    if (!platformInitialized) {
      return new ReportResult(SnpFirmwareStatus.INVALID_PLATFORM_STATE, Optional.empty());
    }
    if (g == null) {
      return new ReportResult(SnpFirmwareStatus.INVALID_GUEST, Optional.empty());
    }
    if (g.state != GuestState.RUNNING) {
      return new ReportResult(SnpFirmwareStatus.INVALID_GUEST_STATE, Optional.empty());
    }
    if (reportData == null || reportData.length() != 64 || vmpl < 0 || vmpl > 3) {
      return new ReportResult(SnpFirmwareStatus.INVALID_PARAM, Optional.empty());
    }
    boolean useVlek = switch (keySelect) {
      case DEFAULT -> config.vlekCspId().isPresent();
      case VCEK -> false;
      case VLEK -> true;
    };
    if (useVlek && config.vlekCspId().isEmpty()) {
      return new ReportResult(SnpFirmwareStatus.INVALID_KEY, Optional.empty());
    }
    KeyInfo.SigningKey signingKey = config.maskChipKey() ? KeyInfo.SigningKey.NONE
        : useVlek ? KeyInfo.SigningKey.VLEK : KeyInfo.SigningKey.VCEK;
    byte[] reportId = new byte[32];
    new DeterministicRandom(config.seed(), "report-id/" + g.handle).nextBytes(reportId);
    byte[] chipId = new byte[64];
    if (!config.maskChipId()) {
      config.hwId().copyTo(chipId, 0);
    }
    int v = config.reportVersion();
    AttestationReport.Builder b = AttestationReport.builder(v)
        .product(config.product())
        .guestSvn(g.guestSvn)
        .policy(g.policy)
        .familyId(g.familyId)
        .imageId(g.imageId)
        .vmpl(vmpl)
        .currentTcb(config.currentTcb())
        .platformInfo(config.platformInfo())
        .keyInfo(KeyInfo.of(g.authorKeyEn, config.maskChipKey(), signingKey))
        .reportData(reportData)
        .measurement(g.measurement)
        .hostData(g.hostData)
        .idKeyDigest(g.idKeyDigest)
        .authorKeyDigest(g.authorKeyDigest)
        .reportId(Bytes.copyOf(reportId))
        .reportIdMa(Bytes.fromHex("ff".repeat(32)))
        .reportedTcb(config.reportedTcb())
        .chipId(Bytes.copyOf(chipId))
        .committedTcb(config.committedTcb())
        .currentVersion(config.currentVersion().major(), config.currentVersion().minor(), config.currentVersion().build())
        .committedVersion(config.committedVersion().major(), config.committedVersion().minor(),
            config.committedVersion().build())
        .launchTcb(g.launchTcb);
    if (v >= 3) {
      b.cpuid(config.cpuidFamily(), config.cpuidModel(), config.cpuidStepping());
    }
    if (v >= 5) {
      b.mitigationVectors(config.launchMitigationVector(), config.currentMitigationVector());
    }
    if (signingKey != KeyInfo.SigningKey.NONE) {
      EmulatedKds.VekSigner signer = useVlek
          ? config.kds().vlekSigner(config.vlekCspId().orElseThrow(), config.reportedTcb())
          : config.kds().vcekSigner(config.hwId(), config.reportedTcb());
      SnpEcdsaSignature sig = signer.sign(b.signedBytes());
      b.signature(sig);
    }
    return new ReportResult(SnpFirmwareStatus.SUCCESS, Optional.of(b.build()));
  }

  // ---- RMP instructions ----

  /**
   * The hypervisor's RMPUPDATE on the guest's memory; returns RAX (see {@link Rmp}). In this model
   * a page is assigned on its private backing: assigning a GPA that is SHARED in the lease (whose
   * private page was discarded at conversion) fails with FAIL_INPUT, so an assigned page is always
   * PRIVATE in the lease.
   */
  public synchronized int rmpUpdate(int handle, long gpa, PageSize size, boolean assign) {
    Guest g = guests.get(handle);
    if (g == null) {
      return Rmp.FAIL_INPUT;
    }
    if (assign) {
      try {
        for (long p = gpa; p >= 0 && p < gpa + size.bytes() && p < g.memory.size(); p += 4096) {
          if (g.memory.stateAt(p) != PageState.PRIVATE) {
            return Rmp.FAIL_INPUT;
          }
        }
      } catch (MemoryException e) {
        return Rmp.FAIL_INPUT;
      }
    }
    return g.rmp.rmpUpdate(gpa, size, assign, g.asid);
  }

  /** The hypervisor's PSMASH; returns RAX. */
  public synchronized int psmash(int handle, long gpa) {
    Guest g = guests.get(handle);
    return g == null ? Rmp.FAIL_INPUT : g.rmp.psmash(gpa);
  }

  /** The guest's PVALIDATE, executed as the guest's ASID. */
  public synchronized Rmp.PvalidateResult pvalidate(int handle, long gpa, PageSize size, boolean validate) {
    Guest g = guests.get(handle);
    return g == null ? Rmp.PvalidateResult.NESTED_PAGE_FAULT : g.rmp.pvalidate(g.asid, gpa, size, validate);
  }

  /** Package access for the hypervisor side of Page State Change. */
  synchronized <T> T withGuest(int handle, java.util.function.Function<Guest, T> f) {
    return f.apply(guests.get(handle));
  }
}
