package io.guestmem.tdx.abi;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.function.Consumer;

/** Compact JSON in member order, the way PCS serves collateral (no whitespace). */
final class JsonWriter {
  private final StringBuilder sb = new StringBuilder();
  private boolean first = true;

  JsonWriter begin() {
    sb.append('{');
    first = true;
    return this;
  }

  JsonWriter end() {
    sb.append('}');
    first = false;
    return this;
  }

  private JsonWriter name(String name) {
    if (!first) {
      sb.append(',');
    }
    first = false;
    sb.append('"').append(name).append("\":");
    return this;
  }

  JsonWriter str(String name, String value) {
    name(name);
    quote(value);
    return this;
  }

  private void quote(String value) {
    sb.append('"');
    for (char c : value.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    sb.append('"');
  }

  JsonWriter hex(String name, Bytes value) {
    return str(name, value.hex().toUpperCase(java.util.Locale.ROOT));
  }

  JsonWriter num(String name, long value) {
    name(name).sb.append(value);
    return this;
  }

  JsonWriter time(String name, Instant t) {
    return str(name, t.truncatedTo(ChronoUnit.SECONDS).toString());
  }

  JsonWriter obj(String name, Consumer<JsonWriter> body) {
    name(name);
    begin();
    body.accept(this);
    return end();
  }

  <T> JsonWriter arr(String name, List<T> items, java.util.function.BiConsumer<JsonWriter, T> item) {
    name(name).sb.append('[');
    for (int i = 0; i < items.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      begin();
      item.accept(this, items.get(i));
      end();
    }
    sb.append(']');
    first = false;
    return this;
  }

  JsonWriter strings(String name, List<String> items) {
    name(name).sb.append('[');
    for (int i = 0; i < items.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      quote(items.get(i));
    }
    sb.append(']');
    return this;
  }

  byte[] toBytes() {
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }
}
