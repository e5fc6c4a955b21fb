package io.guestmem.tdx.abi;

/**
 * The 384-byte SGX enclave REPORT BODY, here the quoting enclave's report inside QE report
 * certification data (Intel SGX SDM "REPORT"; DCAP {@code sgx_report_body_t}).
 *
 * <pre>
 * 0x000 16 CPUSVN          0x080 32 MRSIGNER        0x104  2 CONFIGSVN
 * 0x010  4 MISCSELECT      0x0A0 32 reserved        0x106 42 reserved
 * 0x014 12 reserved        0x0C0 64 CONFIGID        0x130 16 ISVFAMILYID
 * 0x020 16 ISVEXTPRODID    0x100  2 ISVPRODID       0x140 64 REPORTDATA
 * 0x030 16 ATTRIBUTES      0x102  2 ISVSVN
 * 0x040 32 MRENCLAVE
 * 0x060 32 reserved
 * </pre>
 */
public record SgxReportBody(
    Bytes cpuSvn,
    long miscSelect,
    Bytes reserved1,
    Bytes isvExtProdId,
    Bytes attributes,
    Bytes mrEnclave,
    Bytes reserved2,
    Bytes mrSigner,
    Bytes reserved3,
    Bytes configId,
    int isvProdId,
    int isvSvn,
    int configSvn,
    Bytes reserved4,
    Bytes isvFamilyId,
    Bytes reportData) {
  public static final int SIZE = 384;

  public SgxReportBody {
    LayoutWriter.checkLength(cpuSvn, 16, "CPUSVN");
    LayoutWriter.checkLength(reserved1, 12, "reserved1");
    LayoutWriter.checkLength(isvExtProdId, 16, "ISVEXTPRODID");
    LayoutWriter.checkLength(attributes, 16, "ATTRIBUTES");
    LayoutWriter.checkLength(mrEnclave, 32, "MRENCLAVE");
    LayoutWriter.checkLength(reserved2, 32, "reserved2");
    LayoutWriter.checkLength(mrSigner, 32, "MRSIGNER");
    LayoutWriter.checkLength(reserved3, 32, "reserved3");
    LayoutWriter.checkLength(configId, 64, "CONFIGID");
    LayoutWriter.checkLength(reserved4, 42, "reserved4");
    LayoutWriter.checkLength(isvFamilyId, 16, "ISVFAMILYID");
    LayoutWriter.checkLength(reportData, 64, "REPORTDATA");
  }

  /** MISCSELECT as its 4 little-endian bytes (the form QE Identity compares). */
  public Bytes miscSelectBytes() {
    return Bytes.of(new LayoutWriter().u32(miscSelect).toByteArray());
  }

  public static SgxReportBody parse(byte[] raw) throws MalformedLayoutException {
    if (raw.length != SIZE) {
      throw new MalformedLayoutException("sgx_report_body", 0, "size is " + raw.length + ", must be 384");
    }
    return parse(new LayoutReader(raw), 0, "sgx_report_body");
  }

  static SgxReportBody parse(LayoutReader r, int at, String name) throws MalformedLayoutException {
    r.require(at, SIZE, name);
    return new SgxReportBody(
        r.bytes(at, 16, name + ".cpu_svn"),
        r.u32(at + 0x10, name + ".misc_select"),
        r.bytes(at + 0x14, 12, name + ".reserved1"),
        r.bytes(at + 0x20, 16, name + ".isv_ext_prod_id"),
        r.bytes(at + 0x30, 16, name + ".attributes"),
        r.bytes(at + 0x40, 32, name + ".mr_enclave"),
        r.bytes(at + 0x60, 32, name + ".reserved2"),
        r.bytes(at + 0x80, 32, name + ".mr_signer"),
        r.bytes(at + 0xA0, 32, name + ".reserved3"),
        r.bytes(at + 0xC0, 64, name + ".config_id"),
        r.u16(at + 0x100, name + ".isv_prod_id"),
        r.u16(at + 0x102, name + ".isv_svn"),
        r.u16(at + 0x104, name + ".config_svn"),
        r.bytes(at + 0x106, 42, name + ".reserved4"),
        r.bytes(at + 0x130, 16, name + ".isv_family_id"),
        r.bytes(at + 0x140, 64, name + ".report_data"));
  }

  public byte[] toBytes() {
    return new LayoutWriter()
        .bytes(cpuSvn)
        .u32(miscSelect)
        .bytes(reserved1)
        .bytes(isvExtProdId)
        .bytes(attributes)
        .bytes(mrEnclave)
        .bytes(reserved2)
        .bytes(mrSigner)
        .bytes(reserved3)
        .bytes(configId)
        .u16(isvProdId)
        .u16(isvSvn)
        .u16(configSvn)
        .bytes(reserved4)
        .bytes(isvFamilyId)
        .bytes(reportData)
        .toByteArray();
  }
}
