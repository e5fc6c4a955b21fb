package io.guestmem.tdx.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

/**
 * Bad input always yields the checked {@link MalformedLayoutException}, naming the field: never an
 * unchecked exception, never an out-of-bounds read (go-tdx-guest / QVL negative cases, §2.1).
 */
class QuoteMalformedTest {

  private static byte[] sprE4() throws Exception {
    return Vectors.read(Vectors.SPR_E4, Vectors.SPR_E4_SHA);
  }

  private static byte[] v5() throws Exception {
    return Vectors.read(Vectors.V5_SAMPLE, Vectors.V5_SAMPLE_SHA);
  }

  private static MalformedLayoutException malformed(byte[] raw) {
    return catchThrowableOfType(MalformedLayoutException.class, () -> Quote.parse(raw));
  }

  private static byte[] patchU16(byte[] raw, int at, int v) {
    byte[] c = raw.clone();
    ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putShort(at, (short) v);
    return c;
  }

  private static byte[] patchU32(byte[] raw, int at, long v) {
    byte[] c = raw.clone();
    ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN).putInt(at, (int) v);
    return c;
  }

  @Test
  void versionByteSetTo3_fails_onHeaderVersion() throws Exception {
    byte[] raw = sprE4();
    raw[0] = 3;
    assertThat(malformed(raw).field()).isEqualTo("quote.header.version");
    assertThat(malformed(patchU16(sprE4(), 0, 1)).field()).isEqualTo("quote.header.version");
  }

  @Test
  void attestationKeyType1_fails() throws Exception {
    assertThat(malformed(patchU16(sprE4(), 2, 1)).field()).isEqualTo("quote.header.att_key_type");
  }

  @Test
  void teeTypeSgx_or_1_fails() throws Exception {
    assertThat(malformed(patchU32(sprE4(), 4, 0)).field()).isEqualTo("quote.header.tee_type");
    assertThat(malformed(patchU32(sprE4(), 4, 1)).field()).isEqualTo("quote.header.tee_type");
  }

  @Test
  void sigDataLenLowByteChanged_failsOnCertificationDataSize() throws Exception {
    byte[] raw = sprE4();
    raw[0x278] = 0x10;
    MalformedLayoutException e = malformed(raw);
    assertThat(e.field()).isEqualTo("quote.signature_data.certification_data.size");
  }

  @Test
  void sigDataLenLargerThanTheQuote_fails() throws Exception {
    MalformedLayoutException e = malformed(patchU32(sprE4(), 0x278, 0xffff_ffffL));
    assertThat(e.field()).isEqualTo("quote.sig_data_len");
    assertThat(e.offset()).isEqualTo(0x278);
  }

  @Test
  void qeAuthDataSizeTooLarge_fails() throws Exception {
    // QE auth-data size field sits at sig data + 128 + 6 + 448 = 0x27C + 0x246 = 0x4C2 in a v4 quote.
    MalformedLayoutException e = malformed(patchU16(sprE4(), 0x4C2, 0xffff));
    assertThat(e).isNotNull();
    MalformedLayoutException smaller = malformed(patchU16(sprE4(), 0x4C2, 31));
    assertThat(smaller).isNotNull();
  }

  @Test
  void unsupportedOuterOrInnerCertificationDataType_fails() throws Exception {
    assertThat(malformed(patchU16(sprE4(), 0x27C + 128, 8)).field()).isEqualTo("quote.signature_data.certification_data.type");
    assertThat(malformed(patchU16(sprE4(), 0x4E4, 0)).field())
        .isEqualTo("quote.signature_data.certification_data.certification_data.type");
    assertThat(malformed(patchU16(sprE4(), 0x4E4, 6)).field())
        .isEqualTo("quote.signature_data.certification_data.certification_data.type");
  }

  @Test
  void innerTypeChangedTo7_parsesAsPlatformManifest_forTheVerifierToReject() throws Exception {
    Quote q = Quote.parse(patchU16(sprE4(), 0x4E4, 7));
    assertThat(q.qeReportCertificationData().orElseThrow().certificationData()).isInstanceOf(PlatformManifest.class);
    assertThat(q.pckCertChain()).isEmpty();
  }

  @Test
  void innerPckChainOfSizeZero_fails() throws Exception {
    byte[] raw = sprE4();
    int end = 0x27C + ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getInt(0x278);
    // Drop the PEM, fix every enclosing length.
    int pemLen = end - 0x4EA;
    byte[] cut = new byte[0x4EA];
    System.arraycopy(raw, 0, cut, 0, 0x4EA);
    cut = patchU32(cut, 0x4E6, 0);
    cut = patchU32(cut, 0x27C + 130, ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getInt(0x27C + 130) - pemLen);
    cut = patchU32(cut, 0x278, ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getInt(0x278) - pemLen);
    MalformedLayoutException e = malformed(cut);
    assertThat(e.field()).endsWith(".pem");
    assertThat(e.getMessage()).contains("no certificate");
  }

  @Test
  void byteChangedInsidePemChain_failsOnThePem() throws Exception {
    byte[] raw = sprE4();
    raw[0x1343] = 0x32;
    MalformedLayoutException e = malformed(raw);
    assertThat(e).isNotNull();
    assertThat(e.field()).endsWith(".pem");
  }

  @Test
  void nonBase64CharacterInPem_fails() throws Exception {
    byte[] raw = sprE4();
    raw[0x600] = '*';
    assertThat(malformed(raw).field()).endsWith(".pem");
  }

  @Test
  void everyTruncation_failsWithTheCheckedException() throws Exception {
    byte[] raw = sprE4();
    int sigEnd = raw.length - 39;
    for (int len = 0; len < sigEnd; len += (len < 0x500 ? 1 : 7)) {
      byte[] t = Arrays.copyOf(raw, len);
      assertThatThrownBy(() -> Quote.parse(t)).as("truncated to %d", len).isInstanceOf(MalformedLayoutException.class);
    }
  }

  @Test
  void truncatedTo100Bytes_fails_v5() throws Exception {
    assertThat(malformed(Arrays.copyOf(v5(), 100))).isNotNull();
  }

  @Test
  void oversizedBuffer_fails() {
    MalformedLayoutException e = malformed(new byte[Quote.MAX_SIZE + 1]);
    assertThat(e.field()).isEqualTo("quote");
  }

  @Test
  void v5BodyType1_fails() throws Exception {
    MalformedLayoutException e = malformed(patchU16(v5(), 0x30, 1));
    assertThat(e.field()).isEqualTo("quote.body_descriptor.type");
    assertThat(e.getMessage()).contains("unsupported TD quote body type 1");
  }

  @Test
  void v5BodySize999_fails() throws Exception {
    MalformedLayoutException e = malformed(patchU32(v5(), 0x32, 999));
    assertThat(e.field()).isEqualTo("quote.body_descriptor.size");
    assertThat(e.getMessage()).contains("999").contains("648");
  }

  @Test
  void v5Type2WithSize648_and_type3WithSize584_fail() throws Exception {
    assertThat(malformed(patchU16(v5(), 0x30, 2)).getMessage()).contains("584");
    byte[] t3 = patchU32(v5(), 0x32, 584);
    assertThat(malformed(t3).field()).isEqualTo("quote.body_descriptor.size");
  }

  @Test
  void emptyAndTinyInputs_fail() {
    assertThat(malformed(new byte[0]).field()).isEqualTo("quote.header");
    assertThat(malformed(new byte[47])).isNotNull();
  }

  @Test
  void tdReport_wrongSizeOrType_fails() {
    assertThatThrownBy(() -> TdReport.parse(new byte[1023])).isInstanceOf(MalformedLayoutException.class);
    MalformedLayoutException e = catchThrowableOfType(MalformedLayoutException.class, () -> TdReport.parse(new byte[1024]));
    assertThat(e.field()).isEqualTo("tdreport.report_type.type");
  }

  @Property(tries = 300)
  void randomGarbage_neverThrowsUnchecked(@ForAll @Size(max = 6000) byte[] garbage) {
    assertParseIsCheckedOrOk(garbage);
  }

  @Property(tries = 300)
  void garbageBehindAValidHeader_neverThrowsUnchecked(@ForAll("tdxPrefixed") byte[] input) {
    assertParseIsCheckedOrOk(input);
  }

  @Property(tries = 200)
  void randomMutationsOfARealQuote_neverThrowUnchecked(
      @ForAll("positions") int position, @ForAll byte value, @ForAll("positions") int position2) throws Exception {
    byte[] raw = sprE4();
    raw[position % raw.length] = value;
    raw[position2 % raw.length] ^= (byte) 0xff;
    assertParseIsCheckedOrOk(raw);
  }

  @Provide
  Arbitrary<Integer> positions() {
    return Arbitraries.integers().between(0, 5000);
  }

  @Provide
  Arbitrary<byte[]> tdxPrefixed() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(3000).map(tail -> {
      byte[] out = Arrays.copyOf(new byte[] {4, 0, 2, 0, (byte) 0x81, 0, 0, 0}, 8 + tail.length);
      System.arraycopy(tail, 0, out, 8, tail.length);
      if (tail.length > 0x30 && tail[0] % 2 == 0) {
        out[0] = 5;
        out[0x30] = (byte) (2 + (tail[1] & 1));
        out[0x31] = 0;
      }
      return out;
    });
  }

  private static void assertParseIsCheckedOrOk(byte[] input) {
    try {
      Quote q = Quote.parse(input);
      assertThat(q.toBytes()).isEqualTo(input);
    } catch (MalformedLayoutException expected) {
      assertThat(expected.field()).isNotBlank();
    }
  }
}
