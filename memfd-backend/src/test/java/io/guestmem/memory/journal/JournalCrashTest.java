package io.guestmem.memory.journal;

import static org.assertj.core.api.Assertions.assertThat;

import io.guestmem.memory.ChildJvm;
import io.guestmem.memory.Durability;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGKILL during appends to a small record log (it fills, is ingested and reset again and again,
 * and some records bypass it): the reopened journal holds exactly the acknowledged records, with
 * their seqs and contents, or one more (committed in the instant before its ACK was printed).
 */
class JournalCrashTest {
  @TempDir Path dir;

  @Test
  void afterSigkill_theJournalHoldsExactlyTheAcknowledgedRecords() throws Exception {
    // long form: -Dguestmem.journal.crash.rounds=N (and .seed=S for other kill points)
    Random random = new Random(Long.getLong("guestmem.journal.crash.seed", 20261126L));
    int rounds = Integer.getInteger("guestmem.journal.crash.rounds", 4);
    for (int round = 0; round < rounds; round++) {
      Path state = dir.resolve("crash" + round);
      long seed = random.nextLong();
      int killAfter = 20 + random.nextInt(round % 2 == 0 ? 200 : 4000);
      Process child = ChildJvm.start(JournalCrashChild.class, state.toString(), Long.toString(seed), Integer.toString(16 * 1024));
      List<Long> seqs = new ArrayList<>();
      try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          if (line.startsWith("ACK ")) {
            seqs.add(Long.parseLong(line.split(" ")[2]));
            if (seqs.size() == killAfter) {
              child.toHandle().destroyForcibly();
              break;
            }
          }
        }
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        while ((line = out.readLine()) != null) {
          if (line.startsWith("ACK ")) {
            seqs.add(Long.parseLong(line.split(" ")[2]));
          }
        }
      }
      assertThat(child.exitValue()).as("killed by SIGKILL").isEqualTo(128 + 9);
      int acked = seqs.size();
      Random expected = new Random(seed);
      try (Journal j = Journal.open(state, Durability.PROCESS_CRASH)) {
        List<JournalRecord> got = new ArrayList<>();
        j.replay(JournalCrashChild.LEASE, 1, got::add); // after LEASE_OPENED (seq 1)
        assertThat(got.size()).as("round %d, seed %d, %d acknowledged", round, seed, acked).isIn(acked, acked + 1);
        for (int i = 0; i < got.size(); i++) {
          JournalRecord g = got.get(i);
          JournalRecord e = JournalCrashChild.next(expected);
          if (i < acked) {
            assertThat(g.seq()).as("record %d", i + 1).isEqualTo(seqs.get(i));
          }
          assertThat(List.of(g.kind(), String.valueOf(g.to()), g.ranges())).as("record %d", i + 1)
              .isEqualTo(List.of(e.kind(), String.valueOf(e.to()), e.ranges()));
        }
      }
    }
  }
}
