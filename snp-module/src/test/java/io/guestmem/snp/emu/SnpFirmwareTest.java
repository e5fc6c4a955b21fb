package io.guestmem.snp.emu;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.PageState;
import io.guestmem.snp.abi.AttestationReport;
import io.guestmem.snp.abi.Bytes;
import io.guestmem.snp.abi.GuestPolicy;
import io.guestmem.snp.abi.KeyInfo;
import io.guestmem.snp.abi.SnpProduct;
import io.guestmem.snp.abi.TcbVersion;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** SNP firmware commands: state table, status codes, and what goes into the report. */
class SnpFirmwareTest {
  static final GuestPolicy POLICY = GuestPolicy.of(0, 0, GuestPolicy.SMT);
  final RecordingMemory mem = new RecordingMemory(16 * 4096);

  @Test
  void commandsBeforeSnpInit_returnInvalidPlatformState() {
    SnpFirmware fw = new SnpFirmware(SnpFirmware.Config.defaults(1, SnpProduct.MILAN, TestKds.of(SnpProduct.MILAN)));
    assertThat(fw.launchStart(mem, POLICY).status()).isEqualTo(SnpFirmwareStatus.INVALID_PLATFORM_STATE);
    assertThat(fw.snpInit()).isEqualTo(SnpFirmwareStatus.SUCCESS);
    assertThat(fw.snpInit()).isEqualTo(SnpFirmwareStatus.INVALID_PLATFORM_STATE);
  }

  @Test
  void unknownHandle_returnsInvalidGuest() {
    SnpFirmware fw = TestKds.firmware(SnpProduct.MILAN);
    assertThat(fw.launchUpdate(42, 0, PageType.ZERO, null)).isEqualTo(SnpFirmwareStatus.INVALID_GUEST);
    assertThat(fw.launchFinish(42, Optional.empty(), Optional.empty(), false, Bytes.zeros(32)))
        .isEqualTo(SnpFirmwareStatus.INVALID_GUEST);
    assertThat(fw.reportRequest(42, Bytes.zeros(64), 0, SnpFirmware.KeySelect.DEFAULT).status())
        .isEqualTo(SnpFirmwareStatus.INVALID_GUEST);
  }

  @Test
  void wrongGuestState_returnsInvalidGuestState_andChangesNothing() {
    SnpFirmware fw = TestKds.firmware(SnpProduct.MILAN);
    int h = fw.launchStart(mem, POLICY).handle();
    assertThat(fw.reportRequest(h, Bytes.zeros(64), 0, SnpFirmware.KeySelect.DEFAULT).status())
        .as("MSG_REPORT_REQ before LAUNCH_FINISH").isEqualTo(SnpFirmwareStatus.INVALID_GUEST_STATE);
    assertThat(fw.launchUpdate(h, 0, PageType.ZERO, null)).isEqualTo(SnpFirmwareStatus.SUCCESS);
    assertThat(fw.launchFinish(h, Optional.empty(), Optional.empty(), false, Bytes.zeros(32)))
        .isEqualTo(SnpFirmwareStatus.SUCCESS);
    Bytes digest = fw.launchDigest(h).orElseThrow();
    long[] rmpBefore = fw.rmpCounts(h);

    assertThat(fw.launchUpdate(h, 0x1000, PageType.ZERO, null)).isEqualTo(SnpFirmwareStatus.INVALID_GUEST_STATE);
    assertThat(fw.launchFinish(h, Optional.empty(), Optional.empty(), false, Bytes.zeros(32)))
        .isEqualTo(SnpFirmwareStatus.INVALID_GUEST_STATE);
    assertThat(fw.launchDigest(h)).contains(digest);
    assertThat(fw.rmpCounts(h)).isEqualTo(rmpBefore);
    assertThat(fw.guestState(h)).contains(SnpFirmware.GuestState.RUNNING);
  }

