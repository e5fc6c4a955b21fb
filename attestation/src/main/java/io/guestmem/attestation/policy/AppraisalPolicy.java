package io.guestmem.attestation.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.guestmem.attestation.Appraisal;
import io.guestmem.attestation.Ar4siClaim;
import io.guestmem.attestation.CollateralItem;
import io.guestmem.attestation.Reason;
import io.guestmem.attestation.TcbSummary;
import io.guestmem.attestation.TeeVerifier;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A compiled appraisal policy, from JSON or the same structure in YAML. The JSON form (every key
 * optional; unknown keys are errors):
 *
 * <pre>
 * {
 *   "id": "policy://example/prod",                 // reported in verdicts and EAR
 *   "acceptedTcbStatuses": ["UpToDate", "SWHardeningNeeded"],   // default: every status but Revoked
 *   "deniedAdvisories": ["INTEL-SA-00615"],
 *   "minTcbDate": "2024-03-13T00:00:00Z",           // or a date, 2024-03-13
 *   "minTcbEvaluationDataNumber": 17,
 *   "maxCollateralAge": "P7D",                      // ISO-8601 duration, against issueDate / thisUpdate
 *   "requireCollateral": true,                      // checks that could not run become failures
 *   "nonceBinding": "sha512",                       // raw | sha256 | sha384 | sha512 (default raw)
 *   "tdx": { … },  "snp": { … }                     // compiled by the TEE plug-ins
 * }
 * </pre>
 *
 * A status of {@code Revoked} is never accepted, whatever the file says. The TCB rules apply to
 * verdicts that carry a TCB status (TDX with collateral); SNP is bounded by its own minimum-TCB rules.
 */
public final class AppraisalPolicy {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper();
  private static final Set<String> GENERIC_KEYS = Set.of("id", "acceptedTcbStatuses", "deniedAdvisories",
      "minTcbDate", "minTcbEvaluationDataNumber", "maxCollateralAge", "requireCollateral", "nonceBinding");

  private final String id;
  private final Set<String> acceptedTcbStatuses;
  private final Set<String> deniedAdvisories;
  private final Instant minTcbDate;
  private final Integer minTcbEvaluationDataNumber;
  private final Duration maxCollateralAge;
  private final boolean requireCollateral;
  private final NonceBinding nonceBinding;
  private final Map<String, Object> sections;

  private AppraisalPolicy(String id, Set<String> accepted, Set<String> denied, Instant minTcbDate,
      Integer minEval, Duration maxAge, boolean requireCollateral, NonceBinding nonceBinding,
      Map<String, Object> sections) {
    this.id = id;
    this.acceptedTcbStatuses = accepted == null ? null : Set.copyOf(accepted);
    this.deniedAdvisories = Set.copyOf(denied);
    this.minTcbDate = minTcbDate;
    this.minTcbEvaluationDataNumber = minEval;
    this.maxCollateralAge = maxAge;
    this.requireCollateral = requireCollateral;
    this.nonceBinding = nonceBinding;
    this.sections = Map.copyOf(sections);
  }

  /** The default policy: every TCB status but Revoked accepted, no reference values. */
  public static AppraisalPolicy defaults(Collection<? extends TeeVerifier> verifiers) {
    try {
      return compile(JsonNodeFactory.instance.objectNode(), verifiers);
    } catch (PolicyException e) {
      throw new IllegalStateException("a plug-in rejected an empty policy section", e);
    }
  }

