package io.guestmem.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte sizes as people write them: {@code 4096}, {@code 4KiB}, {@code 2MiB}, {@code 1GiB}, {@code 1TiB}, hex {@code 0x1000}. */
final class Sizes {
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(|B|KiB|MiB|GiB|TiB|K|M|G|T)", Pattern.CASE_INSENSITIVE);

  private Sizes() {}

  static long parse(String text) {
    String t = text.trim();
    if (t.toLowerCase(Locale.ROOT).startsWith("0x")) {
      try {
        return Long.parseUnsignedLong(t.substring(2), 16);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a size: " + text);
      }
    }
    Matcher m = SIZE.matcher(t);
    if (!m.matches()) {
      throw new IllegalArgumentException("not a size: " + text + " (use bytes, or a number with KiB, MiB, GiB or TiB)");
    }
    int shift;
    switch (m.group(2).toUpperCase(Locale.ROOT)) {
      case "": case "B": shift = 0; break;
      case "K": case "KIB": shift = 10; break;
      case "M": case "MIB": shift = 20; break;
      case "G": case "GIB": shift = 30; break;
      default: shift = 40; break;
    }
    long n;
    try {
      n = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("size too large: " + text);
    }
    if (shift > 0 && n > (Long.MAX_VALUE >> shift)) {
      throw new IllegalArgumentException("size too large: " + text);
    }
    return n << shift;
  }

  /** A converter for picocli options. */
  static final class Converter implements picocli.CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      return parse(value);
    }
  }
}
