package io.guestmem.vectors.fuzz;

/**
 * The contract every Jazzer harness in this package checks: a parser given arbitrary bytes either
 * returns a value or throws its documented checked exception with a message; anything else that
 * escapes (an unchecked exception, an error, a value whose accessors throw or whose signed spans lie
 * outside the input) fails the harness and is a finding. Plain checks, not AssertJ, so a campaign
 * spends its time in the parser.
 */
final class FuzzContract {
  private FuzzContract() {}

  /** Fails the harness when {@code condition} does not hold. */
  static void require(boolean condition, String what) {
    if (!condition) {
      throw new AssertionError("contract broken: " + what);
    }
  }

  /** A documented refusal must say what is wrong. */
  static void requireReasoned(Exception refusal) {
    String m = refusal.getMessage();
    require(m != null && !m.isBlank(), refusal.getClass().getSimpleName() + " without a message");
  }

  /** Whether {@code part} occurs in {@code whole} at {@code at}. */
  static boolean regionEquals(byte[] whole, int at, byte[] part) {
    if (at < 0 || at > whole.length - part.length) {
      return false;
    }
    return java.util.Arrays.equals(whole, at, at + part.length, part, 0, part.length);
  }

  /** A parsed PCK chain has a leaf and keeps its PEM. */
  static void requirePemInside(io.guestmem.tdx.abi.PckCertChain chain) {
    require(!chain.certificates().isEmpty() && chain.leaf() != null, "a parsed PCK chain has a leaf");
    require(chain.pem().length() > 0, "a parsed PCK chain keeps its PEM");
  }

  /** The first index of {@code part} in {@code whole}, or -1. */
  static int indexOf(byte[] whole, byte[] part) {
    outer:
    for (int i = 0; i <= whole.length - part.length; i++) {
      for (int j = 0; j < part.length; j++) {
        if (whole[i + j] != part[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
