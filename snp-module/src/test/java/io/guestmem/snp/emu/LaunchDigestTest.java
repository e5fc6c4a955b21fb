package io.guestmem.snp.emu;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.snp.abi.AttestationReport;
import io.guestmem.snp.abi.Bytes;
import io.guestmem.snp.abi.GuestPolicy;
import io.guestmem.snp.abi.SnpProduct;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The launch digest against SHA-384 chains computed here by hand, straight from the PAGE_INFO
 * table of the SNP ABI spec (not with the emulator's LaunchDigest).
 */
class LaunchDigestTest {

  /** PAGE_INFO written field by field: DIGEST_CUR, CONTENTS, LENGTH=0x70, PAGE_TYPE, IMI, VMPL3/2/1, 0, GPA. */
  static byte[] handStep(byte[] digestCur, int pageType, long gpa, byte[] contents48, int imi, int v3, int v2, int v1)
      throws Exception {
    ByteBuffer b = ByteBuffer.allocate(0x70).order(ByteOrder.LITTLE_ENDIAN);
    b.put(digestCur);
    b.put(contents48);
    b.putShort((short) 0x70);
    b.put((byte) pageType).put((byte) imi).put((byte) v3).put((byte) v2).put((byte) v1).put((byte) 0);
    b.putLong(gpa);
    assertThat(b.position()).isEqualTo(0x70);
    return MessageDigest.getInstance("SHA-384").digest(b.array());
  }

  static byte[] sha384(byte[] b) throws Exception {
    return MessageDigest.getInstance("SHA-384").digest(b);
  }

  @Test
  void emptyLaunch_digestIsAllZero() {
    assertThat(new LaunchDigest().value()).isEqualTo(Bytes.zeros(48));
  }

  @Test
  void oneNormalPage_isSha384OfOnePageInfo() throws Exception {
    byte[] page = new byte[4096];
    Arrays.fill(page, (byte) 0xA5);
    byte[] expected = handStep(new byte[48], 1, 0x1000, sha384(page), 0, 0, 0, 0);

    LaunchDigest d = new LaunchDigest();
    d.update(PageType.NORMAL, 0x1000, page, false, 0, 0, 0);
    assertThat(d.value().toByteArray()).isEqualTo(expected);
  }

  @Test
  void pageInfo_layoutMatchesTheSpecTable() {
    byte[] info = LaunchDigest.pageInfo(new byte[48], PageType.CPUID, 0x1122334455667788L, null, true, 3, 2, 1);
    assertThat(info).hasSize(0x70);
    assertThat(Arrays.copyOfRange(info, 0x30, 0x60)).containsOnly(0);
    assertThat(HexFormat.of().formatHex(Arrays.copyOfRange(info, 0x60, 0x70)))
        .isEqualTo("7000" + "06" + "01" + "03" + "02" + "01" + "00" + "8877665544332211");
  }

  /** Every page type, with permissions and IMI, chained — firmware result vs the hand chain. */
  @Test
  void firmwareMeasurement_equalsTheHandComputedChain_forEveryPageType() throws Exception {
    SnpFirmware fw = TestKds.firmware(SnpProduct.GENOA);
    RecordingMemory mem = new RecordingMemory(16 * 4096);
    int h = fw.launchStart(mem, GuestPolicy.of(0, 0, GuestPolicy.SMT)).handle();
    byte[] normal = SnpEmulation.page(7, "n");
    byte[] vmsa = SnpEmulation.page(7, "v");
    byte[] zeros48 = new byte[48];

    assertThat(fw.launchUpdate(h, 0x0000, PageType.NORMAL, normal)).isEqualTo(SnpFirmwareStatus.SUCCESS);
    assertThat(fw.launchUpdate(h, 0x1000, PageType.ZERO, null)).isEqualTo(SnpFirmwareStatus.SUCCESS);
    assertThat(fw.launchUpdate(h, 0x2000, PageType.UNMEASURED, null)).isEqualTo(SnpFirmwareStatus.SUCCESS);
    assertThat(fw.launchUpdate(h, 0x3000, PageType.SECRETS, null)).isEqualTo(SnpFirmwareStatus.SUCCESS);
    assertThat(fw.launchUpdate(h, 0x4000, PageType.CPUID, SnpEmulation.page(7, "cpuid"))).isEqualTo(SnpFirmwareStatus.SUCCESS);
    assertThat(fw.launchUpdate(h, 0x5000, PageType.NORMAL, normal, true, 0x0F, 0x03, 0x01)).isEqualTo(SnpFirmwareStatus.SUCCESS);
    assertThat(fw.launchUpdate(h, 0xFFFFFFFFF000L, PageType.VMSA, vmsa)).isEqualTo(SnpFirmwareStatus.SUCCESS);

    byte[] d = new byte[48];
    d = handStep(d, 0x01, 0x0000, sha384(normal), 0, 0, 0, 0);
    d = handStep(d, 0x03, 0x1000, zeros48, 0, 0, 0, 0);
    d = handStep(d, 0x04, 0x2000, zeros48, 0, 0, 0, 0);
    d = handStep(d, 0x05, 0x3000, zeros48, 0, 0, 0, 0);
    d = handStep(d, 0x06, 0x4000, zeros48, 0, 0, 0, 0);
    d = handStep(d, 0x01, 0x5000, sha384(normal), 1, 0x0F, 0x03, 0x01);
    d = handStep(d, 0x02, 0xFFFFFFFFF000L, sha384(vmsa), 0, 0, 0, 0);
    assertThat(fw.launchDigest(h)).contains(Bytes.copyOf(d));

    assertThat(fw.launchFinish(h, Optional.empty(), Optional.empty(), false, Bytes.zeros(32)))
        .isEqualTo(SnpFirmwareStatus.SUCCESS);
    AttestationReport r = fw.reportRequest(h, Bytes.zeros(64), 0, SnpFirmware.KeySelect.VCEK).report().orElseThrow();
    assertThat(r.measurement().toByteArray()).isEqualTo(d);
  }

  @Test
  void orderMatters_andGpaIsMeasured() throws Exception {
    byte[] p = new byte[4096];
    LaunchDigest a = new LaunchDigest();
    a.update(PageType.ZERO, 0x1000, null, false, 0, 0, 0);
    a.update(PageType.ZERO, 0x2000, null, false, 0, 0, 0);
    LaunchDigest b = new LaunchDigest();
    b.update(PageType.ZERO, 0x2000, null, false, 0, 0, 0);
    b.update(PageType.ZERO, 0x1000, null, false, 0, 0, 0);
    assertThat(a.value()).isNotEqualTo(b.value());
    LaunchDigest zeroPage = new LaunchDigest();
    zeroPage.update(PageType.ZERO, 0x1000, null, false, 0, 0, 0);
    LaunchDigest normalOfZeros = new LaunchDigest();
    normalOfZeros.update(PageType.NORMAL, 0x1000, p, false, 0, 0, 0);
    assertThat(zeroPage.value()).as("ZERO and NORMAL-of-zeros are different pages to the digest")
        .isNotEqualTo(normalOfZeros.value());
  }
}
