package io.guestmem.tdx.abi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class BitFieldsAndReportsTest {

  @Property(tries = 200)
  void tdAttributesAndXfam_roundTripEveryBitPattern(@ForAll long bits) {
    assertThat(TdAttributes.fromBits(bits).toBits()).isEqualTo(bits);
    assertThat(Xfam.fromBits(bits).toBits()).isEqualTo(bits);
    assertThat(TdAttributes.fromBits(bits).names()).hasSize(Long.bitCount(bits));
  }

  @Test
  void unknownTdAttributeBits_areKeptAndReported_notRejected() {
    TdAttributes a = TdAttributes.fromBits(TdAttributes.DEBUG | 1L << 40);
    assertThat(a.debug()).isTrue();
    assertThat(a.unknownBits()).isEqualTo(1L << 40);
    assertThat(a.names()).containsExactly("DEBUG", "BIT40");
    assertThat(TdAttributes.fromBits(TdAttributes.PERFMON | TdAttributes.SEPT_VE_DISABLE | TdAttributes.KL).names())
        .containsExactly("SEPT_VE_DISABLE", "KL", "PERFMON");
  }

  @Test
  void xfamNames_followXcr0BitPositions() {
    assertThat(Xfam.fromBits(0x061ae7L).names())
        .containsExactly("FP", "SSE", "AVX", "AVX512_OPMASK", "AVX512_ZMM_HI256", "AVX512_HI16_ZMM", "PKRU", "CET_U", "CET_S", "AMX_TILECFG", "AMX_TILEDATA");
    assertThat(Xfam.fromBits(1L << 30).unknownBits()).isEqualTo(1L << 30);
  }

  @Test
  void tdReport_roundTripsEveryByte() throws Exception {
    byte[] raw = new byte[TdReport.SIZE];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = (byte) (i * 7 + 3);
    }
    raw[0] = (byte) 0x81;
    TdReport r = TdReport.parse(raw);
    assertThat(r.toBytes()).isEqualTo(raw);
    assertThat(r.reportMac().reportData().toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(raw, 0x80, 0xC0));
    assertThat(r.tdInfo().mrTd().toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(raw, 0x210, 0x240));
    assertThat(r.tdInfo().rtmrs().get(3).toByteArray()).isEqualTo(java.util.Arrays.copyOfRange(raw, 0x200 + 0xD0 + 144, 0x200 + 0xD0 + 192));
    assertThat(r.teeTcbInfo().toBytes()).hasSize(TdReport.TeeTcbInfo.SIZE);
    assertThat(r.tdInfo().toBytes()).hasSize(TdReport.TdInfo.SIZE);
    assertThat(r.reportMac().macedBytes()).hasSize(0xE0);
  }

  @Test
  void sgxReportBody_roundTrips() throws Exception {
    byte[] raw = new byte[SgxReportBody.SIZE];
    for (int i = 0; i < raw.length; i++) {
      raw[i] = (byte) (i * 13 + 1);
    }
    SgxReportBody b = SgxReportBody.parse(raw);
    assertThat(b.toBytes()).isEqualTo(raw);
    assertThat(b.isvSvn()).isEqualTo((raw[0x102] & 0xff) | (raw[0x103] & 0xff) << 8);
  }

  @Test
  void pckIdentifier_types1to3_roundTripInsideAQuoteSignatureData() throws Exception {
    for (int type : List.of(1, 2, 3)) {
      PckIdentifier id = new PckIdentifier(type, Bytes.zeros(PckIdentifier.ppidSize(type)), Bytes.zeros(16), 11, 0);
      byte[] enc = id.toBytes();
      LayoutReader r = new LayoutReader(enc);
      assertThat(CertificationData.parse(r, 0, "cd", false)).isEqualTo(id);
    }
  }
}
