package io.guestmem.vectors.fuzz;

import static io.guestmem.vectors.fuzz.FuzzContract.require;
import static io.guestmem.vectors.fuzz.FuzzContract.requireReasoned;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.guestmem.tdx.abi.MalformedLayoutException;
import io.guestmem.tdx.abi.PckExtensions;

/**
 * Coverage-guided fuzzing of the PCK certificate's SGX extension decoder (OID 1.2.840.113741.1.13.1,
 * the DER value inside the extension's OCTET STRING). Regression inputs:
 * {@code src/test/resources/io/guestmem/vectors/fuzz/PckExtensionsFuzzTestInputs/sgxExtensionDecoder/};
 * long runs: {@code test-vectors/fuzz/run-campaign pck-extensions}.
 */
class PckExtensionsFuzzTest {

  /**
   * Any bytes either decode as SGX extensions or are refused with {@link MalformedLayoutException};
   * decoded extensions encode back to DER that decodes to the same value.
   */
  @FuzzTest(maxDuration = "0s")
  void sgxExtensionDecoder(byte[] der) {
    PckExtensions x;
    try {
      x = PckExtensions.parse(der);
    } catch (MalformedLayoutException refused) {
      requireReasoned(refused);
      return;
    }
    require(x.pceIdValue() >= 0 && x.pceIdValue() <= 0xFFFF, "PCE-ID is 16 bits");
    require(x.tcb().sgxTcbComponents().stream().allMatch(c -> c >= 0 && c <= 255), "TCB components are 0..255");
    require(x.tcb().pceSvn() >= 0 && x.tcb().pceSvn() <= 65535, "PCESVN is 0..65535");
    try {
      require(PckExtensions.parse(x.toDer()).equals(x), "toDer() decodes to the same value");
    } catch (MalformedLayoutException e) {
      throw new AssertionError("toDer() of a decoded value is refused: " + e.getMessage(), e);
    }
  }
}
