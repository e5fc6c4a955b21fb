package io.guestmem.tdx.abi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * JSON numbers in PCS collateral: any number the grammar allows either becomes a value or is
 * refused with {@link MalformedLayoutException} naming where it starts.
 */
class JsonNumbersTest {

  private static MalformedLayoutException refusal(String json) {
    byte[] b = json.getBytes(StandardCharsets.US_ASCII);
    return catchThrowableOfType(MalformedLayoutException.class, () -> TcbInfo.parseResponse(b));
  }

  /** Found by the Jazzer harness TdxCollateralFuzzTest: BigDecimal's NumberFormatException escaped. */
  @Test
  void anExponentBeyondBigDecimalsScale_isRefusedAtTheNumber() {
    MalformedLayoutException e = refusal("888888888888888888888888e8888882888A8888888888888888888888{8{");
    assertThat(e).isNotNull();
    assertThat(e.offset()).isZero();
    assertThat(e.getMessage()).contains("out of range");

    MalformedLayoutException inside = refusal("{\"tcbInfo\":{\"version\":1e9999999999},\"signature\":\"00\"}");
    assertThat(inside).isNotNull();
    assertThat(inside.offset()).isEqualTo(22);
    assertThat(inside.getMessage()).contains("1e9999999999 is out of range");
  }

  @Test
  void hugeButRepresentableExponents_areValuesAndThenNotIntegers() {
    MalformedLayoutException e = refusal("{\"tcbInfo\":{\"version\":1e999999999},\"signature\":\"00\"}");
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).doesNotContain("out of range");
  }
}