  public static AppraisalPolicy parse(byte[] json, Collection<? extends TeeVerifier> verifiers)
      throws PolicyException {
    JsonNode root;
    boolean isJson = looksLikeJson(json);
    try {
      root = isJson ? JSON.readTree(json) : YAML.readTree(json);
    } catch (java.io.IOException | RuntimeException e) {
      throw new PolicyException("policy is not valid " + (isJson ? "JSON" : "YAML") + ": " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new PolicyException("policy must be a JSON object");
    }
    return compile(root, verifiers);
  }

  /** JSON when the first non-blank character is '{' (or '['), YAML otherwise. */
  private static boolean looksLikeJson(byte[] text) {
    for (byte b : text) {
      if (b == ' ' || b == '\t' || b == '\r' || b == '\n') {
        continue;
      }
      return b == '{' || b == '[';
    }
    return true;
  }

  static AppraisalPolicy compile(JsonNode root, Collection<? extends TeeVerifier> verifiers) throws PolicyException {
    Map<String, TeeVerifier> byTee = new HashMap<>();
    verifiers.forEach(v -> byTee.put(v.tee(), v));
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!GENERIC_KEYS.contains(k) && !byTee.containsKey(k)) {
        throw new PolicyException("unknown policy key \"" + k + "\"");
      }
    }
    String id = root.has("id") ? text(root, "id") : "";
    Set<String> accepted = root.has("acceptedTcbStatuses") ? strings(root, "acceptedTcbStatuses") : null;
    Set<String> denied = root.has("deniedAdvisories") ? strings(root, "deniedAdvisories") : Set.of();
    Instant minDate = null;
    if (root.has("minTcbDate")) {
      String s = text(root, "minTcbDate");
      try {
        minDate = s.length() == 10 ? LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant() : Instant.parse(s);
      } catch (DateTimeParseException e) {
        throw new PolicyException("minTcbDate: not an RFC 3339 time or date: " + s, e);
      }
    }
    Integer minEval = null;
    if (root.has("minTcbEvaluationDataNumber")) {
      JsonNode n = root.get("minTcbEvaluationDataNumber");
      if (!n.canConvertToInt() || !n.isIntegralNumber() || n.intValue() < 0) {
        throw new PolicyException("minTcbEvaluationDataNumber: expected a non-negative integer");
      }
      minEval = n.intValue();
    }
    Duration maxAge = null;
    if (root.has("maxCollateralAge")) {
      try {
        maxAge = Duration.parse(text(root, "maxCollateralAge"));
      } catch (DateTimeParseException e) {
        throw new PolicyException("maxCollateralAge: not an ISO-8601 duration", e);
      }
      if (maxAge.isNegative()) {
        throw new PolicyException("maxCollateralAge: must not be negative");
      }
    }
    boolean requireCollateral = false;
    if (root.has("requireCollateral")) {
      if (!root.get("requireCollateral").isBoolean()) {
        throw new PolicyException("requireCollateral: expected true or false");
      }
      requireCollateral = root.get("requireCollateral").booleanValue();
    }
    NonceBinding binding = NonceBinding.RAW;
    if (root.has("nonceBinding")) {
      String s = text(root, "nonceBinding");
      try {
        binding = NonceBinding.valueOf(s.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new PolicyException("nonceBinding: expected raw, sha256, sha384 or sha512, got " + s);
      }
    }
    Map<String, Object> sections = new HashMap<>();
    for (TeeVerifier v : verifiers) {
      JsonNode section = root.has(v.tee()) ? root.get(v.tee()) : JsonNodeFactory.instance.objectNode();
      if (!section.isObject()) {
        throw new PolicyException(v.tee() + ": expected an object");
      }
      try {
        sections.put(v.tee(), v.compilePolicy(section));
      } catch (PolicyException e) {
        throw new PolicyException(v.tee() + "." + e.getMessage(), e);
      }
    }
    return new AppraisalPolicy(id, accepted, denied, minDate, minEval, maxAge, requireCollateral, binding, sections);
  }

  private static String text(JsonNode root, String key) throws PolicyException {
    JsonNode n = root.get(key);
    if (!n.isTextual()) {
      throw new PolicyException(key + ": expected a string");
    }
    return n.textValue();
  }

