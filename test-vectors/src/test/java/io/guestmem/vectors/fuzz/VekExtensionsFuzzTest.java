package io.guestmem.vectors.fuzz;

import static io.guestmem.vectors.fuzz.FuzzContract.require;
import static io.guestmem.vectors.fuzz.FuzzContract.requireReasoned;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.guestmem.snp.abi.MalformedLayoutException;
import io.guestmem.snp.abi.VekExtensions;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;

/**
 * Coverage-guided fuzzing of the VCEK/VLEK extension decoder: the input is a whole DER certificate,
 * as the KDS or an extended report's certificate table delivers it. Regression inputs:
 * {@code src/test/resources/io/guestmem/vectors/fuzz/VekExtensionsFuzzTestInputs/vekExtensionDecoder/};
 * long runs: {@code test-vectors/fuzz/run-campaign vek-extensions}.
 */
class VekExtensionsFuzzTest {

  /**
   * Any bytes either yield the AMD extensions or are refused with {@link MalformedLayoutException};
   * decoded extensions give their TCB, kind and product, and encode back to extensions that decode
   * to the same value.
   */
  @FuzzTest(maxDuration = "0s")
  void vekExtensionDecoder(byte[] certificateDer) {
    VekExtensions x;
    try {
      x = VekExtensions.fromCertificate(certificateDer);
    } catch (MalformedLayoutException refused) {
      requireReasoned(refused);
      return;
    }
    require(x.tcbVersion() != null && x.kind() != null && x.product() != null && x.tcbLayout() != null, "accessors answer");
    try {
      VekExtensions again = VekExtensions.fromExtensions(new Extensions(x.toX509Extensions().toArray(new Extension[0])));
      require(again.equals(x), "toX509Extensions() decodes to the same value");
    } catch (MalformedLayoutException e) {
      throw new AssertionError("toX509Extensions() of a decoded value is refused: " + e.getMessage(), e);
    }
  }
}
