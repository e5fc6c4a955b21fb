package io.guestmem.vectors.format;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes a {@link VectorGroup} in the file format that {@link VectorLoader} reads, with a fixed
 * property order, two-space indentation and "\n" line ends, so that the same group always gives
 * the same bytes (the generated vectors are compared byte for byte).
 */
public final class VectorWriter {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private VectorWriter() {}

  public static byte[] toJson(VectorGroup g) {
    ObjectNode n = F.objectNode();
    n.put("format", VectorGroup.FORMAT);
    n.put("group", g.group());
    n.put("kind", g.kind().jsonName());
    n.put("description", g.description());
    ArrayNode refs = n.putArray("specReferences");
    g.specReferences().forEach(refs::add);
    ObjectNode prov = n.putObject("provenance");
    prov.put("type", g.provenance().type());
    prov.put("source", g.provenance().source());
    g.provenance().seed().ifPresent(s -> prov.put("seed", s));
    g.provenance().notes().ifPresent(s -> prov.put("notes", s));
    n.put("inputRoot", g.inputRoot().jsonName());
    ArrayNode cases = n.putArray("cases");
    for (VectorCase c : g.cases()) {
      cases.add(c instanceof AttestationCase a ? attestation(a) : memory((MemoryCase) c));
    }
    DefaultPrettyPrinter pp = new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n"))
        .withArrayIndenter(new DefaultIndenter("  ", "\n"));
    try {
      String s = JSON.writer(pp).writeValueAsString(n) + "\n";
      return s.getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ObjectNode attestation(AttestationCase c) {
    ObjectNode n = F.objectNode();
    n.put("id", c.id());
    n.put("comment", c.comment());
    if (!c.tags().isEmpty()) {
      ArrayNode t = n.putArray("tags");
      c.tags().forEach(t::add);
    }
    n.put("at", c.at().toString());
    ObjectNode in = n.putObject("inputs");
    AttestationInputs i = c.inputs();
    if (i.evidence().file().isPresent()) {
      in.set("evidence", file(i.evidence().file().get()));
    } else {
      in.putObject("evidence").put("hex", i.evidence().hex().orElseThrow());
    }
    files(in, "evidenceAppend", i.evidence().append());
    if (!i.evidence().mutations().isEmpty()) {
      ArrayNode ms = in.putArray("mutations");
      for (Mutation m : i.evidence().mutations()) {
        ObjectNode mn = ms.addObject();
        mn.put("op", m.op().jsonName());
        switch (m.op()) {
          case XOR, SET, ADD -> mn.put("offset", m.offset()).put("value", m.value());
          case FILL -> mn.put("offset", m.offset()).put("length", m.length()).put("value", m.value());
          case TRUNCATE -> mn.put("offset", m.offset());
          case APPEND -> mn.put("hex", m.hex());
        }
      }
    }
    files(in, "certificates", i.certificates());
    files(in, "crls", i.crls());
    i.tcbInfo().ifPresent(f -> in.set("tcbInfo", file(f)));
    i.tcbInfoChain().ifPresent(f -> in.set("tcbInfoChain", file(f)));
    i.qeIdentity().ifPresent(f -> in.set("qeIdentity", file(f)));
    i.qeIdentityChain().ifPresent(f -> in.set("qeIdentityChain", file(f)));
    i.collateralDir().ifPresent(f -> in.set("collateralDir", file(f)));
    i.collateralBundle().ifPresent(f -> in.set("collateralBundle", file(f)));
    if (i.bundleAsFiles()) {
      in.put("collateralBundleAs", "files");
    }
    i.trustedEmulatedRoots().ifPresent(f -> in.set("trustedEmulatedRoots", file(f)));
    i.nonceHex().ifPresent(h -> in.put("nonce", h));
    c.policyJson().ifPresent(p -> {
      try {
        n.set("policy", JSON.readTree(p));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    });
    ObjectNode e = n.putObject("expected");
    Expected x = c.expected();
    x.requestError().ifPresent(r -> e.put("requestError", r));
    x.status().ifPresent(s -> e.put("status", s));
    x.tcbStatus().ifPresent(s -> e.put("tcbStatus", s));
    x.advisories().ifPresent(a -> strings(e.putArray("advisories"), a));
    x.failures().ifPresent(f -> strings(e.putArray("failures"), f));
    if (!x.reasons().isEmpty()) {
      strings(e.putArray("reasons"), x.reasons());
    }
    return n;
  }

  private static ObjectNode memory(MemoryCase c) {
    ObjectNode n = F.objectNode();
    n.put("id", c.id());
    n.put("comment", c.comment());
    n.put("leaseSize", c.leaseSize());
    strings(n.putArray("backends"), c.backends());
    ArrayNode steps = n.putArray("steps");
    for (MemoryStep s : c.steps()) {
      ObjectNode sn = steps.addObject();
      sn.put("op", s.op().jsonName());
      if (!s.ranges().isEmpty()) {
        ArrayNode rs = sn.putArray("ranges");
        for (long[] r : s.ranges()) {
          rs.addArray().add(r[0]).add(r[1]);
        }
      }
      s.to().ifPresent(t -> sn.put("to", t));
      if (s.op() == MemoryStep.Op.STATE || s.op() == MemoryStep.Op.WRITE || s.op() == MemoryStep.Op.READ) {
        sn.put("offset", s.offset());
      }
      s.state().ifPresent(t -> sn.put("state", t));
      s.hex().ifPresent(h -> sn.put("hex", h));
      if (!s.info().isEmpty()) {
        ObjectNode in = sn.putObject("info");
        s.info().forEach(in::put);
      }
      sn.put("expect", s.expect());
    }
    return n;
  }

  private static void files(ObjectNode in, String name, List<FileRef> refs) {
    if (!refs.isEmpty()) {
      ArrayNode a = in.putArray(name);
      refs.forEach(r -> a.add(file(r)));
    }
  }

  private static JsonNode file(FileRef f) {
    ObjectNode n = F.objectNode();
    n.put("file", f.file());
    f.sha256().ifPresent(s -> n.put("sha256", s));
    if (f.encoding() != FileRef.Encoding.RAW) {
      n.put("encoding", f.encoding().jsonName());
    }
    return n;
  }

  private static void strings(ArrayNode a, List<String> values) {
    values.forEach(a::add);
  }
}
