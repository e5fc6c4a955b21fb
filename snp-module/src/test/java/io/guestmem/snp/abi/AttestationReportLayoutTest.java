package io.guestmem.snp.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** ATTESTATION_REPORT layout rules on built reports: offsets, mbz ranges, sizes, versions. */
class AttestationReportLayoutTest {

  static AttestationReport sample(int version) {
    AttestationReport.Builder b = AttestationReport.builder(version)
        .guestSvn(7)
        .policy(GuestPolicy.of(1, 55, GuestPolicy.SMT))
        .familyId(Bytes.fromHex("11".repeat(16)))
        .imageId(Bytes.fromHex("22".repeat(16)))
        .vmpl(2)
        .currentTcb(TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 3, 0, 8, 115))
        .platformInfo(new PlatformInfo(PlatformInfo.SMT_EN | PlatformInfo.ALIAS_CHECK_COMPLETE))
        .keyInfo(KeyInfo.of(true, false, KeyInfo.SigningKey.VLEK))
        .reportData(Bytes.fromHex("33".repeat(64)))
        .measurement(Bytes.fromHex("44".repeat(48)))
        .hostData(Bytes.fromHex("55".repeat(32)))
        .idKeyDigest(Bytes.fromHex("66".repeat(48)))
        .authorKeyDigest(Bytes.fromHex("77".repeat(48)))
        .reportId(Bytes.fromHex("88".repeat(32)))
        .reportIdMa(Bytes.fromHex("ff".repeat(32)))
        .reportedTcb(TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 2, 0, 7, 110))
        .chipId(Bytes.fromHex("99".repeat(64)))
        .committedTcb(TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 3, 0, 8, 115))
        .currentVersion(1, 55, 49)
        .committedVersion(1, 55, 48)
        .launchTcb(TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 1, 0, 6, 100))
        .signature(SnpEcdsaSignature.fromIntegers(java.math.BigInteger.valueOf(0x0102), java.math.BigInteger.valueOf(0x0304)));
    if (version >= 3) {
      b.cpuid(0x19, 0x11, 0x01);
    }
    if (version >= 5) {
      b.mitigationVectors(0xAAL, 0xBBL);
    }
    return b.build();
  }

  @ParameterizedTest(name = "v{0}")
  @ValueSource(ints = {2, 3, 4, 5})
  void everyFieldSitsAtItsOffset(int version) {
    AttestationReport r = sample(version);
    byte[] raw = r.toBytes();
    assertThat(raw).hasSize(0x4A0);
    assertThat(Le.u32(raw, 0x000)).isEqualTo(version);
    assertThat(Le.u32(raw, 0x004)).isEqualTo(7);
    assertThat(Le.u64(raw, 0x008)).isEqualTo(r.policy().bits()).isEqualTo(0x3_0137L);
    assertThat(raw[0x010]).isEqualTo((byte) 0x11);
    assertThat(raw[0x020]).isEqualTo((byte) 0x22);
    assertThat(Le.u32(raw, 0x030)).isEqualTo(2);
    assertThat(Le.u32(raw, 0x034)).isEqualTo(1);
    assertThat(Le.u64(raw, 0x038)).isEqualTo(r.currentTcb().raw());
    assertThat(Le.u64(raw, 0x040)).isEqualTo(0x21);
    assertThat(Le.u32(raw, 0x048)).isEqualTo(0b101);
    assertThat(raw[0x050]).isEqualTo((byte) 0x33);
    assertThat(raw[0x08F]).isEqualTo((byte) 0x33);
    assertThat(raw[0x090]).isEqualTo((byte) 0x44);
    assertThat(raw[0x0C0]).isEqualTo((byte) 0x55);
    assertThat(raw[0x0E0]).isEqualTo((byte) 0x66);
    assertThat(raw[0x110]).isEqualTo((byte) 0x77);
    assertThat(raw[0x140]).isEqualTo((byte) 0x88);
    assertThat(raw[0x160]).isEqualTo((byte) 0xFF);
    assertThat(Le.u64(raw, 0x180)).isEqualTo(r.reportedTcb().raw());
    assertThat(raw[0x1A0]).isEqualTo((byte) 0x99);
    assertThat(Le.u64(raw, 0x1E0)).isEqualTo(r.committedTcb().raw());
    assertThat(new int[] {raw[0x1E8], raw[0x1E9], raw[0x1EA]}).containsExactly(49, 55, 1);
    assertThat(new int[] {raw[0x1EC], raw[0x1ED], raw[0x1EE]}).containsExactly(48, 55, 1);
    assertThat(Le.u64(raw, 0x1F0)).isEqualTo(r.launchTcb().raw());
    assertThat(raw[0x2A0]).isEqualTo((byte) 0x02);
    assertThat(raw[0x2A1]).isEqualTo((byte) 0x01);
    assertThat(raw[0x2E8]).isEqualTo((byte) 0x04);
    assertThat(r.signature().rInteger()).hasToString("258");
    assertThat(r.signature().sInteger()).hasToString("772");
    if (version >= 3) {
      assertThat(new int[] {raw[0x188], raw[0x189], raw[0x18A]}).containsExactly(0x19, 0x11, 0x01);
      assertThat(r.product()).contains(SnpProduct.GENOA);
    } else {
      assertThat(r.cpuid()).isEmpty();
    }
    if (version >= 5) {
      assertThat(Le.u64(raw, 0x1F8)).isEqualTo(0xAA);
      assertThat(Le.u64(raw, 0x200)).isEqualTo(0xBB);
      assertThat(r.launchMitigationVector()).hasValue(0xAA);
      assertThat(r.currentMitigationVector()).hasValue(0xBB);
    } else {
      assertThat(r.launchMitigationVector()).isEmpty();
    }
    assertThat(r.keyInfo().authorKeyEn()).isTrue();
    assertThat(r.keyInfo().signingKey()).isEqualTo(KeyInfo.SigningKey.VLEK);
  }

  @ParameterizedTest(name = "v{0}")
  @ValueSource(ints = {2, 3, 4, 5})
  void parse_thenToBytes_isByteIdentical_andSignedBytesAreTheFirst0x2A0(int version) throws Exception {
    byte[] raw = sample(version).toBytes();
    AttestationReport r = AttestationReport.parse(raw);
    assertThat(r.toBytes()).isEqualTo(raw);
    assertThat(r.signedBytes()).isEqualTo(Arrays.copyOf(raw, 0x2A0));
    byte[] copy = r.signedBytes();
    copy[0] = 9;
    assertThat(r.signedBytes()[0]).as("signedBytes is a copy").isEqualTo((byte) version);
  }

  /** Every must-be-zero byte of every version, set one at a time, is refused naming its range. */
  @ParameterizedTest(name = "v{0}")
  @ValueSource(ints = {2, 3, 4, 5})
  void parse_eachMustBeZeroByteSet_failsNamingTheExactRange(int version) {
    byte[] good = sample(version).toBytes();
    List<String> failures = new ArrayList<>();
    int checked = 0;
    for (AttestationReport.MbzRange range : AttestationReport.mbzRanges(version)) {
      for (int i = range.from(); i < range.to(); i++) {
        byte[] bad = good.clone();
        bad[i] = (byte) 0x80;
        MalformedLayoutException e = catchThrowableOfType(MalformedLayoutException.class, () -> AttestationReport.parse(bad));
        checked++;
        String expected = String.format("mbz range [0x%x:0x%x]", range.from(), range.to());
        if (e == null) {
          failures.add("byte 0x" + Integer.toHexString(i) + " accepted");
        } else if (!e.getMessage().contains(expected) || !e.field().equals(range.name()) || e.offset() != i) {
          failures.add("byte 0x" + Integer.toHexString(i) + ": " + e.getMessage());
        }
      }
    }
    assertThat(failures).isEmpty();
    assertThat(checked).isGreaterThan(version >= 5 ? 500 : 600);
  }

  @Test
  void signaturePadding_isMustBeZeroOnlyForEcdsaP384() throws Exception {
    byte[] raw = sample(5).toBytes();
    raw[0x2D0] = 1;
    assertThatThrownBy(() -> AttestationReport.parse(raw)).isInstanceOf(MalformedLayoutException.class)
        .hasMessageContaining("mbz range [0x2d0:0x2e8]");
    Le.put32(raw, 0x034, 2);
    assertThat(AttestationReport.parse(raw).signatureAlgo()).as("an algorithm this library does not know: the "
        + "verifier refuses it, the parser keeps its bytes").isEqualTo(2);
  }

  @Test
  void parse_v2CpuidBytesSet_failsBecauseV2HasNoCpuidFields() {
    byte[] bad = sample(2).toBytes();
    bad[0x189] = 0x11;
    assertThatThrownBy(() -> AttestationReport.parse(bad))
        .isInstanceOf(MalformedLayoutException.class).hasMessageContaining("mbz range [0x188:0x1a0]");
  }

  @Test
  void parse_v3MitigationVectorBytesSet_failsBecauseOnlyV5HasThem() {
    byte[] bad = sample(3).toBytes();
    bad[0x1F8] = 1;
    assertThatThrownBy(() -> AttestationReport.parse(bad))
        .isInstanceOf(MalformedLayoutException.class).hasMessageContaining("mbz range [0x1f8:0x2a0]");
  }

  @Test
  void parse_keyInfoReservedBitsSet_fails() {
    byte[] bad = sample(5).toBytes();
    bad[0x048] |= 0x20;
    MalformedLayoutException e = catchThrowableOfType(MalformedLayoutException.class, () -> AttestationReport.parse(bad));
    assertThat(e.field()).isEqualTo("KEY_INFO[31:5]");
    assertThat(e.offset()).isEqualTo(0x48);
  }

  @Test
  void parse_reservedSigningKeyValue_isKeptForTheVerifier() throws Exception {
    byte[] raw = sample(5).toBytes();
    raw[0x048] = (byte) (3 << 2);
    AttestationReport r = AttestationReport.parse(raw);
    assertThat(r.keyInfo().signingKey()).isEqualTo(KeyInfo.SigningKey.RESERVED);
    assertThat(r.keyInfo().signingKeyCode()).isEqualTo(3);
  }

  @ParameterizedTest(name = "version {0}")
  @ValueSource(ints = {6, 7, 100, -1})
  void parse_unknownFutureVersion_isRefusedExplicitly(int version) {
    byte[] bad = sample(5).toBytes();
    Le.put32(bad, 0, version);
    MalformedLayoutException e = catchThrowableOfType(MalformedLayoutException.class, () -> AttestationReport.parse(bad));
    assertThat(e.field()).isEqualTo("VERSION");
    assertThat(e.offset()).isZero();
    assertThat(e.getMessage()).contains("unknown future ATTESTATION_REPORT version");
  }

  @ParameterizedTest(name = "version {0}")
  @ValueSource(ints = {0, 1})
  void parse_versionBelowTwo_isRefused(int version) {
    byte[] bad = sample(2).toBytes();
    Le.put32(bad, 0, version);
    assertThatThrownBy(() -> AttestationReport.parse(bad)).isInstanceOf(MalformedLayoutException.class)
        .hasMessageContaining("unsupported ATTESTATION_REPORT version " + version);
  }

  @Test
  void parse_truncated_failsNamingTheSize() {
    byte[] raw = sample(3).toBytes();
    assertThatThrownBy(() -> AttestationReport.parse(Arrays.copyOf(raw, 1000)))
        .isInstanceOf(MalformedLayoutException.class).hasMessageContaining("got 1000 (truncated)");
    assertThatThrownBy(() -> AttestationReport.parse(new byte[0]))
        .isInstanceOf(MalformedLayoutException.class).hasMessageContaining("truncated");
  }

  @Test
  void parse_oversized_failsUnlessTheCallerGivesTheOffset() throws Exception {
    byte[] raw = sample(3).toBytes();
    byte[] big = Arrays.copyOf(raw, raw.length + 16);
    assertThatThrownBy(() -> AttestationReport.parse(big))
        .isInstanceOf(MalformedLayoutException.class).hasMessageContaining("oversized");
    assertThat(AttestationReport.parse(big, 0).toBytes()).isEqualTo(raw);
  }

  @Test
  void parseAtOffset_neverReadsPastTheBuffer() {
    byte[] raw = sample(3).toBytes();
    byte[] buf = new byte[raw.length + 10];
    System.arraycopy(raw, 0, buf, 10, raw.length);
    assertThatThrownBy(() -> AttestationReport.parse(buf, 11)).isInstanceOf(MalformedLayoutException.class)
        .hasMessageContaining("truncated");
    assertThatThrownBy(() -> AttestationReport.parse(buf, -1)).isInstanceOf(MalformedLayoutException.class);
    assertThatThrownBy(() -> AttestationReport.parse(buf, Integer.MAX_VALUE)).isInstanceOf(MalformedLayoutException.class);
  }

  @Test
  void unknownPolicyAndPlatformBits_areKeptAndReported_notRejected() throws Exception {
    byte[] raw = sample(5).toBytes();
    Le.put64(raw, 0x008, Le.u64(raw, 0x008) | 1L << 40 | GuestPolicy.PAGE_SWAP_DISABLE);
    Le.put64(raw, 0x040, Le.u64(raw, 0x040) | 1L << 6 | 1L << 33);
    AttestationReport r = AttestationReport.parse(raw);
    assertThat(r.policy().unknownBits()).isEqualTo(1L << 40);
    assertThat(r.policy().pageSwapDisable()).isTrue();
    assertThat(r.platformInfo().unknownBits()).isEqualTo(1L << 6 | 1L << 33);
    assertThat(r.toBytes()).isEqualTo(raw);
  }

  @Test
  void v3WithUnknownCpuid_hasNoProductButReadsFamily0x1aWithTheTurinLayout() throws Exception {
    byte[] raw = sample(3).toBytes();
    raw[0x188] = 0x1A;
    raw[0x189] = 0x50;
    AttestationReport r = AttestationReport.parse(raw);
    assertThat(r.product()).isEmpty();
    assertThat(r.tcbLayout()).isEqualTo(TcbVersion.Layout.TURIN);
  }

  @Test
  void withProduct_contradictingCpuid_fails() {
    AttestationReport genoa = sample(3);
    assertThatThrownBy(() -> genoa.withProduct(SnpProduct.TURIN)).isInstanceOf(MalformedLayoutException.class)
        .hasMessageContaining("is Genoa, but the caller says Turin");
  }

  /** Random garbage never escapes as an unchecked exception. */
  @Property(tries = 300)
  void parse_randomGarbage_givesACheckedErrorOrAReport(@ForAll @Size(max = 1300) byte[] garbage,
      @ForAll @IntRange(min = -5, max = 1400) int offset) {
    try {
      AttestationReport r = AttestationReport.parse(garbage, offset);
      assertThat(r.toBytes()).isEqualTo(Arrays.copyOfRange(garbage, offset, offset + 0x4A0));
    } catch (MalformedLayoutException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }

  /** A valid report with random bytes in its fields (not in mbz ranges) parses and round-trips. */
  @Property(tries = 200)
  void parse_validLayoutWithRandomFields_roundTrips(@ForAll @Size(min = 0x4A0, max = 0x4A0) byte[] noise,
      @ForAll @IntRange(min = 2, max = 5) int version) throws Exception {
    byte[] raw = noise.clone();
    Le.put32(raw, 0, version);
    raw[0x048] &= 0x1F;
    Arrays.fill(raw, 0x049, 0x04C, (byte) 0);
    for (AttestationReport.MbzRange range : AttestationReport.mbzRanges(version)) {
      Arrays.fill(raw, range.from(), range.to(), (byte) 0);
    }
    AttestationReport r = AttestationReport.parse(raw);
    assertThat(r.toBytes()).isEqualTo(raw);
    assertThat(AttestationReport.parse(r.toBytes())).isEqualTo(r);
  }
}
