package io.guestmem.tdx.emu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random sequences of host and guest calls: a call that returns an error status never changes
 * anything observable (TD state, Secure-EPT, measurements, the lease), and nothing ever throws.
 */
class EmulatedTdPropertiesTest {
  record Op(int kind, long page, boolean shared, int pages) {}

  @Provide
  Arbitrary<List<Op>> ops() {
    Arbitrary<Op> op =
        Combinators.combine(Arbitraries.integers().between(0, 10), Arbitraries.longs().between(0, 40), Arbitraries.of(true, false),
                Arbitraries.integers().between(0, 12))
            .as(Op::new);
    return op.list().ofMaxSize(60);
  }

  private static String snapshot(EmulatedTd td, RecordingMemory m) throws Exception {
    StringBuilder sb = new StringBuilder(td.state().toString()).append(td.septRuns()).append(td.mrtd());
    for (int i = 0; i < 4; i++) {
      sb.append(td.rtmr(i));
    }
    for (long off = 0; off < m.size(); off += 4096) {
      sb.append(m.stateAt(off).ordinal());
    }
    return sb.toString();
  }

  @Property(tries = 150)
  void failedCallsChangeNothing(@ForAll("ops") List<Op> ops) throws Exception {
    Seed seed = new Seed(3);
    EmulatedTdxPlatform platform = new EmulatedTdxPlatform(seed, PlatformConfig.defaults(seed), 3 * 4096);
    RecordingMemory memory = new RecordingMemory(32 * 4096);
    EmulatedTd td = platform.createTd(memory);
    long shared = 1L << 47;
    for (Op op : ops) {
      long gpa = op.page() * 4096 | (op.shared() ? shared : 0);
      String before = snapshot(td, memory);
      TdxStatus status =
          switch (op.kind()) {
            case 0 -> td.init(TdParams.defaults());
            case 1 -> td.memPageAdd(gpa, new byte[4096]);
            case 2 -> td.mrExtend(gpa + 256L * op.pages());
            case 3 -> td.mrFinalize();
            case 4 -> td.memPageAug(gpa);
            case 5 -> td.memPageAccept(gpa);
            case 6 -> td.memRangeBlock(gpa);
            case 7 -> td.memPageRemove(gpa);
            case 8 -> td.rtmrExtend(op.pages() % 5, new byte[48]);
            case 9 -> td.mapGpa(gpa, op.pages() * 4096L).status();
            default -> td.guestAccess(gpa);
          };
      boolean mutatedAllowed = status.isSuccess() || status.equals(TdxStatus.VMCALL_RETRY);
      if (!mutatedAllowed || op.kind() == 10) {
        assertThat(snapshot(td, memory)).as("%s -> %s", op, status).isEqualTo(before);
      }
    }
  }
}
