package io.guestmem.snp.verify;

import com.fasterxml.jackson.databind.JsonNode;
import io.guestmem.attestation.policy.PolicyException;
import io.guestmem.snp.abi.GuestPolicy;
import io.guestmem.snp.abi.PlatformInfo;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The compiled {@code "snp"} section of an appraisal policy. Every rule is optional; an absent
 * rule is not checked (as go-sev-guest's {@code Policy}). JSON keys:
 *
 * <pre>
 * "measurements":          ["hex48", …]   any one must equal MEASUREMENT
 * "hostData":              "hex32"
 * "familyId", "imageId":   "hex16"
 * "idKeyDigests":          ["hex48", …]   ID_KEY_DIGEST must be one of them
 * "authorKeyDigests":      ["hex48", …]   AUTHOR_KEY_DIGEST must be one of them
 * "requireAuthorKey":      true           KEY_INFO.AUTHOR_KEY_EN must be set
 * "reportData":            "hex64"        exact REPORT_DATA (nonces use the generic nonceBinding)
 * "vmpl": 0 | "maxVmpl": 3
 * "minimumGuestSvn":       n
 * "guestPolicyForbidden":  ["DEBUG", "MIGRATE_MA", "SMT", "CXL_ALLOW", …]
 * "guestPolicyRequired":   ["SINGLE_SOCKET", "MEM_AES_256_XTS", "PAGE_SWAP_DISABLE", …]
 * "allowUnknownPolicyBits": false          default true: unknown bits are surfaced as a claim
 * "minimumAbi":            "1.51"         the guest policy's ABI_MAJOR.ABI_MINOR
 * "platformInfoForbidden": ["SMT_EN", …];  "platformInfoRequired": ["ALIAS_CHECK_COMPLETE", …]
 * "minimumReportedTcb" / "minimumCommittedTcb" / "minimumLaunchTcb" / "minimumCurrentTcb":
 *                          {"fmc":0,"bootLoader":2,"tee":0,"snp":5,"microcode":68} (component-wise)
 * "minimumCommittedVersion" / "minimumCurrentVersion": "1.55.35"   MAJOR.MINOR.BUILD
 * "minimumCurrentBuild":   n
 * "requiredLaunchMitigationVector" / "requiredCurrentMitigationVector": "0x…" every bit must be set (v5)
 * "signingKey":            "vcek" | "vlek"
 * "products":              ["Genoa", "Turin"]
 * "permitProvisionalFirmware": false     default true; false: CURRENT_TCB and the current firmware
 *                                        version (major.minor.build) must equal the committed ones
 * "chipId":                "hex64"        exact CHIP_ID (pins one machine)
 * "reportId", "reportIdMa": "hex32"       exact REPORT_ID / REPORT_ID_MA (pins one guest)
 * </pre>
 */
public record SnpPolicy(
    List<byte[]> measurements,
    Optional<byte[]> hostData,
    Optional<byte[]> familyId,
    Optional<byte[]> imageId,
    List<byte[]> idKeyDigests,
    List<byte[]> authorKeyDigests,
    boolean requireAuthorKey,
    Optional<byte[]> reportData,
    OptionalLong vmpl,
    OptionalLong maxVmpl,
    OptionalLong minimumGuestSvn,
    long guestPolicyForbidden,
    long guestPolicyRequired,
    boolean allowUnknownPolicyBits,
    Optional<int[]> minimumAbi,
    long platformInfoForbidden,
    long platformInfoRequired,
    Map<String, Map<String, Integer>> minimumTcbs,
    Map<String, int[]> minimumVersions,
    OptionalInt minimumCurrentBuild,
    OptionalLong requiredLaunchMitigationVector,
    OptionalLong requiredCurrentMitigationVector,
    Optional<String> signingKey,
    List<String> products,
    boolean permitProvisionalFirmware,
    Optional<byte[]> chipId,
    Optional<byte[]> reportId,
    Optional<byte[]> reportIdMa) {

  static final Map<String, Long> GUEST_POLICY_BITS = Map.of(
      "SMT", GuestPolicy.SMT, "MIGRATE_MA", GuestPolicy.MIGRATE_MA, "DEBUG", GuestPolicy.DEBUG,
      "SINGLE_SOCKET", GuestPolicy.SINGLE_SOCKET, "CXL_ALLOW", GuestPolicy.CXL_ALLOW,
      "MEM_AES_256_XTS", GuestPolicy.MEM_AES_256_XTS, "RAPL_DIS", GuestPolicy.RAPL_DIS,
      "CIPHERTEXT_HIDING_DRAM", GuestPolicy.CIPHERTEXT_HIDING_DRAM, "PAGE_SWAP_DISABLE", GuestPolicy.PAGE_SWAP_DISABLE);
  static final Map<String, Long> PLATFORM_INFO_BITS = Map.of(
      "SMT_EN", PlatformInfo.SMT_EN, "TSME_EN", PlatformInfo.TSME_EN, "ECC_EN", PlatformInfo.ECC_EN,
      "RAPL_DIS", PlatformInfo.RAPL_DIS, "CIPHERTEXT_HIDING_DRAM_EN", PlatformInfo.CIPHERTEXT_HIDING_DRAM_EN,
      "ALIAS_CHECK_COMPLETE", PlatformInfo.ALIAS_CHECK_COMPLETE, "TIO_EN", PlatformInfo.TIO_EN);
  static final List<String> TCB_KEYS = List.of("minimumReportedTcb", "minimumCommittedTcb", "minimumLaunchTcb",
      "minimumCurrentTcb");
  static final List<String> VERSION_KEYS = List.of("minimumCommittedVersion", "minimumCurrentVersion");
  private static final Set<String> TCB_PARTS = Set.of("fmc", "bootLoader", "tee", "snp", "microcode");
  private static final Set<String> KEYS = Set.of("measurements", "hostData", "familyId", "imageId", "idKeyDigests",
      "authorKeyDigests", "requireAuthorKey", "reportData", "vmpl", "maxVmpl", "minimumGuestSvn",
      "guestPolicyForbidden", "guestPolicyRequired", "allowUnknownPolicyBits", "minimumAbi", "platformInfoForbidden",
      "platformInfoRequired", "minimumReportedTcb", "minimumCommittedTcb", "minimumLaunchTcb", "minimumCurrentTcb",
      "minimumCommittedVersion", "minimumCurrentVersion", "minimumCurrentBuild", "requiredLaunchMitigationVector",
      "requiredCurrentMitigationVector", "signingKey", "products", "permitProvisionalFirmware", "chipId", "reportId",
      "reportIdMa");

  public SnpPolicy {
    measurements = List.copyOf(measurements);
    idKeyDigests = List.copyOf(idKeyDigests);
    authorKeyDigests = List.copyOf(authorKeyDigests);
    minimumTcbs = Map.copyOf(minimumTcbs);
    minimumVersions = Map.copyOf(minimumVersions);
    products = List.copyOf(products);
  }

  /** Compiles the section; errors name the key. */
  public static SnpPolicy compile(JsonNode s) throws PolicyException {
    for (Iterator<String> it = s.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYS.contains(k)) {
        throw new PolicyException("unknown key \"" + k + "\"");
      }
    }
    Map<String, Map<String, Integer>> tcbs = new LinkedHashMap<>();
    for (String k : TCB_KEYS) {
      if (s.has(k)) {
        JsonNode n = s.get(k);
        if (!n.isObject()) {
          throw new PolicyException(k + ": expected an object of TCB components");
        }
        Map<String, Integer> parts = new LinkedHashMap<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
          String p = it.next();
          if (!TCB_PARTS.contains(p)) {
            throw new PolicyException(k + "." + p + ": unknown TCB component (fmc, bootLoader, tee, snp, microcode)");
          }
          parts.put(p, byteValue(n.get(p), k + "." + p));
        }
        tcbs.put(k, parts);
      }
    }
    Map<String, int[]> versions = new LinkedHashMap<>();
    for (String k : VERSION_KEYS) {
      if (s.has(k)) {
        versions.put(k, version(s.get(k), k, 3));
      }
    }
    return new SnpPolicy(hexList(s, "measurements", 48), hex(s, "hostData", 32), hex(s, "familyId", 16),
        hex(s, "imageId", 16), hexList(s, "idKeyDigests", 48), hexList(s, "authorKeyDigests", 48),
        bool(s, "requireAuthorKey", false), hex(s, "reportData", 64), uint(s, "vmpl", 3), uint(s, "maxVmpl", 3),
        uint(s, "minimumGuestSvn", 0xFFFFFFFFL), bits(s, "guestPolicyForbidden", GUEST_POLICY_BITS),
        bits(s, "guestPolicyRequired", GUEST_POLICY_BITS), bool(s, "allowUnknownPolicyBits", true),
        s.has("minimumAbi") ? Optional.of(version(s.get("minimumAbi"), "minimumAbi", 2)) : Optional.empty(),
        bits(s, "platformInfoForbidden", PLATFORM_INFO_BITS), bits(s, "platformInfoRequired", PLATFORM_INFO_BITS),
        tcbs, versions,
        s.has("minimumCurrentBuild") ? OptionalInt.of(byteValue(s.get("minimumCurrentBuild"), "minimumCurrentBuild"))
            : OptionalInt.empty(),
        u64(s, "requiredLaunchMitigationVector"), u64(s, "requiredCurrentMitigationVector"),
        signingKey(s), strings(s, "products"), bool(s, "permitProvisionalFirmware", true), hex(s, "chipId", 64),
        hex(s, "reportId", 32), hex(s, "reportIdMa", 32));
  }

  private static Optional<String> signingKey(JsonNode s) throws PolicyException {
    if (!s.has("signingKey")) {
      return Optional.empty();
    }
    String v = s.get("signingKey").asText("");
    if (!v.equals("vcek") && !v.equals("vlek")) {
      throw new PolicyException("signingKey: expected \"vcek\" or \"vlek\"");
    }
    return Optional.of(v);
  }

  private static int byteValue(JsonNode n, String key) throws PolicyException {
    if (n == null || !n.isIntegralNumber() || n.asLong() < 0 || n.asLong() > 255) {
      throw new PolicyException(key + ": expected an integer 0..255");
    }
    return n.asInt();
  }

  private static int[] version(JsonNode n, String key, int parts) throws PolicyException {
    String[] p = n.asText("").split("\\.");
    if (!n.isTextual() || p.length != parts) {
      throw new PolicyException(key + ": expected " + (parts == 3 ? "MAJOR.MINOR.BUILD" : "MAJOR.MINOR"));
    }
    int[] out = new int[parts];
    for (int i = 0; i < parts; i++) {
      try {
        out[i] = Integer.parseInt(p[i]);
      } catch (NumberFormatException e) {
        throw new PolicyException(key + ": not a number: " + p[i]);
      }
      if (out[i] < 0 || out[i] > 255) {
        throw new PolicyException(key + ": parts are 0..255");
      }
    }
    return out;
  }

  private static boolean bool(JsonNode s, String key, boolean dflt) throws PolicyException {
    if (!s.has(key)) {
      return dflt;
    }
    if (!s.get(key).isBoolean()) {
      throw new PolicyException(key + ": expected true or false");
    }
    return s.get(key).booleanValue();
  }

  private static OptionalLong uint(JsonNode s, String key, long max) throws PolicyException {
    if (!s.has(key)) {
      return OptionalLong.empty();
    }
    JsonNode n = s.get(key);
    if (!n.isIntegralNumber() || n.asLong() < 0 || n.asLong() > max) {
      throw new PolicyException(key + ": expected an integer 0.." + max);
    }
    return OptionalLong.of(n.asLong());
  }

  private static OptionalLong u64(JsonNode s, String key) throws PolicyException {
    if (!s.has(key)) {
      return OptionalLong.empty();
    }
    String v = s.get(key).asText("");
    try {
      return OptionalLong.of(v.startsWith("0x") ? Long.parseUnsignedLong(v.substring(2), 16) : Long.parseUnsignedLong(v));
    } catch (NumberFormatException e) {
      throw new PolicyException(key + ": expected a u64 as a string (decimal or 0x hex)");
    }
  }

  private static Optional<byte[]> hex(JsonNode s, String key, int len) throws PolicyException {
    if (!s.has(key)) {
      return Optional.empty();
    }
    return Optional.of(hexValue(s.get(key), key, len));
  }

  private static byte[] hexValue(JsonNode n, String key, int len) throws PolicyException {
    try {
      byte[] b = HexFormat.of().parseHex(n.asText(""));
      if (!n.isTextual() || b.length != len) {
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
    if (!s.get(key).isArray() || s.get(key).isEmpty()) {
      throw new PolicyException(key + ": expected a non-empty array of hex strings");
    }
    List<byte[]> out = new ArrayList<>();
    for (JsonNode e : s.get(key)) {
      out.add(hexValue(e, key, len));
    }
    return out;
  }

  private static List<String> strings(JsonNode s, String key) throws PolicyException {
    if (!s.has(key)) {
      return List.of();
    }
    if (!s.get(key).isArray()) {
      throw new PolicyException(key + ": expected an array of strings");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : s.get(key)) {
      out.add(e.asText());
    }
    return out;
  }

  private static long bits(JsonNode s, String key, Map<String, Long> names) throws PolicyException {
    long out = 0;
    for (String n : strings(s, key)) {
      Long bit = names.get(n);
      if (bit == null) {
        throw new PolicyException(key + ": unknown bit name " + n + " (known: " + names.keySet() + ")");
      }
      out |= bit;
    }
    return out;
  }
}
