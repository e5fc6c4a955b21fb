package io.guestmem.tdx.abi;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Every parser outside the quote also answers garbage with the checked exception only. */
class HostileInputPropertiesTest {
  /** A synthetic, well-formed QE Identity response (made-up values) to mutate. */
  private static final String QE =
      new String(
          SignedCollateral.encodeResponse(
              "enclaveIdentity",
              Bytes.of(
                  new QeIdentity(
                          "TD_QE", 2, java.time.Instant.parse("2030-01-02T03:04:05Z"), java.time.Instant.parse("2030-02-01T03:04:05Z"), 3,
                          Bytes.zeros(4), Bytes.fromHex("ffffffff"), Bytes.fromHex("11".repeat(16)), Bytes.fromHex("fb".repeat(16)),
                          Bytes.fromHex("5a".repeat(32)), 2,
                          java.util.List.of(new QeIdentity.QeTcbLevel(4, java.time.Instant.parse("2029-12-01T00:00:00Z"), TcbStatus.UP_TO_DATE, java.util.List.of("X-1"))))
                      .toJson()),
              Bytes.fromHex("ab".repeat(64))),
          StandardCharsets.UTF_8);

  @Property(tries = 300)
  void mutatedQeIdentityResponse_parsesOrFailsChecked(@ForAll @IntRange(min = 0, max = 700) int at, @ForAll byte value) {
    byte[] b = QE.getBytes(StandardCharsets.UTF_8);
    b[at % b.length] = value;
    try {
      SignedCollateral<QeIdentity> c = QeIdentity.parseResponse(b);
      assertThat(c.signature().length()).isEqualTo(64);
    } catch (MalformedLayoutException expected) {
      assertThat(expected.field()).isNotBlank();
    }
  }

  @Property(tries = 200)
  void truncatedQeIdentityResponse_failsChecked(@ForAll @IntRange(min = 0, max = 699) int length) {
    byte[] b = java.util.Arrays.copyOf(QE.getBytes(StandardCharsets.UTF_8), Math.min(length, QE.length() - 1));
    try {
      QeIdentity.parseResponse(b);
      throw new AssertionError("a truncated response parsed");
    } catch (MalformedLayoutException expected) {
      assertThat(expected.field()).isNotBlank();
    }
  }

  @Property(tries = 300)
  void garbageAsTcbInfo_failsChecked(@ForAll("jsonish") String s) {
    try {
      TcbInfo.parseResponse(s.getBytes(StandardCharsets.UTF_8));
    } catch (MalformedLayoutException expected) {
      assertThat(expected.field()).isNotBlank();
    }
  }

  @Provide
  Arbitrary<String> jsonish() {
    return Arbitraries.strings().withChars("{}[]\":,0123456789.eE-+ truefalsnl\\u").ofMaxLength(200);
  }

  @Property(tries = 300)
  void garbageAsPckExtensionsOrCrl_failsChecked(@ForAll @Size(max = 400) byte[] garbage) {
    try {
      PckExtensions.parse(garbage);
    } catch (MalformedLayoutException expected) {
      assertThat(expected.field()).isNotBlank();
    }
    try {
      CertificateRevocationList.parse(garbage);
    } catch (MalformedLayoutException expected) {
      assertThat(expected.field()).isNotBlank();
    }
    try {
      PckCertChain.parsePem(garbage);
    } catch (MalformedLayoutException expected) {
      assertThat(expected.field()).isNotBlank();
    }
  }

  @Property(tries = 100)
  void anyTdReportWithTdxType_roundTrips(@ForAll @Size(min = 1024, max = 1024) byte[] raw) throws Exception {
    raw[0] = (byte) 0x81;
    assertThat(TdReport.parse(raw).toBytes()).isEqualTo(raw);
  }
}
