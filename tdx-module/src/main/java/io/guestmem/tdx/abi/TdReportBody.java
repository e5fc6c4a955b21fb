package io.guestmem.tdx.abi;

import java.util.List;
import java.util.Optional;

/**
 * The TD quote body: TD 1.0 (584 B = 0x248) or TD 1.5 (648 B = 0x288) (Intel TDX DCAP Quote
 * Generation Library spec, "TD Quote Body"; DCAP {@code sgx_report2_body_t} / {@code
 * sgx_report2_body_v1_5_t}). Offsets are body-relative.
 *
 * <pre>
 * 0x000 16  TEE_TCB_SVN        [0] module ISVSVN, [1] module major version
 * 0x010 48  MRSEAM
 * 0x040 48  MRSIGNERSEAM
 * 0x070  8  SEAMATTRIBUTES
 * 0x078  8  TDATTRIBUTES
 * 0x080  8  XFAM
 * 0x088 48  MRTD
 * 0x0B8 48  MRCONFIGID
 * 0x0E8 48  MROWNER
 * 0x118 48  MROWNERCONFIG
 * 0x148 4x48 RTMR0..3
 * 0x208 64  REPORTDATA
 * 0x248 16  TEE_TCB_SVN2       TD 1.5 only
 * 0x258 48  MRSERVICETD        TD 1.5 only
 * </pre>
 */
