package io.guestmem.rpc.fdchannel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.guestmem.rpc.fdchannel.HandoffTokens.Op;
import io.guestmem.rpc.fdchannel.HandoffTokens.Refusal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class HandoffTokensTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-26T00:00:00Z"));
  private final HandoffTokens tokens = new HandoffTokens(clock, Duration.ofSeconds(60));

  private Refusal refusal(String token, Op op, String lease, int uid) {
    return catchThrowableOfType(HandoffTokens.RefusedException.class, () -> tokens.check(token, op, lease, uid)).refusal();
  }

  @Test
  void aTokenAllowsEachGrantedOperationOnceForItsLeaseAndUid() throws Exception {
    String t = tokens.issue("L1", 1000, EnumSet.of(Op.GET, Op.ATTACH));
    tokens.check(t, Op.GET, "L1", 1000);
    assertThat(tokens.consume(t, Op.GET)).isTrue();
    assertThat(refusal(t, Op.GET, "L1", 1000)).isEqualTo(Refusal.TOKEN_USED);
    tokens.check(t, Op.ATTACH, "L1", 1000);
    assertThat(tokens.consume(t, Op.ATTACH)).isTrue();
    assertThat(refusal(t, Op.ATTACH, "L1", 1000)).isEqualTo(Refusal.TOKEN_USED);
    assertThat(tokens.consume(t, Op.ATTACH)).isFalse();
  }

  @Test
  void refusalsNameTheReasonAndDoNotConsume() {
    String t = tokens.issue("L1", 1000, EnumSet.of(Op.GET));
    assertThat(refusal("nope", Op.GET, "L1", 1000)).isEqualTo(Refusal.TOKEN_UNKNOWN);
    assertThat(refusal(null, Op.GET, "L1", 1000)).isEqualTo(Refusal.TOKEN_UNKNOWN);
    assertThat(refusal(t, Op.GET, "L2", 1000)).isEqualTo(Refusal.TOKEN_WRONG_LEASE);
    assertThat(refusal(t, Op.GET, "L1", 65534)).isEqualTo(Refusal.TOKEN_WRONG_UID);
    assertThat(refusal(t, Op.ATTACH, "L1", 1000)).isEqualTo(Refusal.OP_NOT_ALLOWED);
    assertThatCode(() -> tokens.check(t, Op.GET, "L1", 1000)).doesNotThrowAnyException();
  }

  @Test
  void aConsumedOperationCanBeGivenBack_butNeverOneThatWasNotGranted() throws Exception {
    String t = tokens.issue("L1", 1000, EnumSet.of(Op.GET));
    assertThat(tokens.consume(t, Op.GET)).isTrue();
    tokens.restore(t, Op.GET);
    tokens.check(t, Op.GET, "L1", 1000);
    assertThat(tokens.consume(t, Op.GET)).isTrue();
    assertThat(refusal(t, Op.GET, "L1", 1000)).isEqualTo(Refusal.TOKEN_USED);
    tokens.restore(t, Op.ATTACH);
    assertThat(refusal(t, Op.ATTACH, "L1", 1000)).isEqualTo(Refusal.OP_NOT_ALLOWED);
    tokens.restore("nope", Op.GET);
    assertThat(refusal("nope", Op.GET, "L1", 1000)).isEqualTo(Refusal.TOKEN_UNKNOWN);
  }

  @Test
  void tokensExpire() {
    String t = tokens.issue("L1", 0, EnumSet.of(Op.GET));
    clock.now = clock.now.plusSeconds(60);
    assertThat(refusal(t, Op.GET, "L1", 0)).isEqualTo(Refusal.TOKEN_EXPIRED);
  }

  @Test
  void revokingALeaseForgetsItsTokens() {
    String t = tokens.issue("L1", 0, EnumSet.of(Op.GET));
    tokens.revokeLease("L1");
    assertThat(refusal(t, Op.GET, "L1", 0)).isEqualTo(Refusal.TOKEN_UNKNOWN);
  }

  @Test
  void tokensAreUnguessableAndDistinct() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String t = tokens.issue("L", 0, EnumSet.of(Op.GET));
      assertThat(t).hasSize(43).matches("[A-Za-z0-9_-]+");
      assertThat(seen.add(t)).isTrue();
    }
  }

  static final class MutableClock extends Clock {
    Instant now;

    MutableClock(Instant now) {
      this.now = now;
    }

    @Override public ZoneOffset getZone() { return ZoneOffset.UTC; }
    @Override public Clock withZone(java.time.ZoneId zone) { return this; }
    @Override public Instant instant() { return now; }
  }
}
