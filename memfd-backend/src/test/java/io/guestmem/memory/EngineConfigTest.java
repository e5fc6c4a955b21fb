package io.guestmem.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EngineConfigTest {
  @TempDir Path dir;

  @Test
  void auto_picksTheBackendTheHostProbeNames() throws Exception {
    String expected = HostProbe.probe().defaultBackend();
    try (MemoryEngine e = MemoryEngine.open(EngineConfig.auto(dir))) {
      assertThat(e.backendName()).isEqualTo(expected);
      assertThat(e.kernelEnforced()).isEqualTo(expected.equals("kvm"));
    }
  }

  @Test
  void unknownBackendNames_andBadChunks_areRefusedAtConfiguration() {
    assertThatThrownBy(() -> EngineConfig.of(dir, "xen")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EngineConfig.emulated(dir).withAllocationChunk(1000)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theEmulatedBackend_saysSoInEveryReport() throws Exception {
    try (MemoryEngine e = MemoryEngine.open(EngineConfig.emulated(dir))) {
      assertThat(e.guarantee()).startsWith("none");
      Lease l = e.openLease(LeaseRequest.owned(4096, "none"));
      assertThat(l.info().backend()).isEqualTo("emulated");
      assertThat(l.privateFd()).isEmpty();
      assertThat(l.sharedFd()).isEmpty();
      AuditReport a = e.audit((int) ProcessHandle.current().pid());
      assertThat(a.backend()).isEqualTo("emulated");
      assertThat(a.notes()).anyMatch(n -> n.contains("emulated backend"));
    }
  }

  @Test
  void powerLossDurability_recordsTheSameStates() throws Exception {
    String id;
    try (MemoryEngine e = MemoryEngine.open(EngineConfig.emulated(dir).withDurability(Durability.POWER_LOSS))) {
      Lease l = e.openLease(LeaseRequest.owned(8 * 4096, "none"));
      id = l.id();
      l.convert(java.util.List.of(new ByteRange(4096, 4096)), PageState.SHARED);
    }
    try (MemoryEngine e = MemoryEngine.open(EngineConfig.emulated(dir))) {
      assertThat(e.info(id).ranges()).extracting(StateRange::state)
          .containsExactly(PageState.PRIVATE, PageState.SHARED, PageState.PRIVATE);
    }
  }
}
