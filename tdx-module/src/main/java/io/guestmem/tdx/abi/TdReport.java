package io.guestmem.tdx.abi;

import java.util.List;

/**
 * TDREPORT_STRUCT, the 1024-byte output of {@code TDG.MR.REPORT} (Intel TDX Module ABI spec,
 * "TDREPORT_STRUCT", "REPORTMACSTRUCT", "TEE_TCB_INFO", "TDINFO_STRUCT").
 *
 * <pre>
 * 0x000 256 REPORTMACSTRUCT
 *   0x00  4 REPORTTYPE (type 0x81 = TDX, subtype, version, reserved)
 *   0x04 12 reserved
 *   0x10 16 CPUSVN
 *   0x20 48 TEE_TCB_INFO_HASH   SHA-384(TEE_TCB_INFO)
 *   0x50 48 TEE_INFO_HASH       SHA-384(TDINFO)
 *   0x80 64 REPORTDATA
 *   0xC0 32 reserved
 *   0xE0 32 MAC                 over REPORTMACSTRUCT[0, 0xE0)
 * 0x100 239 TEE_TCB_INFO
 *   0x00  8 VALID   0x08 16 TEE_TCB_SVN   0x18 48 MRSEAM   0x48 48 MRSIGNERSEAM
 *   0x78  8 ATTRIBUTES   0x80 16 TEE_TCB_SVN2   0x90 95 reserved
 * 0x1EF  17 reserved
 * 0x200 512 TDINFO
 *   0x000 8 ATTRIBUTES   0x008 8 XFAM   0x010 48 MRTD   0x040 48 MRCONFIGID   0x070 48 MROWNER
 *   0x0A0 48 MROWNERCONFIG   0x0D0 4x48 RTMR0..3   0x190 48 SERVTD_HASH   0x1C0 64 reserved
 * </pre>
 */
public record TdReport(ReportMac reportMac, TeeTcbInfo teeTcbInfo, Bytes reserved, TdInfo tdInfo) {
  public static final int SIZE = 1024;
  public static final int REPORT_TYPE_TDX = 0x81;
  static final int TEE_TCB_INFO = 0x100;
  static final int RESERVED = 0x1EF;
  static final int TDINFO = 0x200;

  public TdReport {
    LayoutWriter.checkLength(reserved, 17, "reserved");
  }

  /** REPORTMACSTRUCT (256 B). */
  public record ReportMac(
      int reportType,
      int reportSubType,
      int reportVersion,
      int reportTypeReserved,
      Bytes reserved1,
      Bytes cpuSvn,
      Bytes teeTcbInfoHash,
      Bytes teeInfoHash,
      Bytes reportData,
      Bytes reserved2,
      Bytes mac) {
    public static final int SIZE = 256;
    /** The MAC covers REPORTMACSTRUCT bytes [0, MAC_OFFSET). */
    public static final int MAC_OFFSET = 0xE0;

    public ReportMac {
      LayoutWriter.checkLength(reserved1, 12, "reserved1");
      LayoutWriter.checkLength(cpuSvn, 16, "CPUSVN");
      LayoutWriter.checkLength(teeTcbInfoHash, 48, "TEE_TCB_INFO_HASH");
      LayoutWriter.checkLength(teeInfoHash, 48, "TEE_INFO_HASH");
      LayoutWriter.checkLength(reportData, 64, "REPORTDATA");
      LayoutWriter.checkLength(reserved2, 32, "reserved2");
      LayoutWriter.checkLength(mac, 32, "MAC");
    }

    static ReportMac parse(LayoutReader r, int at) throws MalformedLayoutException {
      return new ReportMac(
          r.u8(at, "tdreport.report_type.type"),
          r.u8(at + 1, "tdreport.report_type.subtype"),
          r.u8(at + 2, "tdreport.report_type.version"),
          r.u8(at + 3, "tdreport.report_type.reserved"),
          r.bytes(at + 0x04, 12, "tdreport.reserved1"),
          r.bytes(at + 0x10, 16, "tdreport.cpu_svn"),
          r.bytes(at + 0x20, 48, "tdreport.tee_tcb_info_hash"),
          r.bytes(at + 0x50, 48, "tdreport.tee_info_hash"),
          r.bytes(at + 0x80, 64, "tdreport.report_data"),
          r.bytes(at + 0xC0, 32, "tdreport.reserved2"),
          r.bytes(at + 0xE0, 32, "tdreport.mac"));
    }

    /** The bytes the MAC covers: everything before the MAC field. */
    public byte[] macedBytes() {
      byte[] all = toBytes();
      return java.util.Arrays.copyOf(all, MAC_OFFSET);
    }

    public byte[] toBytes() {
      return new LayoutWriter()
          .u8(reportType)
          .u8(reportSubType)
          .u8(reportVersion)
          .u8(reportTypeReserved)
          .bytes(reserved1)
          .bytes(cpuSvn)
          .bytes(teeTcbInfoHash)
          .bytes(teeInfoHash)
          .bytes(reportData)
          .bytes(reserved2)
          .bytes(mac)
          .toByteArray();
    }
  }

