package io.guestmem.tdx.emu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.guestmem.memory.ByteRange;
import io.guestmem.memory.MemoryException;
import io.guestmem.memory.PageState;
import io.guestmem.tdx.abi.Quote;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's entry point: the lifecycle it runs, what it converts, and the files it writes. */
class TdxEmulationRunTest {
  @TempDir Path out;

  @Test
  void run_drivesMapGpaThroughTheMemoryInThreeChunksEachWay_andWritesEveryFile() throws Exception {
    RecordingMemory memory = new RecordingMemory(16L << 20);
    TdxEmulation.Result r =
        TdxEmulation.run(memory, TdxEmulation.Options.defaults(out).withIssueTime(Instant.parse("2026-03-01T00:00:00Z")));
    assertThat(memory.conversions).hasSize(6);
    assertThat(memory.conversions.subList(0, 3)).allMatch(c -> c.to() == PageState.SHARED);
    assertThat(memory.conversions.subList(3, 6)).allMatch(c -> c.to() == PageState.PRIVATE);
    long covered = memory.conversions.subList(0, 3).stream().mapToLong(c -> c.ranges().get(0).length()).sum();
    assertThat(covered).isEqualTo(8L << 20);
    assertThat(memory.conversions.get(0).ranges().get(0).offset()).isEqualTo(8L << 20);
    assertThat(memory.stateAt(8L << 20)).isEqualTo(PageState.PRIVATE);

    assertThat(r.log()).anyMatch(l -> l.contains("TDG_VP_VMCALL_RETRY next=0x"));
    assertThat(r.log()).anyMatch(l -> l.contains("TDX_PAGE_ALREADY_ACCEPTED"));
    assertThat(r.log()).anyMatch(l -> l.startsWith("MRTD "));
    assertThat(r.log()).anyMatch(l -> l.contains("lease offset 0x800000: SHARED"));
    for (String name :
        List.of("quote.bin", "collateral/tcbinfo.json", "collateral/tcbinfo.issuer-chain.pem", "collateral/qeidentity.json",
            "collateral/qeidentity.issuer-chain.pem", "collateral/pckcrl.der", "collateral/pckcrl.issuer-chain.pem", "collateral/rootcrl.der",
            "roots/emulated-sgx-root-ca.pem", "roots/emulated-sgx-root-ca.der")) {
      assertThat(out.resolve(name)).isRegularFile();
    }
    Quote q = Quote.parse(Files.readAllBytes(out.resolve("quote.bin")));
    assertThat(q.version()).isEqualTo(4);
    assertThat(q.body().mrTd()).isEqualTo(r.evidence().tdReport().tdInfo().mrTd());
  }

  @Test
  void run_onMemoryThatRefusesConversions_failsWithTheLogSoFar() {
    RecordingMemory memory = new RecordingMemory(1L << 20);
    memory.refuseWith = MemoryException.Reason.QUOTA_EXCEEDED;
    assertThatThrownBy(() -> TdxEmulation.run(memory, TdxEmulation.Options.defaults(out)))
        .isInstanceOf(EmulationException.class)
        .hasMessageContaining("QUOTA_EXCEEDED")
        .satisfies(e -> assertThat(((EmulationException) e).log()).anyMatch(l -> l.contains("TDH.MR.FINALIZE -> TDX_SUCCESS")));
    assertThat(out.resolve("quote.bin")).doesNotExist();
  }

  @Test
  void run_onMemoryNotStartingPrivate_failsAtPageAdd() throws Exception {
    RecordingMemory memory = new RecordingMemory(1L << 20);
    memory.convert(List.of(new ByteRange(0, 4096)), PageState.SHARED);
    assertThatThrownBy(() -> TdxEmulation.run(memory, TdxEmulation.Options.defaults(out)))
        .isInstanceOf(EmulationException.class)
        .hasMessageContaining("TDH.MEM.PAGE.ADD gpa=0x0 returned TDX_OPERAND_INVALID");
  }

  @Test
  void reportDataFromHex_padsWithZeros_andRejectsMoreThan64Bytes() {
    assertThat(TdxEmulation.Options.reportDataFromHex("0102").hex()).isEqualTo("0102" + "00".repeat(62));
    assertThatThrownBy(() -> TdxEmulation.Options.reportDataFromHex("00".repeat(65))).isInstanceOf(IllegalArgumentException.class);
  }
}
