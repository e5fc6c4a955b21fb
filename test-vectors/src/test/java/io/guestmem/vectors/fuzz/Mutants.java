package io.guestmem.vectors.fuzz;

import java.util.Arrays;
import java.util.Random;

/** The fuzzing mutator: a few random, structure-aware changes to a seed input. */
final class Mutants {
  private Mutants() {}

  /** A few random mutations of {@code seed}, chosen by {@code r}. */
  static byte[] mutate(byte[] seed, Random r) {
    return mutateWithin(seed, r, 0, Integer.MAX_VALUE);
  }

  /** A few random mutations of {@code seed}, each starting in {@code [from, to)} (clipped to the input). */
  static byte[] mutateWithin(byte[] seed, Random r, int from, int to) {
    byte[] b = seed.clone();
    int n = 1 + r.nextInt(4);
    for (int i = 0; i < n && b.length > from; i++) {
      int at = from + r.nextInt(Math.min(to, b.length) - from);
      switch (r.nextInt(6)) {
        case 0 -> b[at] ^= (byte) (1 << r.nextInt(8));
        case 1 -> b[at] = (byte) r.nextInt(256);
        case 2 -> { // a little-endian length or type field set to an extreme
          int[] extremes = {0, 1, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, b.length, b.length + 1};
          int v = extremes[r.nextInt(extremes.length)];
          for (int k = 0; k < 4 && at + k < b.length; k++) {
            b[at + k] = (byte) (v >>> (8 * k));
          }
        }
        case 3 -> b = Arrays.copyOf(b, at);
        case 4 -> { // insert random bytes
          byte[] ins = new byte[1 + r.nextInt(16)];
          r.nextBytes(ins);
          byte[] out = new byte[b.length + ins.length];
          System.arraycopy(b, 0, out, 0, at);
          System.arraycopy(ins, 0, out, at, ins.length);
          System.arraycopy(b, at, out, at + ins.length, b.length - at);
          b = out;
        }
        default -> { // splice: copy a block of the input over another place
          int src = r.nextInt(b.length);
          int len = Math.min(r.nextInt(64) + 1, Math.min(b.length - src, b.length - at));
          System.arraycopy(b.clone(), src, b, at, len);
        }
      }
    }
    return b;
  }

}
