package io.guestmem.tdx.abi;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Typed, checked access to members of a {@link Json.Obj}; errors name the JSON path and offset. */
final class JsonFields {
  private final Json.Obj obj;
  private final String path;

  JsonFields(Json.Value v, String path) throws MalformedLayoutException {
    if (!(v instanceof Json.Obj o)) {
      throw new MalformedLayoutException(path, v.start(), "expected a JSON object");
    }
    this.obj = o;
    this.path = path;
  }

  Map<String, Json.Value> members() {
    return obj.members();
  }

  boolean has(String name) {
    return obj.members().containsKey(name);
  }

  Json.Value get(String name) throws MalformedLayoutException {
    Json.Value v = obj.members().get(name);
    if (v == null) {
      throw new MalformedLayoutException(path + "." + name, obj.start(), "missing member");
    }
    return v;
  }

  JsonFields object(String name) throws MalformedLayoutException {
    return new JsonFields(get(name), path + "." + name);
  }

  String string(String name) throws MalformedLayoutException {
    Json.Value v = get(name);
    if (!(v instanceof Json.Str s)) {
      throw new MalformedLayoutException(path + "." + name, v.start(), "expected a string");
    }
    return s.value();
  }

  Optional<String> optionalString(String name) throws MalformedLayoutException {
    return has(name) ? Optional.of(string(name)) : Optional.empty();
  }

  long integer(String name, long max) throws MalformedLayoutException {
    Json.Value v = get(name);
    if (!(v instanceof Json.Num n)) {
      throw new MalformedLayoutException(path + "." + name, v.start(), "expected a number");
    }
    try {
      long x = n.value().longValueExact();
      if (x < 0 || x > max) {
        throw new MalformedLayoutException(path + "." + name, v.start(), "value " + x + " outside 0.." + max);
      }
      return x;
    } catch (ArithmeticException e) {
      throw new MalformedLayoutException(path + "." + name, v.start(), "expected an integer", e);
    }
  }

  Bytes hex(String name, int size) throws MalformedLayoutException {
    String s = string(name);
    Json.Value v = get(name);
    if (s.length() != 2 * size) {
      throw new MalformedLayoutException(path + "." + name, v.start(), "expected " + size + " hex bytes, got \"" + abbreviate(s) + "\"");
    }
    try {
      return Bytes.of(HexFormat.of().parseHex(s));
    } catch (IllegalArgumentException e) {
      throw new MalformedLayoutException(path + "." + name, v.start(), "not hex", e);
    }
  }

  Instant instant(String name) throws MalformedLayoutException {
    String s = string(name);
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      throw new MalformedLayoutException(path + "." + name, get(name).start(), "not an ISO-8601 UTC time", e);
    }
  }

  List<JsonFields> objects(String name) throws MalformedLayoutException {
    Json.Value v = get(name);
    if (!(v instanceof Json.Arr a)) {
      throw new MalformedLayoutException(path + "." + name, v.start(), "expected an array");
    }
    List<JsonFields> out = new ArrayList<>();
    for (int i = 0; i < a.items().size(); i++) {
      out.add(new JsonFields(a.items().get(i), path + "." + name + "[" + i + "]"));
    }
    return out;
  }

  List<String> strings(String name) throws MalformedLayoutException {
    Json.Value v = get(name);
    if (!(v instanceof Json.Arr a)) {
      throw new MalformedLayoutException(path + "." + name, v.start(), "expected an array");
    }
    List<String> out = new ArrayList<>();
    for (Json.Value item : a.items()) {
      if (!(item instanceof Json.Str s)) {
        throw new MalformedLayoutException(path + "." + name, item.start(), "expected strings");
      }
      out.add(s.value());
    }
    return List.copyOf(out);
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "…" : s;
  }
}
