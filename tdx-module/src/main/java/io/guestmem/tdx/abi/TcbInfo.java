package io.guestmem.tdx.abi;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * TCB Info version 3 (Intel PCS API v4, {@code GET /tdx/certification/v4/tcb} and {@code
 * /sgx/certification/v4/tcb}): id {@code "TDX"} with {@code tdxModule}, {@code
 * tdxModuleIdentities} and {@code tdxtcbcomponents}, or id {@code "SGX"} without them. Levels
 * are kept in served (descending) order. {@link #parseResponse} keeps the exact served bytes of
 * the {@code tcbInfo} value for the signature check.
 */
public record TcbInfo(
    String id,
    int version,
    Instant issueDate,
    Instant nextUpdate,
    Bytes fmspc,
    Bytes pceId,
    int tcbType,
    long tcbEvaluationDataNumber,
    Optional<TdxModule> tdxModule,
    List<TdxModuleIdentity> tdxModuleIdentities,
    List<TcbLevel> tcbLevels) {
  public static final String ID_TDX = "TDX";
  public static final String ID_SGX = "SGX";
  public static final int VERSION_3 = 3;

  public TcbInfo {
    LayoutWriter.checkLength(fmspc, 6, "fmspc");
    LayoutWriter.checkLength(pceId, 2, "pceId");
    tdxModuleIdentities = List.copyOf(tdxModuleIdentities);
    tcbLevels = List.copyOf(tcbLevels);
  }

  /** {@code tdxModule}: the expected SEAM signer and attributes. */
  public record TdxModule(Bytes mrSigner, Bytes attributes, Bytes attributesMask) {
    public TdxModule {
      LayoutWriter.checkLength(mrSigner, 48, "mrsigner");
      LayoutWriter.checkLength(attributes, 8, "attributes");
      LayoutWriter.checkLength(attributesMask, 8, "attributesMask");
    }
  }

  /** One of {@code tdxModuleIdentities}, id {@code TDX_%02X} of the module major version. */
  public record TdxModuleIdentity(
      String id, Bytes mrSigner, Bytes attributes, Bytes attributesMask, List<ModuleTcbLevel> tcbLevels) {
    public TdxModuleIdentity {
      LayoutWriter.checkLength(mrSigner, 48, "mrsigner");
      LayoutWriter.checkLength(attributes, 8, "attributes");
      LayoutWriter.checkLength(attributesMask, 8, "attributesMask");
      tcbLevels = List.copyOf(tcbLevels);
    }
  }

  /** A TCB level of a module identity: {@code {"tcb":{"isvsvn":n},…}}. */
  public record ModuleTcbLevel(int isvSvn, Instant tcbDate, TcbStatus tcbStatus, List<String> advisoryIds) {
    public ModuleTcbLevel {
      advisoryIds = List.copyOf(advisoryIds);
    }
  }

  /** A platform TCB level. {@code tdxTcbComponents} is empty for SGX TCB Info. */
  public record TcbLevel(
      List<TcbComponent> sgxTcbComponents,
      int pceSvn,
      List<TcbComponent> tdxTcbComponents,
      Instant tcbDate,
      TcbStatus tcbStatus,
      List<String> advisoryIds) {
    public TcbLevel {
      sgxTcbComponents = List.copyOf(sgxTcbComponents);
      tdxTcbComponents = List.copyOf(tdxTcbComponents);
      advisoryIds = List.copyOf(advisoryIds);
      if (sgxTcbComponents.size() != 16 || !(tdxTcbComponents.isEmpty() || tdxTcbComponents.size() == 16)) {
        throw new IllegalArgumentException("16 SGX (and 0 or 16 TDX) TCB components required");
      }
    }
  }

  /** A TCB component: its SVN and optional category/type labels. */
  public record TcbComponent(int svn, Optional<String> category, Optional<String> type) {
    public static TcbComponent of(int svn) {
      return new TcbComponent(svn, Optional.empty(), Optional.empty());
    }
  }

  /** Parses a PCS response {@code {"tcbInfo":{…},"signature":"…"}}. */
  public static SignedCollateral<TcbInfo> parseResponse(byte[] response) throws MalformedLayoutException {
    SignedCollateral.Envelope e = SignedCollateral.envelope(response, "tcbInfo", "tcb_info_response");
    return new SignedCollateral<>(fromJson(new JsonFields(e.body(), "tcbInfo")), e.signedBody(), e.signature());
  }

  /** Parses a bare {@code tcbInfo} body (as served; e.g. stored apart from its signature). */
  public static TcbInfo parse(byte[] body) throws MalformedLayoutException {
    return fromJson(new JsonFields(Json.parse(body, "tcbInfo"), "tcbInfo"));
  }

  private static TcbInfo fromJson(JsonFields f) throws MalformedLayoutException {
    String id = f.string("id");
    if (!id.equals(ID_TDX) && !id.equals(ID_SGX)) {
      throw new MalformedLayoutException("tcbInfo.id", 0, "unknown TCB Info id \"" + id + "\"");
    }
    int version = (int) f.integer("version", 1000);
    if (version != VERSION_3) {
      throw new MalformedLayoutException("tcbInfo.version", 0, "unsupported TCB Info version " + version + " (3 expected)");
    }
    boolean tdx = id.equals(ID_TDX);
    Optional<TdxModule> module = Optional.empty();
    List<TdxModuleIdentity> identities = new ArrayList<>();
    if (tdx) {
      JsonFields m = f.object("tdxModule");
      module = Optional.of(new TdxModule(m.hex("mrsigner", 48), m.hex("attributes", 8), m.hex("attributesMask", 8)));
      if (f.has("tdxModuleIdentities")) {
        for (JsonFields mi : f.objects("tdxModuleIdentities")) {
          List<ModuleTcbLevel> levels = new ArrayList<>();
          for (JsonFields l : mi.objects("tcbLevels")) {
            levels.add(
                new ModuleTcbLevel(
                    (int) l.object("tcb").integer("isvsvn", 255),
                    l.instant("tcbDate"),
                    TcbStatus.parse(l, "tcbStatus", "tcbInfo.tdxModuleIdentities.tcbLevels"),
                    l.has("advisoryIDs") ? l.strings("advisoryIDs") : List.of()));
          }
          identities.add(
              new TdxModuleIdentity(
                  mi.string("id"), mi.hex("mrsigner", 48), mi.hex("attributes", 8), mi.hex("attributesMask", 8), levels));
        }
      }
    }
    List<TcbLevel> levels = new ArrayList<>();
    for (JsonFields l : f.objects("tcbLevels")) {
      JsonFields tcb = l.object("tcb");
      List<TcbComponent> sgx = components(tcb, "sgxtcbcomponents");
      List<TcbComponent> tdxComps = tdx ? components(tcb, "tdxtcbcomponents") : List.of();
      levels.add(
          new TcbLevel(
              sgx,
              (int) tcb.integer("pcesvn", 65535),
              tdxComps,
              l.instant("tcbDate"),
              TcbStatus.parse(l, "tcbStatus", "tcbInfo.tcbLevels"),
              l.has("advisoryIDs") ? l.strings("advisoryIDs") : List.of()));
    }
    return new TcbInfo(
        id,
        version,
        f.instant("issueDate"),
        f.instant("nextUpdate"),
        f.hex("fmspc", 6),
        f.hex("pceId", 2),
        (int) f.integer("tcbType", 255),
        f.integer("tcbEvaluationDataNumber", 0xffffffffL),
        module,
        identities,
        levels);
  }

  private static List<TcbComponent> components(JsonFields tcb, String name) throws MalformedLayoutException {
    List<JsonFields> items = tcb.objects(name);
    if (items.size() != 16) {
      throw new MalformedLayoutException("tcbInfo.tcbLevels.tcb." + name, 0, "expected 16 components, got " + items.size());
    }
    List<TcbComponent> out = new ArrayList<>();
    for (JsonFields c : items) {
      out.add(new TcbComponent((int) c.integer("svn", 255), c.optionalString("category"), c.optionalString("type")));
    }
    return out;
  }

  /** Compact JSON of this body in PCS member order (what the emulated PCS serves and signs). */
  public byte[] toJson() {
    JsonWriter w = new JsonWriter().begin();
    w.str("id", id).num("version", version).time("issueDate", issueDate).time("nextUpdate", nextUpdate);
    w.str("fmspc", fmspc.hex()).str("pceId", pceId.hex()).num("tcbType", tcbType).num("tcbEvaluationDataNumber", tcbEvaluationDataNumber);
    tdxModule.ifPresent(
        m -> w.obj("tdxModule", x -> x.hex("mrsigner", m.mrSigner()).hex("attributes", m.attributes()).hex("attributesMask", m.attributesMask())));
    if (tdxModule.isPresent()) {
      w.arr(
          "tdxModuleIdentities",
          tdxModuleIdentities,
          (x, mi) -> {
            x.str("id", mi.id()).hex("mrsigner", mi.mrSigner()).hex("attributes", mi.attributes()).hex("attributesMask", mi.attributesMask());
            x.arr(
                "tcbLevels",
                mi.tcbLevels(),
                (y, l) -> {
                  y.obj("tcb", z -> z.num("isvsvn", l.isvSvn())).time("tcbDate", l.tcbDate()).str("tcbStatus", l.tcbStatus().pcsName());
                  if (!l.advisoryIds().isEmpty()) {
                    y.strings("advisoryIDs", l.advisoryIds());
                  }
                });
          });
    }
    w.arr(
        "tcbLevels",
        tcbLevels,
        (x, l) -> {
          x.obj(
              "tcb",
              t -> {
                t.arr("sgxtcbcomponents", l.sgxTcbComponents(), TcbInfo::component);
                t.num("pcesvn", l.pceSvn());
                if (!l.tdxTcbComponents().isEmpty()) {
                  t.arr("tdxtcbcomponents", l.tdxTcbComponents(), TcbInfo::component);
                }
              });
          x.time("tcbDate", l.tcbDate()).str("tcbStatus", l.tcbStatus().pcsName());
          if (!l.advisoryIds().isEmpty()) {
            x.strings("advisoryIDs", l.advisoryIds());
          }
        });
    return w.end().toBytes();
  }

  private static void component(JsonWriter w, TcbComponent c) {
    w.num("svn", c.svn());
    c.category().ifPresent(v -> w.str("category", v));
    c.type().ifPresent(v -> w.str("type", v));
  }
}
