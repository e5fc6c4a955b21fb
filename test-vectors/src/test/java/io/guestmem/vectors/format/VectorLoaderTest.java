package io.guestmem.vectors.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The loader accepts well-formed groups, round-trips them through the writer, and rejects malformed files with a message naming the path. */
class VectorLoaderTest {
  static final String GOOD = """
      {"format":"guestmem-vectors/1","group":"g","kind":"attestation","description":"d","specReferences":["s"],
       "provenance":{"type":"hand-written","source":"test"},
       "cases":[{"id":"c1","comment":"x","at":"2026-01-01T00:00:00Z",
                 "inputs":{"evidence":{"hex":"0102"},"mutations":[{"op":"xor","offset":0,"value":1}],
                           "certificates":[{"file":"a/b.pem","sha256":"%s"}]},
                 "policy":{"tdx":{"allowDebug":false}},
                 "expected":{"status":"contraindicated","failures":["tdx.policy.debug:debug_not_allowed"]}}]}
      """.formatted("ab".repeat(32));

  static VectorGroup parse(String json) throws MalformedVectorException {
    return VectorLoader.parse(json.getBytes(StandardCharsets.UTF_8), Path.of("dir", "g.vectors.json"));
  }

  @Test
  void wellFormedGroup_loads_andTheWriterRoundTripsIt() throws Exception {
    VectorGroup g = parse(GOOD);
    assertThat(g.group()).isEqualTo("g");
    AttestationCase c = (AttestationCase) g.cases().get(0);
    assertThat(c.inputs().evidence().mutations()).containsExactly(Mutation.xor(0, 1));
    assertThat(c.inputs().certificates().get(0).sha256()).hasValue("ab".repeat(32));
    assertThat(c.policyJson()).hasValue("{\"tdx\":{\"allowDebug\":false}}");
    byte[] written = VectorWriter.toJson(g);
    VectorGroup again = VectorLoader.parse(written, g.file());
    assertThat(VectorWriter.toJson(again)).isEqualTo(written);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "not JSON            | {\"format\":                                   | $: not valid JSON",
      "wrong format        | \"format\":\"guestmem-vectors/1\"=>\"format\":\"v2\"  | $.format: must be \"guestmem-vectors/1\"",
      "unknown property    | \"kind\":\"attestation\"=>\"kind\":\"attestation\",\"extra\":1 | $.extra: unknown property",
      "bad kind            | \"kind\":\"attestation\"=>\"kind\":\"quote\"        | $.kind: must be one of [attestation, memory]",
      "no cases            | {\"format\":\"guestmem-vectors/1\",\"group\":\"g\",\"kind\":\"memory\",\"description\":\"d\",\"specReferences\":[\"s\"],\"provenance\":{\"type\":\"hand-written\",\"source\":\"t\"},\"cases\":[]} | $.cases: must be a non-empty array",
      "bad status          | \"status\":\"contraindicated\"=>\"status\":\"ok\"  | $.cases[0].expected.status: must be one of",
      "bad failure         | debug:debug_not_allowed=>debug                   | $.cases[0].expected.failures[0]: must be \"check.id:reason_code\"",
      "bad instant         | 2026-01-01T00:00:00Z=>yesterday                  | $.cases[0].at: must be an ISO-8601 UTC instant",
      "odd hex             | \"hex\":\"0102\"=>\"hex\":\"010\"                  | $.cases[0].inputs.evidence.hex: must be lower-case hex",
      "escaping path       | a/b.pem=>../b.pem                                | $.cases[0].inputs.certificates[0].file: must be a relative path",
      "absolute path       | a/b.pem=>/etc/passwd                             | $.cases[0].inputs.certificates[0].file: must be a relative path",
      "bad sha256          | \"sha256\":\"ab=>\"sha256\":\"AB                 | $.cases[0].inputs.certificates[0].sha256: must be 64 lower-case hex",
      "bad mutation op     | \"op\":\"xor\"=>\"op\":\"flip\"                    | $.cases[0].inputs.mutations[0].op: must be one of",
      "mutation value      | \"value\":1=>\"value\":256                         | $.cases[0].inputs.mutations[0].value: must be in [0, 255]",
      "missing evidence    | \"evidence\":{\"hex\":\"0102\"},=>                 | $.cases[0].inputs.evidence: required property is missing",
      "policy not object   | \"policy\":{\"tdx\":{\"allowDebug\":false}}=>\"policy\":\"strict\" | $.cases[0].policy: must be an object",
      "warning with failures | \"status\":\"contraindicated\"=>\"status\":\"warning\" | $.cases[0].expected: a warning outcome has no failed checks",
      "duplicate key       | \"group\":\"g\"=>\"group\":\"g\",\"group\":\"h\"    | $: not valid JSON: Duplicate field 'group'",
  })
  void malformedFiles_areRejectedWithTheJsonPath(String name, String edit, String message) {
    String json;
    if (edit.contains("=>")) {
      String[] ab = edit.split("=>", -1);
      assertThat(GOOD).as("edit applies").contains(ab[0]);
      json = GOOD.replace(ab[0], ab[1]);
    } else {
      json = edit;
    }
    assertThatThrownBy(() -> parse(json)).isInstanceOf(MalformedVectorException.class)
        .hasMessageStartingWith("g.vectors.json: ").hasMessageContaining(message);
  }

  @Test
  void duplicateCaseIds_areRejected() {
    String two = GOOD.replace("\"cases\":[{", "\"cases\":[{\"id\":\"c1\",\"comment\":\"y\",\"at\":\"2026-01-01T00:00:00Z\","
        + "\"inputs\":{\"evidence\":{\"hex\":\"00\"}},\"expected\":{\"requestError\":\"unknown_evidence\"}},{");
    assertThatThrownBy(() -> parse(two)).hasMessageContaining("$.cases[1].id: duplicate case id \"c1\"");
  }

  @Test
  void memorySteps_areChecked() {
    String mem = """
        {"format":"guestmem-vectors/1","group":"m","kind":"memory","description":"d","specReferences":["s"],
         "provenance":{"type":"hand-written","source":"t"},
         "cases":[{"id":"c","comment":"x","leaseSize":16384,"steps":[%s]}]}
        """;
    assertThatThrownBy(() -> parse(mem.formatted("{\"op\":\"convert\",\"ranges\":[[0,4096]],\"to\":\"SHARED\",\"expect\":\"EINVAL\"}")))
        .hasMessageContaining("$.cases[0].steps[0].expect: must be ok or a memory reason code");
    assertThatThrownBy(() -> parse(mem.formatted("{\"op\":\"convert\",\"to\":\"SHARED\"}")))
        .hasMessageContaining("$.cases[0].steps[0]: convert needs \"ranges\"");
    assertThatThrownBy(() -> parse(mem.formatted("{\"op\":\"convert\",\"ranges\":[[0,-1]],\"to\":\"SHARED\"}")))
        .hasMessageContaining("$.cases[0].steps[0].ranges[0]: must be [offset, length]");
    assertThatThrownBy(() -> parse(mem.formatted("{\"op\":\"info\",\"info\":{\"pages\":1}}")))
        .hasMessageContaining("$.cases[0].steps[0].info.pages: unknown property");
  }

  @Test
  void theShippedSchema_namesWhatTheLoaderEnforces() throws Exception {
    JsonNode schema;
    try (InputStream in = VectorLoader.class.getResourceAsStream(VectorLoader.SCHEMA_RESOURCE)) {
      assertThat(in).as("schema resource").isNotNull();
      schema = new ObjectMapper().readTree(in);
    }
    assertThat(schema.path("properties").path("format").path("const").asText()).isEqualTo(VectorGroup.FORMAT);
    List<String> required = new ArrayList<>();
    schema.path("required").forEach(n -> required.add(n.asText()));
    assertThat(required).containsExactlyInAnyOrder("format", "group", "kind", "description", "specReferences", "provenance", "cases");
    List<String> ops = new ArrayList<>();
    schema.path("$defs").path("mutation").path("properties").path("op").path("enum").forEach(n -> ops.add(n.asText()));
    assertThat(ops).containsExactlyElementsOf(java.util.Arrays.stream(Mutation.Op.values()).map(Mutation.Op::jsonName).toList());
    List<String> steps = new ArrayList<>();
    schema.path("$defs").path("memoryStep").path("properties").path("op").path("enum").forEach(n -> steps.add(n.asText()));
    assertThat(steps).containsExactlyElementsOf(java.util.Arrays.stream(MemoryStep.Op.values()).map(MemoryStep.Op::jsonName).toList());
    List<String> statuses = new ArrayList<>();
    schema.path("$defs").path("expected").path("properties").path("status").path("enum").forEach(n -> statuses.add(n.asText()));
    assertThat(statuses).containsExactlyElementsOf(Expected.STATUSES);
  }
}
