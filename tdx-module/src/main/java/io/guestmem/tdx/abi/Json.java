package io.guestmem.tdx.abi;

import java.math.BigDecimal;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict RFC 8259 JSON reader over UTF-8 bytes that remembers where every value starts and
 * ends, so a signed member's exact served bytes can be sliced out (Intel signs the raw bytes of
 * the {@code tcbInfo} / {@code enclaveIdentity} value; re-serialising would change them).
 * Duplicate member names, trailing content, invalid UTF-8 and nesting deeper than {@link
 * #MAX_DEPTH} are malformed.
 */
final class Json {
  static final int MAX_DEPTH = 32;

  /** A parsed value and its byte span {@code [start, end)} in the input. */
  sealed interface Value permits Obj, Arr, Str, Num, Bool, Null {
    int start();

    int end();
  }

  record Obj(Map<String, Value> members, int start, int end) implements Value {}

  record Arr(List<Value> items, int start, int end) implements Value {}

  record Str(String value, int start, int end) implements Value {}

  record Num(BigDecimal value, int start, int end) implements Value {}

  record Bool(boolean value, int start, int end) implements Value {}

  record Null(int start, int end) implements Value {}

  private final byte[] in;
  private final String field;
  private int pos;

  private Json(byte[] in, String field) {
    this.in = in;
    this.field = field;
  }

  static Value parse(byte[] in, String field) throws MalformedLayoutException {
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(in));
    } catch (CharacterCodingException e) {
      throw new MalformedLayoutException(field, 0, "not UTF-8", e);
    }
    Json p = new Json(in, field);
    p.ws();
    Value v = p.value(0);
    p.ws();
    if (p.pos != in.length) {
      throw p.error("trailing content after the JSON value");
    }
    return v;
  }

  private MalformedLayoutException error(String problem) {
    return new MalformedLayoutException(field, pos, problem);
  }

  private void ws() {
    while (pos < in.length && (in[pos] == ' ' || in[pos] == '\t' || in[pos] == '\n' || in[pos] == '\r')) {
      pos++;
    }
  }

  private Value value(int depth) throws MalformedLayoutException {
    if (depth > MAX_DEPTH) {
      throw error("nesting deeper than " + MAX_DEPTH);
    }
    if (pos >= in.length) {
      throw error("unexpected end of JSON");
    }
    int start = pos;
    switch (in[pos]) {
      case '{':
        return object(depth);
      case '[':
        return array(depth);
      case '"':
        return new Str(string(), start, pos);
      case 't':
        literal("true");
        return new Bool(true, start, pos);
      case 'f':
        literal("false");
        return new Bool(false, start, pos);
      case 'n':
        literal("null");
        return new Null(start, pos);
      default:
        return number();
    }
  }

  private void literal(String word) throws MalformedLayoutException {
    for (int i = 0; i < word.length(); i++) {
      if (pos >= in.length || in[pos] != word.charAt(i)) {
        throw error("invalid literal, expected " + word);
      }
      pos++;
    }
  }

  private Obj object(int depth) throws MalformedLayoutException {
    int start = pos++;
    Map<String, Value> members = new LinkedHashMap<>();
    ws();
    if (pos < in.length && in[pos] == '}') {
      pos++;
      return new Obj(members, start, pos);
    }
    while (true) {
      ws();
      if (pos >= in.length || in[pos] != '"') {
        throw error("expected a member name");
      }
      int nameAt = pos;
      String name = string();
      ws();
      expect(':');
      ws();
      Value v = value(depth + 1);
      if (members.put(name, v) != null) {
        throw new MalformedLayoutException(field, nameAt, "duplicate member \"" + name + "\"");
      }
      ws();
      if (pos < in.length && in[pos] == ',') {
        pos++;
        continue;
      }
      expect('}');
      return new Obj(java.util.Collections.unmodifiableMap(members), start, pos);
    }
  }

  private Arr array(int depth) throws MalformedLayoutException {
    int start = pos++;
    List<Value> items = new ArrayList<>();
    ws();
    if (pos < in.length && in[pos] == ']') {
      pos++;
      return new Arr(List.of(), start, pos);
    }
    while (true) {
      ws();
      items.add(value(depth + 1));
      ws();
      if (pos < in.length && in[pos] == ',') {
        pos++;
        continue;
      }
      expect(']');
      return new Arr(List.copyOf(items), start, pos);
    }
  }

  private void expect(char c) throws MalformedLayoutException {
    if (pos >= in.length || in[pos] != c) {
      throw error("expected '" + c + "'");
    }
    pos++;
  }

  private String string() throws MalformedLayoutException {
    pos++;
    StringBuilder sb = new StringBuilder();
    int runStart = pos;
    while (true) {
      if (pos >= in.length) {
        throw error("unterminated string");
      }
      int c = in[pos] & 0xff;
      if (c == '"') {
        sb.append(new String(in, runStart, pos - runStart, StandardCharsets.UTF_8));
        pos++;
        return sb.toString();
      }
      if (c < 0x20) {
        throw error("control character in string");
      }
      if (c == '\\') {
        sb.append(new String(in, runStart, pos - runStart, StandardCharsets.UTF_8));
        pos++;
        if (pos >= in.length) {
          throw error("unterminated escape");
        }
        char e = (char) in[pos++];
        switch (e) {
          case '"', '\\', '/' -> sb.append(e);
          case 'b' -> sb.append('\b');
          case 'f' -> sb.append('\f');
          case 'n' -> sb.append('\n');
          case 'r' -> sb.append('\r');
          case 't' -> sb.append('\t');
          case 'u' -> {
            if (pos + 4 > in.length) {
              throw error("truncated \\u escape");
            }
            int cp = 0;
            for (int i = 0; i < 4; i++) {
              int d = Character.digit(in[pos + i], 16);
              if (d < 0) {
                throw error("bad \\u escape");
              }
              cp = cp << 4 | d;
            }
            pos += 4;
            sb.append((char) cp);
          }
          default -> throw error("bad escape \\" + e);
        }
        runStart = pos;
        continue;
      }
      pos++;
    }
  }

  private Num number() throws MalformedLayoutException {
    int start = pos;
    if (pos < in.length && in[pos] == '-') {
      pos++;
    }
    if (pos >= in.length || !digit(in[pos])) {
      throw error("unexpected character");
    }
    if (in[pos] == '0') {
      pos++;
    } else {
      while (pos < in.length && digit(in[pos])) {
        pos++;
      }
    }
    if (pos < in.length && in[pos] == '.') {
      pos++;
      int d = pos;
      while (pos < in.length && digit(in[pos])) {
        pos++;
      }
      if (pos == d) {
        throw error("digit expected after '.'");
      }
    }
    if (pos < in.length && (in[pos] == 'e' || in[pos] == 'E')) {
      pos++;
      if (pos < in.length && (in[pos] == '+' || in[pos] == '-')) {
        pos++;
      }
      int d = pos;
      while (pos < in.length && digit(in[pos])) {
        pos++;
      }
      if (pos == d) {
        throw error("digit expected in exponent");
      }
    }
    if (pos - start > 40) {
      throw new MalformedLayoutException(field, start, "number too long");
    }
    String text = new String(in, start, pos - start, StandardCharsets.US_ASCII);
    try {
      return new Num(new BigDecimal(text), start, pos);
    } catch (NumberFormatException e) {
      // well-formed JSON, but the exponent does not fit BigDecimal's int scale (e.g. 1e9999999999)
      throw new MalformedLayoutException(field, start, "number " + text + " is out of range", e);
    }
  }

  private static boolean digit(byte b) {
    return b >= '0' && b <= '9';
  }
}
