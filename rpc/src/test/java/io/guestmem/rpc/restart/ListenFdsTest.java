package io.guestmem.rpc.restart;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ListenFdsTest {
  @Test
  void fdsFromThreeOnAreNamedByListenFdnamesWhenListenPidIsThisProcess() {
    ListenFds f = ListenFds.from(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "3", "LISTEN_FDNAMES", "a.private:a.shared:"), 42);
    assertThat(f.fds()).containsExactly(new ListenFds.Named(3, "a.private"), new ListenFds.Named(4, "a.shared"),
        new ListenFds.Named(5, "unknown"));
  }

  @Test
  void variablesMeantForAnotherProcessOrOutOfRangeGiveNothing() {
    assertThat(ListenFds.from(Map.of("LISTEN_PID", "41", "LISTEN_FDS", "2"), 42).fds()).isEmpty();
    assertThat(ListenFds.from(Map.of("LISTEN_FDS", "2"), 42).fds()).isEmpty();
    assertThat(ListenFds.from(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "-1"), 42).fds()).isEmpty();
    assertThat(ListenFds.from(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "99999999"), 42).fds()).isEmpty();
    assertThat(ListenFds.from(Map.of("LISTEN_PID", "42", "LISTEN_FDS", "two"), 42).fds()).isEmpty();
  }
}
