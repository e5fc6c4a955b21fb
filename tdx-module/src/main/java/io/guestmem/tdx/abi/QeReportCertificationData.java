package io.guestmem.tdx.abi;

/**
 * Certification data type 6, QE report certification data (Intel TDX DCAP Quote Generation
 * Library spec, "QE Report Certification Data"). Offsets are relative to the data.
 *
 * <pre>
 * 0        384  QE report (SGX report body)          signed by the PCK key
 * 384       64  QE report signature r‖s, big-endian  ECDSA P-256 / SHA-256 over the 384 bytes
 * 448        2  QE authentication data size n
 * 450        n  QE authentication data
 * 450+n  6 + m  certification data (type 5 in real quotes)
 * </pre>
 *
 * Binding rule (checked by the verifier): {@code QE.REPORTDATA[0..32) = SHA-256(attestation key ‖
 * QE authentication data)} and {@code REPORTDATA[32..64)} zero.
 */
public record QeReportCertificationData(
    SgxReportBody qeReport, Bytes qeReportSignature, Bytes qeAuthData, CertificationData certificationData)
    implements CertificationData {
  static final int QE_REPORT = 0;
  static final int QE_REPORT_SIGNATURE = 384;
  static final int QE_AUTH_DATA_SIZE = 448;
  static final int QE_AUTH_DATA = 450;

  public QeReportCertificationData {
    LayoutWriter.checkLength(qeReportSignature, 64, "QE report signature");
    if (qeAuthData.length() > 0xffff) {
      throw new IllegalArgumentException("QE authentication data is at most 65535 bytes");
    }
    if (certificationData instanceof QeReportCertificationData) {
      throw new IllegalArgumentException("type 6 cannot nest");
    }
  }

  @Override
  public int type() {
    return TYPE_QE_REPORT_CERTIFICATION_DATA;
  }

  static QeReportCertificationData parse(LayoutReader r, int at, String name) throws MalformedLayoutException {
    SgxReportBody report = SgxReportBody.parse(r, at + QE_REPORT, name + ".qe_report");
    Bytes sig = r.bytes(at + QE_REPORT_SIGNATURE, 64, name + ".qe_report_signature");
    int authSize = r.u16(at + QE_AUTH_DATA_SIZE, name + ".qe_auth_data_size");
    Bytes auth = r.bytes(at + QE_AUTH_DATA, authSize, name + ".qe_auth_data");
    int innerAt = at + QE_AUTH_DATA + authSize;
    CertificationData inner = CertificationData.parse(r, innerAt, name + ".certification_data", true);
    return new QeReportCertificationData(report, sig, auth, inner);
  }

  @Override
  public byte[] dataBytes() {
    return new LayoutWriter()
        .bytes(qeReport.toBytes())
        .bytes(qeReportSignature)
        .u16(qeAuthData.length())
        .bytes(qeAuthData)
        .bytes(certificationData.toBytes())
        .toByteArray();
  }
}
