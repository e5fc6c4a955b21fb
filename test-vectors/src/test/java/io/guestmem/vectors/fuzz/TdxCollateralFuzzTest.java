package io.guestmem.vectors.fuzz;

import static io.guestmem.vectors.fuzz.FuzzContract.indexOf;
import static io.guestmem.vectors.fuzz.FuzzContract.require;
import static io.guestmem.vectors.fuzz.FuzzContract.requireReasoned;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.guestmem.tdx.abi.MalformedLayoutException;
import io.guestmem.tdx.abi.QeIdentity;
import io.guestmem.tdx.abi.SignedCollateral;
import io.guestmem.tdx.abi.TcbInfo;

/**
 * Coverage-guided fuzzing of the Intel PCS collateral parsers: the JSON reader and the TCB Info and
 * QE Identity responses ({@code {"tcbInfo":{…},"signature":"…"}}, {@code {"enclaveIdentity":…}})
 * built on it. Regression inputs:
 * {@code src/test/resources/io/guestmem/vectors/fuzz/TdxCollateralFuzzTestInputs/collateralJson/};
 * long runs: {@code test-vectors/fuzz/run-campaign tdx-collateral}.
 */
class TdxCollateralFuzzTest {

  /**
   * Any bytes either parse as a TCB Info response (and as a QE Identity response) or are refused
   * with {@link MalformedLayoutException}. A parsed response's signed body is a span of the input
   * as served (never a re-serialisation), its signature is 64 bytes, and its body serialises.
   */
  @FuzzTest(maxDuration = "0s")
  void collateralJson(byte[] data) {
    try {
      SignedCollateral<TcbInfo> t = TcbInfo.parseResponse(data);
      requireSigned(data, t);
      require(t.body().toJson().length > 0 && t.body().tcbLevels() != null, "TCB Info serialises");
    } catch (MalformedLayoutException refused) {
      requireReasoned(refused);
    }
    try {
      SignedCollateral<QeIdentity> q = QeIdentity.parseResponse(data);
      requireSigned(data, q);
      require(q.body().toJson().length > 0 && q.body().miscselectValue() == q.body().miscselectValue(), "QE Identity serialises");
    } catch (MalformedLayoutException refused) {
      requireReasoned(refused);
    }
  }

  private static void requireSigned(byte[] data, SignedCollateral<?> c) {
    require(c.signature().length() == 64, "signature is r||s, 64 bytes");
    byte[] body = c.signedBody().toByteArray();
    require(body.length > 0 && body[0] == '{' && body[body.length - 1] == '}', "signed body is a JSON object's text");
    require(indexOf(data, body) >= 0, "signed body is a span of the input");
  }
}
