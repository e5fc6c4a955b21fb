package io.guestmem.vectors.fuzz;

import static io.guestmem.vectors.fuzz.FuzzContract.regionEquals;
import static io.guestmem.vectors.fuzz.FuzzContract.require;
import static io.guestmem.vectors.fuzz.FuzzContract.requireReasoned;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.guestmem.snp.abi.AttestationReport;
import io.guestmem.snp.abi.CertTable;
import io.guestmem.snp.abi.MalformedLayoutException;
import io.guestmem.snp.abi.SnpProduct;
import java.util.Arrays;

/**
 * Coverage-guided fuzzing of the SEV-SNP evidence parsers: the input is what a guest hands over,
 * an ATTESTATION_REPORT followed by the extended-report certificate table. Regression inputs:
 * {@code src/test/resources/io/guestmem/vectors/fuzz/SnpReportFuzzTestInputs/reportAndCertTable/};
 * long runs: {@code test-vectors/fuzz/run-campaign snp-report}.
 */
class SnpReportFuzzTest {

  /**
   * The first {@value AttestationReport#SIZE} bytes either parse as a report or are refused with
   * {@link MalformedLayoutException}, and so do the bytes after them as a certificate table. A
   * parsed report gives its input back, signs exactly its first 0x2A0 bytes, reads every field, and
   * re-reads for any product or refuses; a parsed table's entries lie inside the table buffer.
   */
  @FuzzTest(maxDuration = "0s")
  void reportAndCertTable(byte[] data) {
    report(data);
    if (data.length > AttestationReport.SIZE) {
      certTable(Arrays.copyOfRange(data, AttestationReport.SIZE, data.length));
    }
  }

  private static void report(byte[] data) {
    AttestationReport r;
    try {
      r = data.length >= AttestationReport.SIZE ? AttestationReport.parse(data, 0) : AttestationReport.parse(data);
    } catch (MalformedLayoutException refused) {
      requireReasoned(refused);
      return;
    }
    require(regionEquals(data, 0, r.toBytes()) && r.toBytes().length == AttestationReport.SIZE, "toBytes() is the input's report");
    require(Arrays.equals(r.signedBytes(), Arrays.copyOf(data, AttestationReport.SIGNED_LENGTH)), "signed bytes are [0, 0x2A0)");
    require(r.version() >= AttestationReport.MIN_VERSION && r.version() <= AttestationReport.MAX_VERSION, "known version");
    require(r.tcbLayout() != null && r.policy() != null && r.platformInfo() != null && r.keyInfo() != null, "flags decode");
    require(r.currentTcb() != null && r.reportedTcb() != null && r.committedTcb() != null && r.launchTcb() != null, "TCBs decode");
    require(r.currentVersion() != null && r.committedVersion() != null && r.signature() != null, "versions and signature decode");
    require(r.cpuid() != null && r.hwId() != null && r.launchMitigationVector() != null && r.toString() != null, "accessors answer");
    for (SnpProduct p : SnpProduct.values()) {
      try {
        AttestationReport again = r.withProduct(p);
        require(Arrays.equals(again.toBytes(), r.toBytes()), "re-reading for a product keeps the bytes");
        require(again.reportedTcb() != null, "TCB decodes with the product's layout");
      } catch (MalformedLayoutException refused) {
        requireReasoned(refused);
      }
    }
  }

  private static void certTable(byte[] table) {
    CertTable t;
    try {
      t = CertTable.parse(table);
    } catch (MalformedLayoutException refused) {
      requireReasoned(refused);
      return;
    }
    for (CertTable.Entry e : t.entries()) {
      require(e.offset() >= 0 && e.length() >= 0 && e.offset() + e.length() <= table.length, "entry lies inside the table buffer");
      require(e.certificate().length() == e.length()
          && regionEquals(table, (int) e.offset(), e.certificate().toByteArray()), "entry bytes are the buffer's");
      require(t.certificate(e.guid()).isPresent(), "entry found by its GUID");
    }
    require(t.toBytes() != null, "re-encodes");
  }
}
