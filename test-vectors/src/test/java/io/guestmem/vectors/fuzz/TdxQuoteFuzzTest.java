package io.guestmem.vectors.fuzz;

import static io.guestmem.vectors.fuzz.FuzzContract.regionEquals;
import static io.guestmem.vectors.fuzz.FuzzContract.require;
import static io.guestmem.vectors.fuzz.FuzzContract.requireReasoned;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.MalformedLayoutException;
import io.guestmem.tdx.abi.Quote;
import io.guestmem.tdx.abi.SgxReportBody;
import java.util.Arrays;

/**
 * Coverage-guided fuzzing of the TDX quote parser and everything it parses on the way: header,
 * v5 body descriptor, TD report body, signature data, certification data (type 6 QE report
 * certification data, the inner type 5 PEM PCK chain and its certificates). Regression inputs:
 * {@code src/test/resources/io/guestmem/vectors/fuzz/TdxQuoteFuzzTestInputs/quoteParser/}; long
 * runs: {@code test-vectors/fuzz/run-campaign tdx-quote}.
 */
class TdxQuoteFuzzTest {

  /**
   * Any bytes either parse as a quote or are refused with {@link MalformedLayoutException}. A
   * parsed quote keeps exactly its input, its signed spans (header and body; the QE report) lie
   * inside the input at their offsets, and its parts answer. (Re-encoding is left to the tdx-module
   * round-trip tests: it costs more than the parse and would halve a campaign's executions.)
   */
  @FuzzTest(maxDuration = "0s")
  void quoteParser(byte[] data) {
    Quote q;
    try {
      q = Quote.parse(data);
    } catch (MalformedLayoutException refused) {
      requireReasoned(refused);
      require(refused.field() != null && !refused.field().isBlank(), "refusal names its field");
      return;
    }
    require(q.version() == 4 || q.version() == 5, "version 4 or 5, got " + q.version());
    require(q.raw().contentEquals(data), "raw() is the input");
    int signedEnd = q.sigDataLenOffset();
    byte[] signed = q.signedBytes().toByteArray();
    require(signed.length == signedEnd && regionEquals(data, 0, signed), "signed bytes are input[0, sig_data_len)");
    q.qeReportBytes().ifPresent(b -> {
      byte[] qe = b.toByteArray();
      require(qe.length == SgxReportBody.SIZE, "QE report is " + SgxReportBody.SIZE + " bytes");
      require(FuzzContract.indexOf(Arrays.copyOfRange(data, signedEnd, data.length), qe) >= 0,
          "QE report bytes lie inside the signature data");
    });
    require(q.qeReportCertificationData().isPresent() == q.qeReportBytes().isPresent(),
        "QE report bytes exist exactly for type-6 certification data");
    q.pckCertChain().ifPresent(FuzzContract::requirePemInside);
    Bytes trailing = q.trailingBytes();
    require(trailing.length() == q.trailingLength() && regionEquals(data, data.length - trailing.length(), trailing.toByteArray()),
        "trailing bytes are the input's tail");
    require(q.toString() != null && q.body() != null && q.header() != null, "accessors answer");
  }
}