public record TdReportBody(
    Kind kind,
    Bytes teeTcbSvn,
    Bytes mrSeam,
    Bytes mrSignerSeam,
    long seamAttributes,
    TdAttributes tdAttributes,
    Xfam xfam,
    Bytes mrTd,
    Bytes mrConfigId,
    Bytes mrOwner,
    Bytes mrOwnerConfig,
    List<Bytes> rtmrs,
    Bytes reportData,
    Optional<Bytes> teeTcbSvn2,
    Optional<Bytes> mrServiceTd) {

  /** The body flavour; {@link #v5BodyType()} is its quote v5 body-descriptor type. */
  public enum Kind {
    TD10(0x248, 2),
    TD15(0x288, 3);

    private final int size;
    private final int v5BodyType;

    Kind(int size, int v5BodyType) {
      this.size = size;
      this.v5BodyType = v5BodyType;
    }

    public int size() {
      return size;
    }

    public int v5BodyType() {
      return v5BodyType;
    }
  }

  public static final int TD10_SIZE = 0x248;
  public static final int TD15_SIZE = 0x288;

  static final int TEE_TCB_SVN = 0x000;
  static final int MRSEAM = 0x010;
  static final int MRSIGNERSEAM = 0x040;
  static final int SEAMATTRIBUTES = 0x070;
  static final int TDATTRIBUTES = 0x078;
  static final int XFAM = 0x080;
  static final int MRTD = 0x088;
  static final int MRCONFIGID = 0x0B8;
  static final int MROWNER = 0x0E8;
  static final int MROWNERCONFIG = 0x118;
  static final int RTMR0 = 0x148;
  static final int REPORTDATA = 0x208;
  static final int TEE_TCB_SVN2 = 0x248;
  static final int MRSERVICETD = 0x258;

  public TdReportBody {
    LayoutWriter.checkLength(teeTcbSvn, 16, "TEE_TCB_SVN");
    LayoutWriter.checkLength(mrSeam, 48, "MRSEAM");
    LayoutWriter.checkLength(mrSignerSeam, 48, "MRSIGNERSEAM");
    LayoutWriter.checkLength(mrTd, 48, "MRTD");
    LayoutWriter.checkLength(mrConfigId, 48, "MRCONFIGID");
    LayoutWriter.checkLength(mrOwner, 48, "MROWNER");
    LayoutWriter.checkLength(mrOwnerConfig, 48, "MROWNERCONFIG");
    rtmrs = List.copyOf(rtmrs);
    if (rtmrs.size() != 4) {
      throw new IllegalArgumentException("4 RTMRs required");
    }
    for (Bytes rtmr : rtmrs) {
      LayoutWriter.checkLength(rtmr, 48, "RTMR");
    }
    LayoutWriter.checkLength(reportData, 64, "REPORTDATA");
    boolean td15 = kind == Kind.TD15;
    if (teeTcbSvn2.isPresent() != td15 || mrServiceTd.isPresent() != td15) {
      throw new IllegalArgumentException("TEE_TCB_SVN2 and MRSERVICETD are present exactly for TD 1.5 bodies");
    }
    teeTcbSvn2.ifPresent(b -> LayoutWriter.checkLength(b, 16, "TEE_TCB_SVN2"));
    mrServiceTd.ifPresent(b -> LayoutWriter.checkLength(b, 48, "MRSERVICETD"));
  }

  public int size() {
    return kind.size();
  }

  /** RTMR {@code index} (0..3). */
  public Bytes rtmr(int index) {
    return rtmrs.get(index);
  }

  /** Parses a body of exactly the size of {@code kind}. */
  public static TdReportBody parse(byte[] raw, Kind kind) throws MalformedLayoutException {
    if (raw.length != kind.size()) {
      throw new MalformedLayoutException(
          "td_report_body", 0, "size is " + raw.length + ", a " + kind + " body has " + kind.size());
    }
    return parse(new LayoutReader(raw), 0, kind);
  }

  static TdReportBody parse(LayoutReader r, int at, Kind kind) throws MalformedLayoutException {
    r.require(at, kind.size(), "quote.body");
    Bytes[] rtmr = new Bytes[4];
    for (int i = 0; i < 4; i++) {
      rtmr[i] = r.bytes(at + RTMR0 + 48 * i, 48, "quote.body.rtmr" + i);
    }
    boolean td15 = kind == Kind.TD15;
    return new TdReportBody(
        kind,
        r.bytes(at + TEE_TCB_SVN, 16, "quote.body.tee_tcb_svn"),
        r.bytes(at + MRSEAM, 48, "quote.body.mr_seam"),
        r.bytes(at + MRSIGNERSEAM, 48, "quote.body.mr_signer_seam"),
        r.u64(at + SEAMATTRIBUTES, "quote.body.seam_attributes"),
        TdAttributes.fromBits(r.u64(at + TDATTRIBUTES, "quote.body.td_attributes")),
        Xfam.fromBits(r.u64(at + XFAM, "quote.body.xfam")),
        r.bytes(at + MRTD, 48, "quote.body.mr_td"),
        r.bytes(at + MRCONFIGID, 48, "quote.body.mr_config_id"),
        r.bytes(at + MROWNER, 48, "quote.body.mr_owner"),
        r.bytes(at + MROWNERCONFIG, 48, "quote.body.mr_owner_config"),
        List.of(rtmr),
        r.bytes(at + REPORTDATA, 64, "quote.body.report_data"),
        td15 ? Optional.of(r.bytes(at + TEE_TCB_SVN2, 16, "quote.body.tee_tcb_svn2")) : Optional.empty(),
        td15 ? Optional.of(r.bytes(at + MRSERVICETD, 48, "quote.body.mr_service_td")) : Optional.empty());
  }

  public byte[] toBytes() {
    LayoutWriter w =
        new LayoutWriter()
            .bytes(teeTcbSvn)
            .bytes(mrSeam)
            .bytes(mrSignerSeam)
            .u64(seamAttributes)
            .u64(tdAttributes.bits())
            .u64(xfam.bits())
            .bytes(mrTd)
            .bytes(mrConfigId)
            .bytes(mrOwner)
            .bytes(mrOwnerConfig);
    rtmrs.forEach(w::bytes);
    w.bytes(reportData);
    teeTcbSvn2.ifPresent(w::bytes);
    mrServiceTd.ifPresent(w::bytes);
    return w.toByteArray();
  }
}
