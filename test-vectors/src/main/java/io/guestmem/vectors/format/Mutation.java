package io.guestmem.vectors.format;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One labelled change applied to the evidence bytes before verification. Operations:
 *
 * <ul>
 *   <li>{@code xor}, {@code set}, {@code add}: one byte at {@code offset} with {@code value} (0–255);
 *   <li>{@code fill}: {@code length} bytes from {@code offset} set to {@code value};
 *   <li>{@code truncate}: keep the first {@code offset} bytes;
 *   <li>{@code append}: append the bytes {@code hex}.
 * </ul>
 *
 * Applying a mutation that does not fit the evidence (offset beyond its end) is an error of the
 * vector, reported by the runner as a failed case, never silently ignored.
 */
public record Mutation(Op op, int offset, int value, int length, String hex) {
  /** The mutation operations. */
  public enum Op {
    XOR, SET, ADD, FILL, TRUNCATE, APPEND;

    public String jsonName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public Mutation {
    Objects.requireNonNull(op, "op");
    hex = hex == null ? "" : hex;
  }

  public static Mutation xor(int offset, int value) {
    return new Mutation(Op.XOR, offset, value, 0, "");
  }

  public static Mutation set(int offset, int value) {
    return new Mutation(Op.SET, offset, value, 0, "");
  }

  public static Mutation add(int offset, int value) {
    return new Mutation(Op.ADD, offset, value, 0, "");
  }

  public static Mutation fill(int offset, int length, int value) {
    return new Mutation(Op.FILL, offset, value, length, "");
  }

  public static Mutation truncate(int newLength) {
    return new Mutation(Op.TRUNCATE, newLength, 0, 0, "");
  }

  public static Mutation append(String hex) {
    return new Mutation(Op.APPEND, 0, 0, 0, hex);
  }

  /** The mutated copy of {@code in}. */
  public byte[] apply(byte[] in) {
    byte[] b = in.clone();
    switch (op) {
      case XOR, SET, ADD -> {
        if (offset >= b.length) {
          throw new IllegalArgumentException(op.jsonName() + " at offset " + offset + " is beyond the "
              + b.length + "-byte evidence");
        }
        b[offset] = (byte) switch (op) {
          case XOR -> b[offset] ^ value;
          case SET -> value;
          default -> b[offset] + value;
        };
        return b;
      }
      case FILL -> {
        if ((long) offset + length > b.length) {
          throw new IllegalArgumentException("fill [" + offset + ", +" + length + ") is beyond the "
              + b.length + "-byte evidence");
        }
        Arrays.fill(b, offset, offset + length, (byte) value);
        return b;
      }
      case TRUNCATE -> {
        if (offset > b.length) {
          throw new IllegalArgumentException("truncate to " + offset + " bytes, but the evidence has " + b.length);
        }
        return Arrays.copyOf(b, offset);
      }
      case APPEND -> {
        byte[] tail = HexFormat.of().parseHex(hex);
        byte[] out = Arrays.copyOf(b, b.length + tail.length);
        System.arraycopy(tail, 0, out, b.length, tail.length);
        return out;
      }
      default -> throw new AssertionError(op);
    }
  }

  @Override
  public String toString() {
    return switch (op) {
      case XOR, SET, ADD -> String.format("%s 0x%x at 0x%x", op.jsonName(), value, offset);
      case FILL -> String.format("fill 0x%x bytes at 0x%x with 0x%x", length, offset, value);
      case TRUNCATE -> "truncate to " + offset + " bytes";
      case APPEND -> "append " + hex.length() / 2 + " bytes";
    };
  }
}
