package io.guestmem.tdx.verify;

import com.fasterxml.jackson.databind.JsonNode;
import io.guestmem.attestation.policy.PolicyException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The compiled {@code "tdx"} section of an appraisal policy. Every rule is optional; an absent
 * rule is not checked. JSON keys (hex is lowercase or uppercase, without 0x):
 *
 * <pre>
 * "mrTd":            ["hex48", …]        any one must equal MRTD
 * "mrSeam":          ["hex48", …]        any one must equal MRSEAM
 * "rtmr0" … "rtmr3": "hex48"
 * "mrConfigId", "mrOwner", "mrOwnerConfig": "hex48"
 * "reportData":      "hex64"             exact REPORTDATA (nonces use the generic nonceBinding)
 * "tdAttributes":    {"value": "hex8", "mask": "hex8"}   (TD_ATTRIBUTES &amp; mask) == value, bytes as in the quote
 * "xfam":            {"value": "hex8", "mask": "hex8"}
 * "allowDebug":      false               TD_ATTRIBUTES.DEBUG must be clear
 * "minimumTeeTcbSvn": "hex16"            every byte of TEE_TCB_SVN ≥ the given byte
 * "minimumQeSvn":    n                   QE report ISVSVN (the header bytes are zero in TDX quotes)
 * "minimumPceSvn":   n                   PCESVN of the PCK certificate
 * "qeVendorId":      "hex16"
 * "rejectNonZeroTrailingBytes": true     bytes after the signature data must be zero padding
 * </pre>
 */
public record TdxPolicy(
    List<byte[]> mrTd,
    List<byte[]> mrSeam,
    List<Optional<byte[]>> rtmrs,
    Optional<byte[]> mrConfigId,
    Optional<byte[]> mrOwner,
    Optional<byte[]> mrOwnerConfig,
    Optional<byte[]> reportData,
    Optional<byte[][]> tdAttributes,
    Optional<byte[][]> xfam,
    Optional<Boolean> allowDebug,
    Optional<byte[]> minimumTeeTcbSvn,
    OptionalInt minimumQeSvn,
    OptionalInt minimumPceSvn,
    Optional<byte[]> qeVendorId,
    boolean rejectNonZeroTrailingBytes) {

  private static final Set<String> KEYS = Set.of("mrTd", "mrSeam", "rtmr0", "rtmr1", "rtmr2", "rtmr3", "mrConfigId",
      "mrOwner", "mrOwnerConfig", "reportData", "tdAttributes", "xfam", "allowDebug", "minimumTeeTcbSvn",
      "minimumQeSvn", "minimumPceSvn", "qeVendorId", "rejectNonZeroTrailingBytes");

  public TdxPolicy {
    mrTd = List.copyOf(mrTd);
    mrSeam = List.copyOf(mrSeam);
    rtmrs = List.copyOf(rtmrs);
  }

  public static TdxPolicy compile(JsonNode s) throws PolicyException {
    for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYS.contains(k)) {
        throw new PolicyException("unknown key \"" + k + "\"");
      }
    }
    List<Optional<byte[]>> rtmrs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      rtmrs.add(hex(s, "rtmr" + i, 48));
    }
    Optional<Boolean> allowDebug = Optional.empty();
    if (s.has("allowDebug")) {
      if (!s.get("allowDebug").isBoolean()) {
        throw new PolicyException("allowDebug: expected true or false");
      }
      allowDebug = Optional.of(s.get("allowDebug").booleanValue());
    }
    boolean rejectTrailing = false;
    if (s.has("rejectNonZeroTrailingBytes")) {
      if (!s.get("rejectNonZeroTrailingBytes").isBoolean()) {
        throw new PolicyException("rejectNonZeroTrailingBytes: expected true or false");
      }
      rejectTrailing = s.get("rejectNonZeroTrailingBytes").booleanValue();
    }
    return new TdxPolicy(hexList(s, "mrTd", 48), hexList(s, "mrSeam", 48), rtmrs, hex(s, "mrConfigId", 48),
        hex(s, "mrOwner", 48), hex(s, "mrOwnerConfig", 48), hex(s, "reportData", 64), masked(s, "tdAttributes"),
        masked(s, "xfam"), allowDebug, hex(s, "minimumTeeTcbSvn", 16), svn(s, "minimumQeSvn"), svn(s, "minimumPceSvn"),
        hex(s, "qeVendorId", 16), rejectTrailing);
  }

  private static OptionalInt svn(JsonNode s, String key) throws PolicyException {
    if (!s.has(key)) {
      return OptionalInt.empty();
    }
    JsonNode n = s.get(key);
    if (!n.isIntegralNumber() || n.asLong() < 0 || n.asLong() > 65535) {
      throw new PolicyException(key + ": expected an integer 0..65535");
    }
    return OptionalInt.of(n.asInt());
  }

  private static Optional<byte[][]> masked(JsonNode s, String key) throws PolicyException {
    if (!s.has(key)) {
      return Optional.empty();
    }
    JsonNode n = s.get(key);
    if (!n.isObject() || !n.has("value") || !n.has("mask") || n.size() != 2) {
      throw new PolicyException(key + ": expected {\"value\": hex8, \"mask\": hex8}");
    }
    return Optional.of(new byte[][] {hexValue(n.get("value"), key + ".value", 8), hexValue(n.get("mask"), key + ".mask", 8)});
  }

  private static Optional<byte[]> hex(JsonNode s, String key, int len) throws PolicyException {
    return s.has(key) ? Optional.of(hexValue(s.get(key), key, len)) : Optional.empty();
  }

  private static byte[] hexValue(JsonNode n, String key, int len) throws PolicyException {
    if (!n.isTextual()) {
      throw new PolicyException(key + ": expected a hex string");
    }
    try {
      byte[] b = HexFormat.of().parseHex(n.textValue());
      if (b.length != len) {
        throw new PolicyException(key + ": expected " + len + " bytes of hex, got " + b.length);
      }
      return b;
    } catch (IllegalArgumentException e) {
      throw new PolicyException(key + ": not hex");
    }
  }

  private static List<byte[]> hexList(JsonNode s, String key, int len) throws PolicyException {
    if (!s.has(key)) {
      return List.of();
    }
    JsonNode n = s.get(key);
    if (!n.isArray() || n.isEmpty()) {
      throw new PolicyException(key + ": expected a non-empty array of hex strings");
    }
    List<byte[]> out = new ArrayList<>();
    for (JsonNode e : n) {
      out.add(hexValue(e, key, len));
    }
    return out;
  }
}
