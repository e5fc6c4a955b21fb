package io.guestmem.tdx.abi;

/**
 * Certification data of an ECDSA quote: {@code u16 type}, {@code u32 size}, {@code size} bytes
 * (Intel TDX DCAP Quote Generation Library spec, "Certification Data"). Types:
 *
 * <table>
 *   <tr><th>type</th><th>content</th><th>value class</th></tr>
 *   <tr><td>1</td><td>PPID plaintext, CPUSVN, PCESVN, PCE-ID</td><td>{@link PckIdentifier}</td></tr>
 *   <tr><td>2</td><td>PPID RSA-2048-OAEP encrypted, CPUSVN, PCESVN, PCE-ID</td><td>{@link PckIdentifier}</td></tr>
 *   <tr><td>3</td><td>PPID RSA-3072-OAEP encrypted, CPUSVN, PCESVN, PCE-ID</td><td>{@link PckIdentifier}</td></tr>
 *   <tr><td>4</td><td>PCK leaf certificate (PEM)</td><td>{@link PckCertChain} with one certificate</td></tr>
 *   <tr><td>5</td><td>PCK certificate chain (PEM, leaf first)</td><td>{@link PckCertChain}</td></tr>
 *   <tr><td>6</td><td>QE report certification data, wrapping another certification data</td><td>{@link QeReportCertificationData}</td></tr>
 *   <tr><td>7</td><td>platform manifest (opaque)</td><td>{@link PlatformManifest}</td></tr>
 * </table>
 *
 * The declared size must equal the bytes the enclosing structure leaves for it, exactly. Which
 * types are acceptable where (outer 6, inner 5) is the verifier's decision, except that a type 6
 * may not nest inside another type 6.
 */
public sealed interface CertificationData
    permits PckIdentifier, PckCertChain, QeReportCertificationData, PlatformManifest {
  int TYPE_PPID_CLEARTEXT = 1;
  int TYPE_PPID_RSA2048_OAEP = 2;
  int TYPE_PPID_RSA3072_OAEP = 3;
  int TYPE_PCK_LEAF_CERT = 4;
  int TYPE_PCK_CERT_CHAIN = 5;
  int TYPE_QE_REPORT_CERTIFICATION_DATA = 6;
  int TYPE_PLATFORM_MANIFEST = 7;

  /** Size of the type and size fields that precede the data. */
  int HEADER_SIZE = 6;

  /** The certification data type (1..7). */
  int type();

  /** The data bytes, without the type and size fields. */
  byte[] dataBytes();

  /** Type, size and data, as they appear in a quote. */
  default byte[] toBytes() {
    byte[] data = dataBytes();
    return new LayoutWriter().u16(type()).u32(data.length).bytes(data).toByteArray();
  }

  /**
   * Parses certification data that must fill {@code r}'s window from {@code at} to its end.
   */
  static CertificationData parse(LayoutReader r, int at, String name, boolean nested)
      throws MalformedLayoutException {
    int type = r.u16(at, name + ".type");
    long size = r.u32(at + 2, name + ".size");
    int dataAt = at + HEADER_SIZE;
    long available = r.end() - (long) dataAt;
    if (size != available) {
      throw new MalformedLayoutException(
          name + ".size",
          at + 2,
          "certification data size is 0x" + Long.toHexString(size) + ", the enclosing structure leaves 0x"
              + Long.toHexString(Math.max(0, available)));
    }
    LayoutReader data = r.window(dataAt, size, name + ".data");
    switch (type) {
      case TYPE_PPID_CLEARTEXT, TYPE_PPID_RSA2048_OAEP, TYPE_PPID_RSA3072_OAEP:
        return PckIdentifier.parse(data, dataAt, type, name);
      case TYPE_PCK_LEAF_CERT, TYPE_PCK_CERT_CHAIN:
        return PckCertChain.parse(data, dataAt, type, name);
      case TYPE_QE_REPORT_CERTIFICATION_DATA:
        if (nested) {
          throw new MalformedLayoutException(name + ".type", at, "QE report certification data (6) cannot nest inside type 6");
        }
        return QeReportCertificationData.parse(data, dataAt, name);
      case TYPE_PLATFORM_MANIFEST:
        return new PlatformManifest(data.bytes(dataAt, (int) size, name + ".data"));
      default:
        throw new MalformedLayoutException(name + ".type", at, "unsupported certification data type " + type);
    }
  }
}
