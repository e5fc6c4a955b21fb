package io.guestmem.attestation.ear;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.guestmem.attestation.Check;
import io.guestmem.attestation.CollateralItem;
import io.guestmem.attestation.NotRun;
import io.guestmem.attestation.TcbSummary;
import io.guestmem.attestation.Verdict;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON form of a {@link Verdict}. Keys (stable): {@code tee}, {@code status}
 * (affirming|warning|contraindicated), {@code signatureValid}, {@code trustAnchor},
 * {@code emulated}, {@code tcbStatus}, {@code tcbDate}, {@code tcbEvaluationDataNumber},
 * {@code advisories}, {@code outOfDateComponents}, {@code tcbComponents}, {@code checks} (array of
 * {@code {id, ok, reason, detail}}), {@code notRun} ({@code {id, reason, detail}}),
 * {@code collateral} ({@code {name, issued, nextUpdate, source}}), {@code claims},
 * {@code policyId}, {@code appraisedAt}.
 */
public final class VerdictJson {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private VerdictJson() {}

  /** The verdict as an ordered map of JSON-compatible values. */
  public static Map<String, Object> toMap(Verdict v) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("tee", v.tee());
    m.put("status", v.status().earName());
    m.put("signatureValid", v.signatureValid());
    m.put("trustAnchor", v.trustAnchor());
    m.put("emulated", v.emulated());
    TcbSummary t = v.tcb();
    m.put("tcbStatus", t == null ? null : t.status());
    m.put("tcbDate", t == null ? null : t.tcbDate());
    m.put("tcbEvaluationDataNumber", t == null ? null : t.tcbEvaluationDataNumber());
    m.put("advisories", t == null ? List.of() : t.advisories());
    m.put("outOfDateComponents", t == null ? List.of() : t.outOfDateComponents());
    m.put("tcbComponents", t == null ? Map.of() : t.componentStatuses());
    List<Map<String, Object>> checks = new ArrayList<>();
    for (Check c : v.checks()) {
      Map<String, Object> cm = new LinkedHashMap<>();
      cm.put("id", c.id());
      cm.put("ok", c.ok());
      cm.put("reason", c.reason());
      cm.put("detail", c.detail());
      checks.add(cm);
    }
    m.put("checks", checks);
    List<Map<String, Object>> notRun = new ArrayList<>();
    for (NotRun n : v.notRun()) {
      notRun.add(Map.of("id", n.id(), "reason", n.reason(), "detail", n.detail()));
    }
    m.put("notRun", notRun);
    List<Map<String, Object>> coll = new ArrayList<>();
    for (CollateralItem c : v.collateral()) {
      Map<String, Object> cm = new LinkedHashMap<>();
      cm.put("name", c.name());
      cm.put("issued", c.issued().toString());
      cm.put("nextUpdate", c.nextUpdate().toString());
      cm.put("source", c.source());
      coll.add(cm);
    }
    m.put("collateral", coll);
    m.put("claims", v.claims());
    m.put("policyId", v.policyId());
    m.put("appraisedAt", v.appraisedAt().toString());
    return m;
  }

  public static String toJson(Verdict v) {
    try {
      return JSON.writeValueAsString(toMap(v));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a verdict holds only JSON-compatible values", e);
    }
  }
}