  @Test
  void launchStart_policyChecks() {
    SnpFirmware fw = TestKds.firmware(SnpProduct.MILAN);
    assertThat(fw.launchStart(mem, new GuestPolicy(GuestPolicy.SMT)).status()).as("bit 17 clear")
        .isEqualTo(SnpFirmwareStatus.INVALID_PARAM);
    assertThat(fw.launchStart(mem, new GuestPolicy(POLICY.bits() | 1L << 40)).status()).as("unknown bit")
        .isEqualTo(SnpFirmwareStatus.INVALID_PARAM);
    assertThat(fw.launchStart(mem, GuestPolicy.of(1, 56, GuestPolicy.SMT)).status()).as("ABI newer than 1.55")
        .isEqualTo(SnpFirmwareStatus.POLICY_FAILURE);
    assertThat(fw.launchStart(mem, GuestPolicy.of(0, 0, 0)).status()).as("SMT disallowed but enabled")
        .isEqualTo(SnpFirmwareStatus.POLICY_FAILURE);
    assertThat(fw.launchStart(mem, GuestPolicy.of(1, 55, GuestPolicy.SMT)).status()).isEqualTo(SnpFirmwareStatus.SUCCESS);
  }

  @Test
  void launchUpdate_guards_returnStatusAndLeaveTheDigestAlone() throws Exception {
    SnpFirmware fw = TestKds.firmware(SnpProduct.MILAN);
    int h = fw.launchStart(mem, POLICY).handle();
    Bytes zero = fw.launchDigest(h).orElseThrow();
    assertThat(fw.launchUpdate(h, 0x1001, PageType.ZERO, null)).isEqualTo(SnpFirmwareStatus.INVALID_ADDRESS);
    assertThat(fw.launchUpdate(h, 16 * 4096, PageType.ZERO, null)).isEqualTo(SnpFirmwareStatus.INVALID_ADDRESS);
    assertThat(fw.launchUpdate(h, 0x1000, PageType.NORMAL, new byte[10])).isEqualTo(SnpFirmwareStatus.INVALID_LENGTH);
    mem.convert(List.of(new ByteRange(0x2000, 0x1000)), PageState.SHARED);
    assertThat(fw.launchUpdate(h, 0x2000, PageType.ZERO, null)).as("shared page")
        .isEqualTo(SnpFirmwareStatus.INVALID_PAGE_STATE);
    assertThat(fw.launchUpdate(h, 0x3000, PageType.ZERO, null)).isEqualTo(SnpFirmwareStatus.SUCCESS);
    Bytes one = fw.launchDigest(h).orElseThrow();
    assertThat(fw.launchUpdate(h, 0x3000, PageType.ZERO, null)).as("already measured")
        .isEqualTo(SnpFirmwareStatus.INVALID_PAGE_STATE);
    assertThat(fw.launchDigest(h)).contains(one);
    assertThat(one).isNotEqualTo(zero);
    assertThat(fw.rmpEntry(h, 0x3000).orElseThrow().validated()).as("launch pages are pre-validated").isTrue();
  }

  @Test
  void launchFinish_idBlockAndAuthorKey_recordedInTheReport() {
    SnpFirmware fw = TestKds.firmware(SnpProduct.GENOA);
    int h = fw.launchStart(mem, POLICY).handle();
    fw.launchUpdate(h, 0, PageType.NORMAL, SnpEmulation.page(3, "x"));
    GuestOwnerKey id = GuestOwnerKey.derive(3, "id");
    GuestOwnerKey author = GuestOwnerKey.derive(3, "author");
    IdBlock block = IdBlock.of(fw.launchDigest(h).orElseThrow(), Bytes.fromHex("aa".repeat(16)),
        Bytes.fromHex("bb".repeat(16)), 9, POLICY);
    Bytes hostData = Bytes.fromHex("cc".repeat(32));
    assertThat(fw.launchFinish(h, Optional.of(block.toBytes()), Optional.of(IdAuthInfo.sign(block, id, Optional.of(author))),
        true, hostData)).isEqualTo(SnpFirmwareStatus.SUCCESS);
    AttestationReport r = fw.reportRequest(h, Bytes.fromHex("dd".repeat(64)), 2, SnpFirmware.KeySelect.DEFAULT)
        .report().orElseThrow();
    assertThat(r.idKeyDigest()).isEqualTo(id.digest());
    assertThat(r.authorKeyDigest()).isEqualTo(author.digest());
    assertThat(r.idKeyDigest()).isEqualTo(Bytes.copyOf(LaunchDigest.sha384(id.publicKeyStructure())));
    assertThat(r.keyInfo().authorKeyEn()).isTrue();
    assertThat(r.familyId()).isEqualTo(Bytes.fromHex("aa".repeat(16)));
    assertThat(r.imageId()).isEqualTo(Bytes.fromHex("bb".repeat(16)));
    assertThat(r.guestSvn()).isEqualTo(9);
    assertThat(r.hostData()).isEqualTo(hostData);
    assertThat(r.reportData()).isEqualTo(Bytes.fromHex("dd".repeat(64)));
    assertThat(r.vmpl()).isEqualTo(2);
    assertThat(r.policy()).isEqualTo(POLICY);
    assertThat(r.measurement()).isEqualTo(block.launchDigest());
  }

