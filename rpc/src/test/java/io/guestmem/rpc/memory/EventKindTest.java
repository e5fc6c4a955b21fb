package io.guestmem.rpc.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.memory.MemoryEvent;
import io.guestmem.rpc.v1.LeaseEvent;
import org.junit.jupiter.api.Test;

class EventKindTest {
  @Test
  void everyEngineEventKindHasItsOwnWireKind() {
    for (MemoryEvent.Kind k : MemoryEvent.Kind.values()) {
      assertThat(GuestMemoryService.kind(k)).as(k.name()).isNotEqualTo(LeaseEvent.Kind.KIND_UNSPECIFIED);
      assertThat(GuestMemoryService.kind(k).name()).isEqualTo("KIND_" + k.name());
    }
  }
}
