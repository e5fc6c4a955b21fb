package io.guestmem.rpc.soak;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The soak test's constant-memory latency histogram against exact percentiles. */
class LatenciesTest {
  @Test
  void bucketsContainTheirValues_andPercentilesAreWithinTwoPercent() {
    Random r = new Random(3);
    for (int i = 0; i < 100_000; i++) {
      long v = 1 + (long) Math.exp(r.nextDouble() * 40);
      int b = SoakTest.Latencies.bucket(v);
      assertThat(SoakTest.Latencies.upperBound(b)).as("value %d", v).isGreaterThanOrEqualTo(v).isLessThanOrEqualTo((long) (v * 1.032) + 1);
      if (b > 0) {
        assertThat(SoakTest.Latencies.upperBound(b - 1)).as("value %d", v).isLessThan(v);
      }
    }
    SoakTest.Latencies l = new SoakTest.Latencies();
    long[] exact = new long[50_000];
    for (int i = 0; i < exact.length; i++) {
      exact[i] = 1_000 + (long) (r.nextGaussian() * 200 + 2_000) * (r.nextInt(100) == 0 ? 50 : 1);
      exact[i] = Math.max(1, exact[i]);
      l.record(exact[i]);
    }
    Arrays.sort(exact);
    for (double q : new double[] {.5, .99, .999}) {
      long e = exact[(int) Math.ceil(q * exact.length) - 1];
      assertThat(l.percentile(q)).as("p%s", q).isBetween(e, (long) (e * 1.032) + 1);
    }
    assertThat(l.max()).isEqualTo(exact[exact.length - 1]);
    assertThat(l.count()).isEqualTo(exact.length);
  }
}