  /** TEE_TCB_INFO (239 B). */
  public record TeeTcbInfo(
      Bytes valid, Bytes teeTcbSvn, Bytes mrSeam, Bytes mrSignerSeam, long attributes, Bytes teeTcbSvn2, Bytes reserved) {
    public static final int SIZE = 239;

    public TeeTcbInfo {
      LayoutWriter.checkLength(valid, 8, "VALID");
      LayoutWriter.checkLength(teeTcbSvn, 16, "TEE_TCB_SVN");
      LayoutWriter.checkLength(mrSeam, 48, "MRSEAM");
      LayoutWriter.checkLength(mrSignerSeam, 48, "MRSIGNERSEAM");
      LayoutWriter.checkLength(teeTcbSvn2, 16, "TEE_TCB_SVN2");
      LayoutWriter.checkLength(reserved, 95, "reserved");
    }

    static TeeTcbInfo parse(LayoutReader r, int at) throws MalformedLayoutException {
      return new TeeTcbInfo(
          r.bytes(at, 8, "tdreport.tee_tcb_info.valid"),
          r.bytes(at + 0x08, 16, "tdreport.tee_tcb_info.tee_tcb_svn"),
          r.bytes(at + 0x18, 48, "tdreport.tee_tcb_info.mr_seam"),
          r.bytes(at + 0x48, 48, "tdreport.tee_tcb_info.mr_signer_seam"),
          r.u64(at + 0x78, "tdreport.tee_tcb_info.attributes"),
          r.bytes(at + 0x80, 16, "tdreport.tee_tcb_info.tee_tcb_svn2"),
          r.bytes(at + 0x90, 95, "tdreport.tee_tcb_info.reserved"));
    }

    public byte[] toBytes() {
      return new LayoutWriter()
          .bytes(valid)
          .bytes(teeTcbSvn)
          .bytes(mrSeam)
          .bytes(mrSignerSeam)
          .u64(attributes)
          .bytes(teeTcbSvn2)
          .bytes(reserved)
          .toByteArray();
    }
  }

  /** TDINFO_STRUCT (512 B). */
  public record TdInfo(
      TdAttributes attributes,
      Xfam xfam,
      Bytes mrTd,
      Bytes mrConfigId,
      Bytes mrOwner,
      Bytes mrOwnerConfig,
      List<Bytes> rtmrs,
      Bytes servTdHash,
      Bytes reserved) {
    public static final int SIZE = 512;

    public TdInfo {
      LayoutWriter.checkLength(mrTd, 48, "MRTD");
      LayoutWriter.checkLength(mrConfigId, 48, "MRCONFIGID");
      LayoutWriter.checkLength(mrOwner, 48, "MROWNER");
      LayoutWriter.checkLength(mrOwnerConfig, 48, "MROWNERCONFIG");
      rtmrs = List.copyOf(rtmrs);
      if (rtmrs.size() != 4) {
        throw new IllegalArgumentException("4 RTMRs required");
      }
      rtmrs.forEach(b -> LayoutWriter.checkLength(b, 48, "RTMR"));
      LayoutWriter.checkLength(servTdHash, 48, "SERVTD_HASH");
      LayoutWriter.checkLength(reserved, 64, "reserved");
    }

    static TdInfo parse(LayoutReader r, int at) throws MalformedLayoutException {
      Bytes[] rtmr = new Bytes[4];
      for (int i = 0; i < 4; i++) {
        rtmr[i] = r.bytes(at + 0xD0 + 48 * i, 48, "tdreport.td_info.rtmr" + i);
      }
      return new TdInfo(
          TdAttributes.fromBits(r.u64(at, "tdreport.td_info.attributes")),
          Xfam.fromBits(r.u64(at + 0x08, "tdreport.td_info.xfam")),
          r.bytes(at + 0x10, 48, "tdreport.td_info.mr_td"),
          r.bytes(at + 0x40, 48, "tdreport.td_info.mr_config_id"),
          r.bytes(at + 0x70, 48, "tdreport.td_info.mr_owner"),
          r.bytes(at + 0xA0, 48, "tdreport.td_info.mr_owner_config"),
          List.of(rtmr),
          r.bytes(at + 0x190, 48, "tdreport.td_info.servtd_hash"),
          r.bytes(at + 0x1C0, 64, "tdreport.td_info.reserved"));
    }

    public byte[] toBytes() {
      LayoutWriter w =
          new LayoutWriter()
              .u64(attributes.bits())
              .u64(xfam.bits())
              .bytes(mrTd)
              .bytes(mrConfigId)
              .bytes(mrOwner)
              .bytes(mrOwnerConfig);
      rtmrs.forEach(w::bytes);
      return w.bytes(servTdHash).bytes(reserved).toByteArray();
    }
  }

  public static TdReport parse(byte[] raw) throws MalformedLayoutException {
    if (raw.length != SIZE) {
      throw new MalformedLayoutException("tdreport", Math.min(raw.length, SIZE), "TDREPORT is 1024 bytes, got " + raw.length);
    }
    LayoutReader r = new LayoutReader(raw);
    ReportMac mac = ReportMac.parse(r, 0);
    if (mac.reportType() != REPORT_TYPE_TDX) {
      throw new MalformedLayoutException(
          "tdreport.report_type.type", 0, String.format("report type 0x%02x is not TDX (0x81)", mac.reportType()));
    }
    return new TdReport(
        mac,
        TeeTcbInfo.parse(r, TEE_TCB_INFO),
        r.bytes(RESERVED, 17, "tdreport.reserved"),
        TdInfo.parse(r, TDINFO));
  }

  public byte[] toBytes() {
    return new LayoutWriter()
        .bytes(reportMac.toBytes())
        .bytes(teeTcbInfo.toBytes())
        .bytes(reserved)
        .bytes(tdInfo.toBytes())
        .toByteArray();
  }
}
