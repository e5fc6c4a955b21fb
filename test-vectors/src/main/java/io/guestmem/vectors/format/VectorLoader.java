package io.guestmem.vectors.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads a vector group file and checks it against the format that {@code vector-group.schema.json}
 * (shipped next to this class) describes: required and allowed properties, types, closed
 * vocabularies, unique case ids, relative paths that stay inside their root, hex strings and
 * instants. The first problem found is reported as a {@link MalformedVectorException} naming the
 * file and the JSON path; nothing is half-loaded.
 */
public final class VectorLoader {
  /** The JSON Schema document of the format, as a classpath resource. */
  public static final String SCHEMA_RESOURCE = "/io/guestmem/vectors/format/vector-group.schema.json";

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");
  private static final Pattern HEX = Pattern.compile("([0-9a-f]{2})*");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern FAILURE = Pattern.compile("[a-z0-9_.]+:[a-z0-9_]+");
  private static final Pattern REASON = Pattern.compile("[a-z0-9_]+");

  private VectorLoader() {}

  /** Loads and validates one group file. */
  public static VectorGroup load(Path file) throws MalformedVectorException, IOException {
    return parse(Files.readAllBytes(file), file);
  }

  /** Validates {@code json} as if read from {@code file}. */
  public static VectorGroup parse(byte[] json, Path file) throws MalformedVectorException {
    String src = file.getFileName() == null ? file.toString() : file.getFileName().toString();
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new MalformedVectorException(src, "$", "not valid JSON: " + e.getOriginalMessage()
          + " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")");
    } catch (IOException e) {
      throw new MalformedVectorException(src, "$", "not readable as JSON: " + e.getMessage());
    }
    if (root == null || root.isMissingNode()) {
      throw new MalformedVectorException(src, "$", "empty document");
    }
    return new Reader(src, file).group(root);
  }

  /** The path-tracking validator for one document. */
  private static final class Reader {
    private final String src;
    private final Path file;

    Reader(String src, Path file) {
      this.src = src;
      this.file = file;
    }

    MalformedVectorException bad(String path, String problem) {
      return new MalformedVectorException(src, path, problem);
    }

    VectorGroup group(JsonNode n) throws MalformedVectorException {
      object(n, "$", Set.of("format", "group", "kind", "description", "specReferences", "provenance", "inputRoot",
          "cases", "comment"), Set.of("format", "group", "kind", "description", "specReferences", "provenance", "cases"));
      String format = text(n, "$", "format");
      if (!format.equals(VectorGroup.FORMAT)) {
        throw bad("$.format", "must be \"" + VectorGroup.FORMAT + "\", got \"" + format + "\"");
      }
      String group = name(n, "$", "group");
      VectorGroup.Kind kind = VectorGroup.Kind.valueOf(oneOf(n, "$", "kind", List.of("attestation", "memory"))
          .toUpperCase(Locale.ROOT));
      String description = nonEmptyText(n, "$", "description");
      List<String> refs = textList(n, "$", "specReferences", true);
      Provenance provenance = provenance(n.get("provenance"), "$.provenance");
      InputRoot root = InputRoot.GROUP_DIR;
      if (n.has("inputRoot")) {
        String r = oneOf(n, "$", "inputRoot", List.of("group-dir", "shared-vectors"));
        root = r.equals("group-dir") ? InputRoot.GROUP_DIR : InputRoot.SHARED_VECTORS;
      }
      JsonNode cases = n.get("cases");
      if (!cases.isArray() || cases.isEmpty()) {
        throw bad("$.cases", "must be a non-empty array");
      }
      List<VectorCase> out = new ArrayList<>();
      Set<String> ids = new HashSet<>();
      for (int i = 0; i < cases.size(); i++) {
        String p = "$.cases[" + i + "]";
        VectorCase c = kind == VectorGroup.Kind.ATTESTATION ? attestationCase(cases.get(i), p) : memoryCase(cases.get(i), p);
        if (!ids.add(c.id())) {
          throw bad(p + ".id", "duplicate case id \"" + c.id() + "\"");
        }
        out.add(c);
      }
      return new VectorGroup(file, group, kind, description, refs, provenance, root, out);
    }

    Provenance provenance(JsonNode n, String p) throws MalformedVectorException {
      object(n, p, Set.of("type", "source", "seed", "notes"), Set.of("type", "source"));
      String type = oneOf(n, p, "type", Provenance.TYPES);
      String source = nonEmptyText(n, p, "source");
      Optional<Long> seed = n.has("seed") ? Optional.of(integer(n, p, "seed", Long.MIN_VALUE, Long.MAX_VALUE)) : Optional.empty();
      Optional<String> notes = n.has("notes") ? Optional.of(text(n, p, "notes")) : Optional.empty();
      return new Provenance(type, source, seed, notes);
    }

    AttestationCase attestationCase(JsonNode n, String p) throws MalformedVectorException {
      object(n, p, Set.of("id", "comment", "tags", "at", "inputs", "policy", "expected"),
          Set.of("id", "comment", "at", "inputs", "expected"));
      String id = name(n, p, "id");
      String comment = nonEmptyText(n, p, "comment");
      List<String> tags = n.has("tags") ? textList(n, p, "tags", false) : List.of();
      Instant at = instant(n, p, "at");
      AttestationInputs inputs = inputs(n.get("inputs"), p + ".inputs");
      Optional<String> policy = Optional.empty();
      if (n.has("policy")) {
        if (!n.get("policy").isObject()) {
          throw bad(p + ".policy", "must be an object (an appraisal policy)");
        }
        policy = Optional.of(n.get("policy").toString());
      }
      Expected expected = expected(n.get("expected"), p + ".expected");
      return new AttestationCase(id, comment, tags, at, inputs, policy, expected);
    }

    AttestationInputs inputs(JsonNode n, String p) throws MalformedVectorException {
      object(n, p, Set.of("evidence", "evidenceAppend", "mutations", "certificates", "crls", "tcbInfo", "tcbInfoChain",
          "qeIdentity", "qeIdentityChain", "collateralDir", "collateralBundle", "collateralBundleAs", "trustedEmulatedRoots",
          "nonce"),
          Set.of("evidence"));
      JsonNode ev = n.get("evidence");
      Optional<FileRef> evFile = Optional.empty();
      Optional<String> evHex = Optional.empty();
      if (ev.isObject() && ev.has("hex")) {
        object(ev, p + ".evidence", Set.of("hex"), Set.of("hex"));
        evHex = Optional.of(hex(ev, p + ".evidence", "hex"));
      } else {
        evFile = Optional.of(fileRef(ev, p + ".evidence"));
      }
      List<FileRef> append = n.has("evidenceAppend") ? fileRefs(n, p, "evidenceAppend") : List.of();
      List<Mutation> mutations = new ArrayList<>();
      if (n.has("mutations")) {
        JsonNode ms = n.get("mutations");
        if (!ms.isArray()) {
          throw bad(p + ".mutations", "must be an array");
        }
        for (int i = 0; i < ms.size(); i++) {
          mutations.add(mutation(ms.get(i), p + ".mutations[" + i + "]"));
        }
      }
      Optional<String> nonce = n.has("nonce") ? Optional.of(hex(n, p, "nonce")) : Optional.empty();
      boolean bundleAsFiles = false;
      if (n.has("collateralBundleAs")) {
        if (!n.has("collateralBundle")) {
          throw bad(p + ".collateralBundleAs", "only with collateralBundle");
        }
        bundleAsFiles = oneOf(n, p, "collateralBundleAs", List.of("directory", "files")).equals("files");
      }
      return new AttestationInputs(new Evidence(evFile, evHex, append, mutations),
          n.has("certificates") ? fileRefs(n, p, "certificates") : List.of(),
          n.has("crls") ? fileRefs(n, p, "crls") : List.of(),
          optFile(n, p, "tcbInfo"), optFile(n, p, "tcbInfoChain"), optFile(n, p, "qeIdentity"),
          optFile(n, p, "qeIdentityChain"), optFile(n, p, "collateralDir"), optFile(n, p, "collateralBundle"),
          bundleAsFiles, optFile(n, p, "trustedEmulatedRoots"), nonce);
    }

    Mutation mutation(JsonNode n, String p) throws MalformedVectorException {
      object(n, p, Set.of("op", "offset", "value", "length", "hex", "comment"), Set.of("op"));
      List<String> ops = java.util.Arrays.stream(Mutation.Op.values()).map(Mutation.Op::jsonName).toList();
      Mutation.Op op = Mutation.Op.valueOf(oneOf(n, p, "op", ops).toUpperCase(Locale.ROOT));
      return switch (op) {
        case XOR, SET, ADD -> {
          exactly(n, p, op, Set.of("op", "offset", "value", "comment"));
          yield new Mutation(op, (int) integer(n, p, "offset", 0, Integer.MAX_VALUE), (int) integer(n, p, "value", 0, 255), 0, "");
        }
        case FILL -> {
          exactly(n, p, op, Set.of("op", "offset", "length", "value", "comment"));
          yield Mutation.fill((int) integer(n, p, "offset", 0, Integer.MAX_VALUE),
              (int) integer(n, p, "length", 1, Integer.MAX_VALUE), (int) integer(n, p, "value", 0, 255));
        }
        case TRUNCATE -> {
          exactly(n, p, op, Set.of("op", "offset", "comment"));
          yield Mutation.truncate((int) integer(n, p, "offset", 0, Integer.MAX_VALUE));
        }
        case APPEND -> {
          exactly(n, p, op, Set.of("op", "hex", "comment"));
          String h = hex(n, p, "hex");
          if (h.isEmpty()) {
            throw bad(p + ".hex", "append needs at least one byte");
          }
          yield Mutation.append(h);
        }
      };
    }

    void exactly(JsonNode n, String p, Mutation.Op op, Set<String> allowed) throws MalformedVectorException {
      Set<String> required = new HashSet<>(allowed);
      required.remove("comment");
      object(n, p, allowed, required);
      if (n.size() > allowed.size()) {
        throw bad(p, op.jsonName() + " takes " + allowed);
      }
    }

    Expected expected(JsonNode n, String p) throws MalformedVectorException {
      object(n, p, Set.of("status", "tcbStatus", "advisories", "failures", "reasons", "requestError"), Set.of());
      if (n.has("requestError")) {
        if (n.size() != 1) {
          throw bad(p, "requestError stands alone (the request is refused before any appraisal)");
        }
        String code = text(n, p, "requestError");
        if (!REASON.matcher(code).matches()) {
          throw bad(p + ".requestError", "must be a snake_case code, got \"" + code + "\"");
        }
        return Expected.requestError(code);
      }
      if (!n.has("status")) {
        throw bad(p, "needs \"status\" (or \"requestError\")");
      }
      String status = oneOf(n, p, "status", Expected.STATUSES);
      Optional<String> tcb = n.has("tcbStatus") ? Optional.of(nonEmptyText(n, p, "tcbStatus")) : Optional.empty();
      Optional<List<String>> advisories = n.has("advisories") ? Optional.of(textList(n, p, "advisories", false)) : Optional.empty();
      Optional<List<String>> failures = Optional.empty();
      if (n.has("failures")) {
        List<String> f = textList(n, p, "failures", false);
        for (int i = 0; i < f.size(); i++) {
          if (!FAILURE.matcher(f.get(i)).matches()) {
            throw bad(p + ".failures[" + i + "]", "must be \"check.id:reason_code\", got \"" + f.get(i) + "\"");
          }
        }
        failures = Optional.of(f);
      }
      List<String> reasons = n.has("reasons") ? textList(n, p, "reasons", true) : List.of();
      for (int i = 0; i < reasons.size(); i++) {
        if (!REASON.matcher(reasons.get(i)).matches()) {
          throw bad(p + ".reasons[" + i + "]", "must be a snake_case reason code, got \"" + reasons.get(i) + "\"");
        }
      }
      boolean hasFailures = failures.map(f -> !f.isEmpty()).orElse(false) || !reasons.isEmpty();
      if (!status.equals("contraindicated") && hasFailures) {
        throw bad(p, "a " + status + " outcome has no failed checks; failures and reasons belong to contraindicated");
      }
      if (status.equals("contraindicated") && failures.map(List::isEmpty).orElse(false)) {
        throw bad(p + ".failures", "a contraindicated outcome has at least one failed check");
      }
      return new Expected(Optional.empty(), Optional.of(status), tcb, advisories, failures, reasons);
    }

    MemoryCase memoryCase(JsonNode n, String p) throws MalformedVectorException {
      object(n, p, Set.of("id", "comment", "tags", "leaseSize", "backends", "steps"),
          Set.of("id", "comment", "leaseSize", "steps"));
      String id = name(n, p, "id");
      String comment = nonEmptyText(n, p, "comment");
      List<String> tags = n.has("tags") ? textList(n, p, "tags", false) : List.of();
      long size = integer(n, p, "leaseSize", 1, 1L << 40);
      List<String> backends = n.has("backends") ? textList(n, p, "backends", true) : MemoryCase.BACKENDS;
      for (int i = 0; i < backends.size(); i++) {
        if (!MemoryCase.BACKENDS.contains(backends.get(i))) {
          throw bad(p + ".backends[" + i + "]", "must be one of " + MemoryCase.BACKENDS + ", got \"" + backends.get(i) + "\"");
        }
      }
      JsonNode steps = n.get("steps");
      if (!steps.isArray() || steps.isEmpty()) {
        throw bad(p + ".steps", "must be a non-empty array");
      }
      List<MemoryStep> out = new ArrayList<>();
      for (int i = 0; i < steps.size(); i++) {
        out.add(step(steps.get(i), p + ".steps[" + i + "]"));
      }
      return new MemoryCase(id, comment, tags, size, backends, out);
    }

    MemoryStep step(JsonNode n, String p) throws MalformedVectorException {
      object(n, p, Set.of("op", "ranges", "to", "offset", "state", "hex", "info", "expect", "comment"), Set.of("op"));
      List<String> ops = java.util.Arrays.stream(MemoryStep.Op.values()).map(MemoryStep.Op::jsonName).toList();
      MemoryStep.Op op = MemoryStep.Op.valueOf(oneOf(n, p, "op", ops).toUpperCase(Locale.ROOT));
      List<long[]> ranges = new ArrayList<>();
      boolean needsRanges = op == MemoryStep.Op.CONVERT || op == MemoryStep.Op.ALLOCATE || op == MemoryStep.Op.DISCARD
          || op == MemoryStep.Op.MAP;
      if (needsRanges && !n.has("ranges")) {
        throw bad(p, op.jsonName() + " needs \"ranges\"");
      }
      if (n.has("ranges")) {
        JsonNode rs = n.get("ranges");
        if (!rs.isArray()) {
          throw bad(p + ".ranges", "must be an array of [offset, length] pairs");
        }
        for (int i = 0; i < rs.size(); i++) {
          JsonNode r = rs.get(i);
          if (!r.isArray() || r.size() != 2 || !r.get(0).canConvertToLong() || !r.get(1).canConvertToLong()
              || !r.get(0).isIntegralNumber() || !r.get(1).isIntegralNumber() || r.get(0).asLong() < 0 || r.get(1).asLong() < 0) {
            throw bad(p + ".ranges[" + i + "]", "must be [offset, length] with non-negative integers");
          }
          ranges.add(new long[] {r.get(0).asLong(), r.get(1).asLong()});
        }
      }
      Optional<String> to = Optional.empty();
      if (op == MemoryStep.Op.CONVERT) {
        to = Optional.of(oneOf(n, p, "to", List.of("PRIVATE", "SHARED")));
      }
      Optional<String> state = Optional.empty();
      if (op == MemoryStep.Op.STATE) {
        state = Optional.of(oneOf(n, p, "state", List.of("PRIVATE", "SHARED")));
      }
      long offset = 0;
      if (op == MemoryStep.Op.STATE || op == MemoryStep.Op.WRITE || op == MemoryStep.Op.READ) {
        offset = integer(n, p, "offset", 0, Long.MAX_VALUE);
      }
      Optional<String> hex = Optional.empty();
      if (op == MemoryStep.Op.WRITE || op == MemoryStep.Op.READ) {
        hex = Optional.of(hex(n, p, "hex"));
      }
      Map<String, Long> info = new LinkedHashMap<>();
      if (op == MemoryStep.Op.INFO) {
        JsonNode in = n.get("info");
        if (in == null || !in.isObject() || in.isEmpty()) {
          throw bad(p + ".info", "info needs an object with at least one of " + MemoryStep.INFO_KEYS);
        }
        Iterator<String> keys = in.fieldNames();
        while (keys.hasNext()) {
          String k = keys.next();
          if (!MemoryStep.INFO_KEYS.contains(k)) {
            throw bad(p + ".info." + k, "unknown property; allowed: " + MemoryStep.INFO_KEYS);
          }
          info.put(k, integer(in, p + ".info", k, 0, Long.MAX_VALUE));
        }
      }
      String expect = n.has("expect") ? text(n, p, "expect") : "ok";
      List<String> reasons = new ArrayList<>();
      reasons.add("ok");
      for (var r : io.guestmem.memory.MemoryException.Reason.values()) {
        reasons.add(r.name());
      }
      if (!reasons.contains(expect)) {
        throw bad(p + ".expect", "must be ok or a memory reason code " + reasons.subList(1, reasons.size())
            + ", got \"" + expect + "\"");
      }
      return new MemoryStep(op, ranges, to, offset, state, hex, info, expect);
    }

    // ---- primitives ----

    void object(JsonNode n, String p, Set<String> allowed, Set<String> required) throws MalformedVectorException {
      if (n == null || !n.isObject()) {
        throw bad(p, "must be an object");
      }
      Iterator<String> it = n.fieldNames();
      while (it.hasNext()) {
        String k = it.next();
        if (!allowed.contains(k)) {
          throw bad(p + "." + k, "unknown property; allowed: " + new java.util.TreeSet<>(allowed));
        }
      }
      for (String r : new java.util.TreeSet<>(required)) {
        if (!n.has(r) || n.get(r).isNull()) {
          throw bad(p + "." + r, "required property is missing");
        }
      }
    }

    String text(JsonNode n, String p, String field) throws MalformedVectorException {
      JsonNode v = n.get(field);
      if (v == null || !v.isTextual()) {
        throw bad(p + "." + field, "must be a string");
      }
      return v.textValue();
    }

    String nonEmptyText(JsonNode n, String p, String field) throws MalformedVectorException {
      String s = text(n, p, field);
      if (s.isBlank()) {
        throw bad(p + "." + field, "must not be empty");
      }
      return s;
    }

    String name(JsonNode n, String p, String field) throws MalformedVectorException {
      String s = text(n, p, field);
      if (!NAME.matcher(s).matches()) {
        throw bad(p + "." + field, "must match " + NAME.pattern() + ", got \"" + s + "\"");
      }
      return s;
    }

    String oneOf(JsonNode n, String p, String field, List<String> allowed) throws MalformedVectorException {
      String s = text(n, p, field);
      if (!allowed.contains(s)) {
        throw bad(p + "." + field, "must be one of " + allowed + ", got \"" + s + "\"");
      }
      return s;
    }

    long integer(JsonNode n, String p, String field, long min, long max) throws MalformedVectorException {
      JsonNode v = n.get(field);
      if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
        throw bad(p + "." + field, "must be an integer");
      }
      long x = v.longValue();
      if (x < min || x > max) {
        throw bad(p + "." + field, "must be in [" + min + ", " + max + "], got " + x);
      }
      return x;
    }

    String hex(JsonNode n, String p, String field) throws MalformedVectorException {
      String s = text(n, p, field);
      if (!HEX.matcher(s).matches()) {
        throw bad(p + "." + field, "must be lower-case hex with an even number of digits");
      }
      return s;
    }

    Instant instant(JsonNode n, String p, String field) throws MalformedVectorException {
      String s = text(n, p, field);
      try {
        return Instant.parse(s);
      } catch (DateTimeParseException e) {
        throw bad(p + "." + field, "must be an ISO-8601 UTC instant such as 2023-07-01T01:00:00Z, got \"" + s + "\"");
      }
    }

    List<String> textList(JsonNode n, String p, String field, boolean nonEmpty) throws MalformedVectorException {
      JsonNode v = n.get(field);
      if (v == null || !v.isArray()) {
        throw bad(p + "." + field, "must be an array of strings");
      }
      if (nonEmpty && v.isEmpty()) {
        throw bad(p + "." + field, "must not be empty");
      }
      List<String> out = new ArrayList<>();
      for (int i = 0; i < v.size(); i++) {
        if (!v.get(i).isTextual()) {
          throw bad(p + "." + field + "[" + i + "]", "must be a string");
        }
        out.add(v.get(i).textValue());
      }
      return out;
    }

    FileRef fileRef(JsonNode n, String p) throws MalformedVectorException {
      object(n, p, Set.of("file", "sha256", "encoding"), Set.of("file"));
      String f = text(n, p, "file");
      if (f.isEmpty() || f.startsWith("/") || f.contains("\\") || Path.of(f).isAbsolute()
          || java.util.Arrays.asList(f.split("/")).contains("..")) {
        throw bad(p + ".file", "must be a relative path inside its root without '..', got \"" + f + "\"");
      }
      Optional<String> sha = Optional.empty();
      if (n.has("sha256")) {
        String s = text(n, p, "sha256");
        if (!SHA256.matcher(s).matches()) {
          throw bad(p + ".sha256", "must be 64 lower-case hex digits");
        }
        sha = Optional.of(s);
      }
      FileRef.Encoding enc = FileRef.Encoding.RAW;
      if (n.has("encoding")) {
        enc = oneOf(n, p, "encoding", List.of("raw", "hex-text")).equals("raw") ? FileRef.Encoding.RAW
            : FileRef.Encoding.HEX_TEXT;
      }
      return new FileRef(f, sha, enc);
    }

    Optional<FileRef> optFile(JsonNode n, String p, String field) throws MalformedVectorException {
      return n.has(field) ? Optional.of(fileRef(n.get(field), p + "." + field)) : Optional.empty();
    }

    List<FileRef> fileRefs(JsonNode n, String p, String field) throws MalformedVectorException {
      JsonNode v = n.get(field);
      if (!v.isArray()) {
        throw bad(p + "." + field, "must be an array of file references");
      }
      List<FileRef> out = new ArrayList<>();
      for (int i = 0; i < v.size(); i++) {
        out.add(fileRef(v.get(i), p + "." + field + "[" + i + "]"));
      }
      return out;
    }
  }

  static byte[] unhex(String s) {
    return HexFormat.of().parseHex(s);
  }
}
