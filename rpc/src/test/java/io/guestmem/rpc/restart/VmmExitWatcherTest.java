package io.guestmem.rpc.restart;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class VmmExitWatcherTest {
  @Test
  void aProcessIsKnownByItsStartTimeAndAMissingOneHasNone() throws Exception {
    int self = (int) ProcessHandle.current().pid();
    assertThat(VmmExitWatcher.startTime(self)).isPresent();
    Process p = new ProcessBuilder("true").start();
    long pid = p.pid();
    p.waitFor();
    // exited and reaped: no /proc entry (Linux hands out pids in increasing order, so not reused at once)
    assertThat(VmmExitWatcher.startTime((int) pid)).isEmpty();
    assertThat(VmmExitWatcher.startTime(Integer.MAX_VALUE)).isEmpty();
  }
}