  @Test
  void launchFinish_idBlockFailures_returnTheirStatus_andTheGuestStaysInLaunch() {
    SnpFirmware fw = TestKds.firmware(SnpProduct.MILAN);
    int h = fw.launchStart(mem, POLICY).handle();
    fw.launchUpdate(h, 0, PageType.ZERO, null);
    Bytes ld = fw.launchDigest(h).orElseThrow();
    GuestOwnerKey id = GuestOwnerKey.derive(3, "id");
    GuestOwnerKey author = GuestOwnerKey.derive(3, "author");
    GuestOwnerKey other = GuestOwnerKey.derive(3, "other");
    IdBlock good = IdBlock.of(ld, Bytes.zeros(16), Bytes.zeros(16), 1, POLICY);

    IdBlock wrongLd = IdBlock.of(Bytes.zeros(48), Bytes.zeros(16), Bytes.zeros(16), 1, POLICY);
    assertThat(fw.launchFinish(h, Optional.of(wrongLd.toBytes()), Optional.of(IdAuthInfo.sign(wrongLd, id, Optional.empty())),
        false, Bytes.zeros(32))).isEqualTo(SnpFirmwareStatus.BAD_MEASUREMENT);
    IdBlock wrongPolicy = IdBlock.of(ld, Bytes.zeros(16), Bytes.zeros(16), 1, POLICY.withFlag(GuestPolicy.DEBUG, true));
    assertThat(fw.launchFinish(h, Optional.of(wrongPolicy.toBytes()),
        Optional.of(IdAuthInfo.sign(wrongPolicy, id, Optional.empty())), false, Bytes.zeros(32)))
        .isEqualTo(SnpFirmwareStatus.POLICY_FAILURE);
    byte[] forged = IdAuthInfo.sign(good, id, Optional.of(author));
    System.arraycopy(other.publicKeyStructure(), 0, forged, IdAuthInfo.OFF_ID_KEY, GuestOwnerKey.PUBLIC_KEY_SIZE);
    assertThat(fw.launchFinish(h, Optional.of(good.toBytes()), Optional.of(forged), false, Bytes.zeros(32)))
        .as("ID block signature does not verify with the ID key given").isEqualTo(SnpFirmwareStatus.BAD_SIGNATURE);
    byte[] badAuthor = IdAuthInfo.sign(good, id, Optional.of(author));
    System.arraycopy(other.publicKeyStructure(), 0, badAuthor, IdAuthInfo.OFF_AUTHOR_KEY, GuestOwnerKey.PUBLIC_KEY_SIZE);
    assertThat(fw.launchFinish(h, Optional.of(good.toBytes()), Optional.of(badAuthor), true, Bytes.zeros(32)))
        .as("ID key not signed by the author key").isEqualTo(SnpFirmwareStatus.BAD_SIGNATURE);
    assertThat(fw.launchFinish(h, Optional.of(new byte[95]), Optional.of(new byte[4096]), false, Bytes.zeros(32)))
        .isEqualTo(SnpFirmwareStatus.INVALID_PARAM);
    assertThat(fw.guestState(h)).contains(SnpFirmware.GuestState.LAUNCH);

    assertThat(fw.launchFinish(h, Optional.of(good.toBytes()), Optional.of(IdAuthInfo.sign(good, id, Optional.empty())),
        false, Bytes.zeros(32))).isEqualTo(SnpFirmwareStatus.SUCCESS);
  }