  private static Set<String> strings(JsonNode root, String key) throws PolicyException {
    JsonNode n = root.get(key);
    if (!n.isArray()) {
      throw new PolicyException(key + ": expected an array of strings");
    }
    Set<String> out = new LinkedHashSet<>();
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw new PolicyException(key + ": expected an array of strings");
      }
      out.add(e.textValue());
    }
    return out;
  }

  public String id() {
    return id;
  }

  /** A TEE plug-in's compiled section. */
  public <T> Optional<T> section(String tee, Class<T> type) {
    Object o = sections.get(tee);
    return type.isInstance(o) ? Optional.of(type.cast(o)) : Optional.empty();
  }

  public Optional<Duration> maxCollateralAge() {
    return Optional.ofNullable(maxCollateralAge);
  }

  /**
   * Applies the TEE-neutral rules to an appraisal a plug-in has filled in, recording one
   * {@code policy.*} check per configured rule (the TCB-status rule always runs when there is a
   * TCB status). {@code nonce} may be null.
   */
  public void apply(Appraisal a, byte[] nonce, List<String> notRunIds) {
    Optional<TcbSummary> tcb = a.tcb();
    if (tcb.isPresent()) {
      String status = tcb.get().status();
      if (TcbSummary.REVOKED.equals(status)) {
        a.fail("policy.tcb_status", Ar4siClaim.HARDWARE, Reason.TCB_REVOKED, "TCB status Revoked is never accepted");
      } else {
        boolean ok = acceptedTcbStatuses == null || acceptedTcbStatuses.contains(status);
        a.check("policy.tcb_status", Ar4siClaim.HARDWARE, ok, Reason.TCB_STATUS_NOT_ACCEPTED,
            "TCB status " + status + (acceptedTcbStatuses == null ? " (default: all but Revoked accepted)"
                : ", accepted " + acceptedTcbStatuses));
      }
      if (!deniedAdvisories.isEmpty()) {
        List<String> hit = tcb.get().advisories().stream().filter(deniedAdvisories::contains).toList();
        a.check("policy.advisories", Ar4siClaim.HARDWARE, hit.isEmpty(), Reason.ADVISORY_DENIED,
            hit.isEmpty() ? "no denied advisory applies" : "denied advisories apply: " + hit);
      }
      if (minTcbDate != null) {
        String d = tcb.get().tcbDate();
        boolean ok = d != null && !Instant.parse(d).isBefore(minTcbDate);
        a.check("policy.tcb_date", Ar4siClaim.HARDWARE, ok, Reason.TCB_DATE_TOO_OLD,
            "tcbDate " + d + ", minimum " + minTcbDate);
      }
      if (minTcbEvaluationDataNumber != null) {
        Integer n = tcb.get().tcbEvaluationDataNumber();
        boolean ok = n != null && n >= minTcbEvaluationDataNumber;
        a.check("policy.tcb_evaluation_data_number", Ar4siClaim.HARDWARE, ok, Reason.TCB_EVALUATION_NUMBER_TOO_LOW,
            "tcbEvaluationDataNumber " + n + ", minimum " + minTcbEvaluationDataNumber);
      }
    }
    // Without a TCB status the TCB rules do not apply: a TEE whose plug-in grades the TCB (TDX) has
    // already listed the collateral checks it could not run, and SNP reports carry no graded status.
    if (maxCollateralAge != null) {
      for (CollateralItem c : a.collateralItems()) {
        Duration age = Duration.between(c.issued(), a.at());
        a.check("policy.collateral_age." + c.name(), Ar4siClaim.HARDWARE, age.compareTo(maxCollateralAge) <= 0,
            Reason.COLLATERAL_TOO_OLD, c.name() + " issued " + c.issued() + ", age " + age + ", maximum " + maxCollateralAge);
      }
    }
    if (requireCollateral) {
      for (String id : notRunIds) {
        a.fail("policy.collateral_required." + id, Ar4siClaim.HARDWARE, Reason.COLLATERAL_MISSING,
            id + " could not run and the policy requires collateral");
      }
    }
    if (nonce != null) {
      Optional<byte[]> rd = a.reportData();
      Optional<byte[]> expected = nonceBinding.expectedReportData(nonce);
      boolean ok = rd.isPresent() && expected.isPresent() && MessageDigest.isEqual(rd.get(), expected.get());
      a.check("policy.nonce", Ar4siClaim.INSTANCE_IDENTITY, ok, Reason.NONCE_MISMATCH,
          "REPORTDATA " + rd.map(HexFormat.of()::formatHex).orElse("absent") + " vs nonce bound with "
              + nonceBinding.name().toLowerCase(Locale.ROOT));
    }
  }

  @Override
  public String toString() {
    try {
      return "AppraisalPolicy" + JSON.writeValueAsString(Map.of("id", id));
    } catch (JsonProcessingException e) {
      return "AppraisalPolicy[" + id + "]";
    }
  }
}
