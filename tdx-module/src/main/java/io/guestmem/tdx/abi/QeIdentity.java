package io.guestmem.tdx.abi;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Enclave (QE) Identity version 2 (Intel PCS API v4, {@code GET /tdx/certification/v4/qe/identity}),
 * id {@code "TD_QE"} for TDX ({@code "QE"}, {@code "QVE"} for SGX). Hex members are kept as the
 * bytes they spell ({@code miscselect} "00000000" is 4 bytes, big-endian as written). {@link
 * #parseResponse} keeps the exact served bytes of the {@code enclaveIdentity} value.
 */
public record QeIdentity(
    String id,
    int version,
    Instant issueDate,
    Instant nextUpdate,
    long tcbEvaluationDataNumber,
    Bytes miscselect,
    Bytes miscselectMask,
    Bytes attributes,
    Bytes attributesMask,
    Bytes mrSigner,
    int isvProdId,
    List<QeTcbLevel> tcbLevels) {
  public static final String ID_TD_QE = "TD_QE";
  public static final int VERSION_2 = 2;

  public QeIdentity {
    LayoutWriter.checkLength(miscselect, 4, "miscselect");
    LayoutWriter.checkLength(miscselectMask, 4, "miscselectMask");
    LayoutWriter.checkLength(attributes, 16, "attributes");
    LayoutWriter.checkLength(attributesMask, 16, "attributesMask");
    LayoutWriter.checkLength(mrSigner, 32, "mrsigner");
    tcbLevels = List.copyOf(tcbLevels);
  }

  /** A QE TCB level: {@code {"tcb":{"isvsvn":n},"tcbDate":…,"tcbStatus":…}}. */
  public record QeTcbLevel(int isvSvn, Instant tcbDate, TcbStatus tcbStatus, List<String> advisoryIds) {
    public QeTcbLevel {
      advisoryIds = List.copyOf(advisoryIds);
    }
  }

  /** {@code miscselect} as the unsigned 32-bit value its hex spells. */
  public long miscselectValue() {
    return Long.parseLong(miscselect.hex(), 16);
  }

  public long miscselectMaskValue() {
    return Long.parseLong(miscselectMask.hex(), 16);
  }

  /** Parses a PCS response {@code {"enclaveIdentity":{…},"signature":"…"}}. */
  public static SignedCollateral<QeIdentity> parseResponse(byte[] response) throws MalformedLayoutException {
    SignedCollateral.Envelope e = SignedCollateral.envelope(response, "enclaveIdentity", "qe_identity_response");
    return new SignedCollateral<>(fromJson(new JsonFields(e.body(), "enclaveIdentity")), e.signedBody(), e.signature());
  }

  /** Parses a bare {@code enclaveIdentity} body. */
  public static QeIdentity parse(byte[] body) throws MalformedLayoutException {
    return fromJson(new JsonFields(Json.parse(body, "enclaveIdentity"), "enclaveIdentity"));
  }

  private static QeIdentity fromJson(JsonFields f) throws MalformedLayoutException {
    int version = (int) f.integer("version", 1000);
    if (version != VERSION_2) {
      throw new MalformedLayoutException("enclaveIdentity.version", 0, "unsupported QE Identity version " + version + " (2 expected)");
    }
    List<QeTcbLevel> levels = new ArrayList<>();
    for (JsonFields l : f.objects("tcbLevels")) {
      levels.add(
          new QeTcbLevel(
              (int) l.object("tcb").integer("isvsvn", 65535),
              l.instant("tcbDate"),
              TcbStatus.parse(l, "tcbStatus", "enclaveIdentity.tcbLevels"),
              l.has("advisoryIDs") ? l.strings("advisoryIDs") : List.of()));
    }
    return new QeIdentity(
        f.string("id"),
        version,
        f.instant("issueDate"),
        f.instant("nextUpdate"),
        f.integer("tcbEvaluationDataNumber", 0xffffffffL),
        f.hex("miscselect", 4),
        f.hex("miscselectMask", 4),
        f.hex("attributes", 16),
        f.hex("attributesMask", 16),
        f.hex("mrsigner", 32),
        (int) f.integer("isvprodid", 65535),
        levels);
  }

  /** Compact JSON of this body in PCS member order. */
  public byte[] toJson() {
    JsonWriter w = new JsonWriter().begin();
    w.str("id", id).num("version", version).time("issueDate", issueDate).time("nextUpdate", nextUpdate);
    w.num("tcbEvaluationDataNumber", tcbEvaluationDataNumber);
    w.hex("miscselect", miscselect).hex("miscselectMask", miscselectMask).hex("attributes", attributes).hex("attributesMask", attributesMask);
    w.hex("mrsigner", mrSigner).num("isvprodid", isvProdId);
    w.arr(
        "tcbLevels",
        tcbLevels,
        (x, l) -> {
          x.obj("tcb", t -> t.num("isvsvn", l.isvSvn())).time("tcbDate", l.tcbDate()).str("tcbStatus", l.tcbStatus().pcsName());
          if (!l.advisoryIds().isEmpty()) {
            x.strings("advisoryIDs", l.advisoryIds());
          }
        });
    return w.end().toBytes();
  }
}