  @Test
  void reportRequest_paramsAndKeys() {
    SnpFirmware fw = TestKds.firmware(SnpProduct.TURIN);
    int h = fw.launchStart(mem, POLICY).handle();
    fw.launchFinish(h, Optional.empty(), Optional.empty(), false, Bytes.zeros(32));
    assertThat(fw.reportRequest(h, Bytes.zeros(64), 4, SnpFirmware.KeySelect.VCEK).status())
        .isEqualTo(SnpFirmwareStatus.INVALID_PARAM);
    assertThat(fw.reportRequest(h, Bytes.zeros(63), 0, SnpFirmware.KeySelect.VCEK).status())
        .isEqualTo(SnpFirmwareStatus.INVALID_PARAM);
    assertThat(fw.reportRequest(h, Bytes.zeros(64), 0, SnpFirmware.KeySelect.VLEK).status())
        .as("no VLEK loaded").isEqualTo(SnpFirmwareStatus.INVALID_KEY);
    AttestationReport r = fw.reportRequest(h, Bytes.zeros(64), 3, SnpFirmware.KeySelect.DEFAULT).report().orElseThrow();
    SnpFirmware.Config c = fw.config();
    assertThat(r.version()).isEqualTo(5);
    assertThat(r.product()).contains(SnpProduct.TURIN);
    assertThat(r.keyInfo().signingKey()).isEqualTo(KeyInfo.SigningKey.VCEK);
    assertThat(r.reportedTcb()).isEqualTo(c.reportedTcb());
    assertThat(r.reportedTcb().layout()).isEqualTo(TcbVersion.Layout.TURIN);
    assertThat(r.reportedTcb().fmc()).isEqualTo(1);
    assertThat(r.hwId()).isEqualTo(c.hwId());
    assertThat(r.chipId().slice(8, 56).isAllZero()).isTrue();
    assertThat(r.cpuid()).contains(new AttestationReport.Cpuid(0x1A, 0x02, 0x01));
    assertThat(r.currentVersion()).isEqualTo(c.currentVersion());
    assertThat(r.launchTcb()).isEqualTo(c.currentTcb());
    assertThat(r.currentMitigationVector()).hasValue(c.currentMitigationVector());
    assertThat(r.reportIdMa()).isEqualTo(Bytes.fromHex("ff".repeat(32)));
    assertThat(r.signature().rInteger().signum()).isPositive();
  }

  @Test
  void vlekLoaded_defaultKeySelectSignsWithTheVlek_andMaskChipKeyLeavesItUnsigned() {
    SnpFirmware.Config base = SnpFirmware.Config.defaults(TestKds.SEED, SnpProduct.MILAN, TestKds.of(SnpProduct.MILAN));
    SnpFirmware fw = new SnpFirmware(base.withVlek("CN=csp").withReportVersion(3));
    fw.snpInit();
    int h = fw.launchStart(mem, POLICY).handle();
    fw.launchFinish(h, Optional.empty(), Optional.empty(), false, Bytes.zeros(32));
    assertThat(fw.reportRequest(h, Bytes.zeros(64), 0, SnpFirmware.KeySelect.DEFAULT).report().orElseThrow()
        .keyInfo().signingKey()).isEqualTo(KeyInfo.SigningKey.VLEK);
    assertThat(fw.reportRequest(h, Bytes.zeros(64), 0, SnpFirmware.KeySelect.VCEK).report().orElseThrow()
        .keyInfo().signingKey()).isEqualTo(KeyInfo.SigningKey.VCEK);

    SnpFirmware masked = new SnpFirmware(base.withMasks(true, true).withReportVersion(2));
    masked.snpInit();
    int m = masked.launchStart(mem, POLICY).handle();
    masked.launchFinish(m, Optional.empty(), Optional.empty(), false, Bytes.zeros(32));
    AttestationReport r = masked.reportRequest(m, Bytes.zeros(64), 0, SnpFirmware.KeySelect.DEFAULT).report().orElseThrow();
    assertThat(r.keyInfo().signingKey()).isEqualTo(KeyInfo.SigningKey.NONE);
    assertThat(r.keyInfo().maskChipKey()).isTrue();
    assertThat(r.chipId().isAllZero()).isTrue();
    assertThat(r.signature().r().isAllZero()).isTrue();
    assertThat(r.version()).isEqualTo(2);
    assertThat(r.cpuid()).isEmpty();
  }
}
