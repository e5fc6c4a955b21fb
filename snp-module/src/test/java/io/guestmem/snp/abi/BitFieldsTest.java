package io.guestmem.snp.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** GUEST_POLICY, PLATFORM_INFO, KEY_INFO and TCB_VERSION bit layouts. */
class BitFieldsTest {

  @Property
  void guestPolicy_fromBitsToBits_roundTrips(@ForAll long bits) {
    assertThat(GuestPolicy.fromBits(bits).toBits()).isEqualTo(bits);
    assertThat(PlatformInfo.fromBits(bits).toBits()).isEqualTo(bits);
  }

  @Test
  void guestPolicy_namesEveryDefinedBit() {
    GuestPolicy p = GuestPolicy.fromBits(0x3FF_FFFFL);
    assertThat(p.abiMajor()).isEqualTo(0xFF);
    assertThat(p.abiMinor()).isEqualTo(0xFF);
    assertThat(p.smt() && p.reservedBitOneSet() && p.migrateMa() && p.debug() && p.singleSocket() && p.cxlAllow()
        && p.memAes256Xts() && p.raplDis() && p.ciphertextHidingDram() && p.pageSwapDisable()).isTrue();
    assertThat(p.unknownBits()).isZero();
    assertThat(GuestPolicy.fromBits(1L << 26).unknownBits()).isEqualTo(1L << 26);
    assertThat(GuestPolicy.of(1, 51, GuestPolicy.DEBUG).bits()).isEqualTo(0xA_0133L);
    assertThat(GuestPolicy.fromBits(0).reservedBitOneSet()).isFalse();
  }

  @Test
  void platformInfo_namesEveryDefinedBit_andReportsBit6AsUnknown() {
    PlatformInfo p = PlatformInfo.fromBits(0xFF);
    assertThat(p.smtEnabled() && p.tsmeEnabled() && p.eccEnabled() && p.raplDisabled()
        && p.ciphertextHidingDramEnabled() && p.aliasCheckComplete() && p.tioEnabled()).isTrue();
    assertThat(p.unknownBits()).isEqualTo(1L << 6);
  }

  @Test
  void keyInfo_layout() {
    assertThat(KeyInfo.of(true, true, KeyInfo.SigningKey.NONE).bits()).isEqualTo(0b11111);
    assertThat(KeyInfo.of(false, false, KeyInfo.SigningKey.VLEK).bits()).isEqualTo(0b100);
    assertThat(new KeyInfo(0b100).signingKey()).isEqualTo(KeyInfo.SigningKey.VLEK);
  }

  @Test
  void tcbVersion_milanGenoaLayout() {
    TcbVersion t = TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, 2, 0, 5, 68);
    assertThat(t.raw()).isEqualTo(0x4405000000000002L);
    assertThat(t.fmc()).isZero();
    assertThat(t.reservedBytesNonZero()).isFalse();
    assertThat(new TcbVersion(TcbVersion.Layout.MILAN_GENOA, 1L << 16).reservedBytesNonZero()).isTrue();
    assertThatThrownBy(() -> TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 1, 0, 0, 0, 0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void tcbVersion_turinLayout_hasFmcFirst() {
    TcbVersion t = TcbVersion.of(TcbVersion.Layout.TURIN, 1, 2, 3, 4, 0x55);
    assertThat(t.raw()).isEqualTo(0x5500000004030201L);
    assertThat(t.fmc()).isEqualTo(1);
    assertThat(t.bootLoader()).isEqualTo(2);
    assertThat(t.tee()).isEqualTo(3);
    assertThat(t.snp()).isEqualTo(4);
    assertThat(t.microcode()).isEqualTo(0x55);
    // The same u64 read with the wrong layout gives other numbers: why the product matters.
    assertThat(t.withLayout(TcbVersion.Layout.MILAN_GENOA).snp()).isZero();
    assertThat(t.withLayout(TcbVersion.Layout.MILAN_GENOA).reservedBytesNonZero()).isTrue();
  }

  @Property
  void tcbVersion_partsRoundTrip(@ForAll byte fmc, @ForAll byte bl, @ForAll byte tee, @ForAll byte snp, @ForAll byte uc) {
    TcbVersion t = TcbVersion.of(TcbVersion.Layout.TURIN, fmc & 0xFF, bl & 0xFF, tee & 0xFF, snp & 0xFF, uc & 0xFF);
    assertThat(new int[] {t.fmc(), t.bootLoader(), t.tee(), t.snp(), t.microcode()})
        .containsExactly(fmc & 0xFF, bl & 0xFF, tee & 0xFF, snp & 0xFF, uc & 0xFF);
    TcbVersion m = TcbVersion.of(TcbVersion.Layout.MILAN_GENOA, 0, bl & 0xFF, tee & 0xFF, snp & 0xFF, uc & 0xFF);
    assertThat(new int[] {m.bootLoader(), m.tee(), m.snp(), m.microcode()})
        .containsExactly(bl & 0xFF, tee & 0xFF, snp & 0xFF, uc & 0xFF);
  }

  @Test
  void product_fromCpuidAndName() {
    assertThat(SnpProduct.fromCpuid(0x19, 0x01)).contains(SnpProduct.MILAN);
    assertThat(SnpProduct.fromCpuid(0x19, 0x11)).contains(SnpProduct.GENOA);
    assertThat(SnpProduct.fromCpuid(0x19, 0xA0)).contains(SnpProduct.GENOA);
    assertThat(SnpProduct.fromCpuid(0x1A, 0x02)).contains(SnpProduct.TURIN);
    assertThat(SnpProduct.fromCpuid(0x1A, 0x50)).isEmpty();
    assertThat(SnpProduct.fromCpuid(0x17, 0x31)).isEmpty();
    assertThat(SnpProduct.fromName("Milan-B0")).contains(SnpProduct.MILAN);
    assertThat(SnpProduct.fromName("Genoa")).contains(SnpProduct.GENOA);
    assertThat(SnpProduct.fromName("turin")).contains(SnpProduct.TURIN);
    assertThat(SnpProduct.fromName("Venice-A0")).isEmpty();
  }
}
