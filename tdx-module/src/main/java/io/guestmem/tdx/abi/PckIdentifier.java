package io.guestmem.tdx.abi;

/**
 * Certification data types 1–3: the PCK identifier, i.e. the PPID (16 B plaintext for type 1,
 * 256 B RSA-2048-OAEP or 384 B RSA-3072-OAEP ciphertext for types 2 and 3) followed by CPUSVN
 * (16 B), PCESVN (u16) and PCE-ID (u16) (DCAP {@code sgx_ql_ppid_*_cert_info_t}).
 */
public record PckIdentifier(int type, Bytes ppid, Bytes cpuSvn, int pceSvn, int pceId)
    implements CertificationData {

  public PckIdentifier {
    if (type < 1 || type > 3) {
      throw new IllegalArgumentException("PCK identifier types are 1..3");
    }
    LayoutWriter.checkLength(ppid, ppidSize(type), "PPID");
    LayoutWriter.checkLength(cpuSvn, 16, "CPUSVN");
  }

  /** PPID size in bytes for type 1, 2 or 3. */
  public static int ppidSize(int type) {
    return switch (type) {
      case 1 -> 16;
      case 2 -> 256;
      case 3 -> 384;
      default -> throw new IllegalArgumentException("PCK identifier types are 1..3");
    };
  }

  static PckIdentifier parse(LayoutReader r, int at, int type, String name) throws MalformedLayoutException {
    int ppidSize = ppidSize(type);
    int expected = ppidSize + 20;
    if (r.end() - at != expected) {
      throw new MalformedLayoutException(
          name + ".data", at, "PCK identifier type " + type + " has " + expected + " bytes, got " + (r.end() - at));
    }
    return new PckIdentifier(
        type,
        r.bytes(at, ppidSize, name + ".ppid"),
        r.bytes(at + ppidSize, 16, name + ".cpu_svn"),
        r.u16(at + ppidSize + 16, name + ".pce_svn"),
        r.u16(at + ppidSize + 18, name + ".pce_id"));
  }

  @Override
  public byte[] dataBytes() {
    return new LayoutWriter().bytes(ppid).bytes(cpuSvn).u16(pceSvn).u16(pceId).toByteArray();
  }
}
