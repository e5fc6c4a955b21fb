package io.guestmem.bench;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@link VerifyBench}'s benchmarks measured per CPU-second of the whole JVM process (every thread:
 * the benchmark's, the JIT compilers', the garbage collector's), the kind of divisor
 * {@code openssl speed} uses by default (its process's user CPU time; {@code -elapsed} switches it
 * to wall time). On a loaded machine JMH's wall-clock throughput and OpenSSL's CPU-time figures
 * are not comparable; these are. Each benchmark is warmed up for {@code warmup} seconds, then measured in
 * {@code rounds} rounds of about {@code seconds} CPU-seconds; every round's ops per CPU-second is
 * printed, and the minimum, median and maximum.
 *
 * <p>Run: {@code java -cp benchmarks/target/benchmarks.jar -Dguestmem.vectors.dir=../shared/vectors
 * io.guestmem.bench.VerifyCpuTime [warmup seconds] [rounds] [seconds per round]}.
 */
public final class VerifyCpuTime {
  private VerifyCpuTime() {}

  public static void main(String[] args) throws Exception {
    double warmup = args.length > 0 ? Double.parseDouble(args[0]) : 8;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
    double seconds = args.length > 2 ? Double.parseDouble(args[2]) : 2;
    VerifyBench b = new VerifyBench();
    b.setup();
    Map<String, Callable<Object>> benchmarks = new LinkedHashMap<>();
    benchmarks.put("bareP256", b::bareP256);
    benchmarks.put("fastP256", b::fastP256);
    benchmarks.put("warmTdx", b::warmTdx);
    benchmarks.put("coldTdx", b::coldTdx);
    benchmarks.put("bareP384", b::bareP384);
    benchmarks.put("fastP384", b::fastP384);
    benchmarks.put("warmSnp", b::warmSnp);
    benchmarks.put("coldSnp", b::coldSnp);
    com.sun.management.OperatingSystemMXBean mx =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    for (Map.Entry<String, Callable<Object>> e : benchmarks.entrySet()) {
      run(mx, e.getValue(), warmup);
      double[] rates = new double[rounds];
      StringBuilder line = new StringBuilder(e.getKey()).append(" ops/cpu-s:");
      for (int r = 0; r < rounds; r++) {
        rates[r] = run(mx, e.getValue(), seconds);
        line.append(String.format(" %.0f", rates[r]));
      }
      java.util.Arrays.sort(rates);
      System.out.println(line.append(String.format("  [min %.0f, median %.0f, max %.0f]", rates[0],
          rates[rounds / 2], rates[rounds - 1])));
    }
  }

  /** Runs {@code op} for about {@code seconds} of process CPU time; returns ops per CPU-second. */
  private static double run(com.sun.management.OperatingSystemMXBean mx, Callable<Object> op, double seconds)
      throws Exception {
    long budget = (long) (seconds * 1e9);
    long start = mx.getProcessCpuTime();
    long n = 0;
    Object sink = null;
    long used;
    do {
      for (int i = 0; i < 16; i++) {
        sink = op.call();
      }
      n += 16;
      used = mx.getProcessCpuTime() - start;
    } while (used < budget);
    if (sink == null) {
      throw new IllegalStateException("benchmark returned nothing");
    }
    return n / (used / 1e9);
  }
}
