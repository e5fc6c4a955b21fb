package io.guestmem.tdx.abi;

/**
 * The 48-byte quote header of TDX quotes v4 and v5 (Intel TDX DCAP Quote Generation Library
 * spec, "Quote Header"; DCAP {@code sgx_quote_4.h} {@code sgx_quote4_header_t}).
 *
 * <pre>
 * 0x00  2  version               4 or 5
 * 0x02  2  att_key_type          2 = ECDSA-256-with-P-256
 * 0x04  4  tee_type              0x81 = TDX
 * 0x08  4  reserved              (QE_SVN/PCE_SVN in SGX v3; zero in real TDX quotes) kept as is
 * 0x0C 16  qe_vendor_id
 * 0x1C 20  user_data
 * </pre>
 *
 * {@link #parse} checks the version, key type and TEE type; the QE vendor is left to the verifier.
 */
public record QuoteHeader(
    int version, int attestationKeyType, long teeType, Bytes reserved, Bytes qeVendorId, Bytes userData) {
  public static final int SIZE = 0x30;
  public static final int VERSION_4 = 4;
  public static final int VERSION_5 = 5;
  public static final int ATT_KEY_TYPE_ECDSA_P256 = 2;
  public static final long TEE_TYPE_TDX = 0x81;
  /** Intel's quoting enclave vendor ID. */
  public static final Bytes INTEL_QE_VENDOR_ID = Bytes.fromHex("939a7233f79c4ca9940a0db3957f0607");

  static final int VERSION = 0x00;
  static final int ATT_KEY_TYPE = 0x02;
  static final int TEE_TYPE = 0x04;
  static final int RESERVED = 0x08;
  static final int QE_VENDOR_ID = 0x0C;
  static final int USER_DATA = 0x1C;

  public QuoteHeader {
    LayoutWriter.checkLength(reserved, 4, "reserved");
    LayoutWriter.checkLength(qeVendorId, 16, "qe_vendor_id");
    LayoutWriter.checkLength(userData, 20, "user_data");
  }

  /** A TDX header with zero reserved bytes. */
  public static QuoteHeader tdx(int version, Bytes qeVendorId, Bytes userData) {
    return new QuoteHeader(version, ATT_KEY_TYPE_ECDSA_P256, TEE_TYPE_TDX, Bytes.zeros(4), qeVendorId, userData);
  }

  public static QuoteHeader parse(byte[] raw) throws MalformedLayoutException {
    return parse(new LayoutReader(raw), 0);
  }

  static QuoteHeader parse(LayoutReader r, int at) throws MalformedLayoutException {
    r.require(at, SIZE, "quote.header");
    int version = r.u16(at + VERSION, "quote.header.version");
    if (version != VERSION_4 && version != VERSION_5) {
      throw new MalformedLayoutException(
          "quote.header.version", at + VERSION, "unsupported quote version " + version + " (TDX quotes are 4 or 5)");
    }
    int keyType = r.u16(at + ATT_KEY_TYPE, "quote.header.att_key_type");
    if (keyType != ATT_KEY_TYPE_ECDSA_P256) {
      throw new MalformedLayoutException(
          "quote.header.att_key_type", at + ATT_KEY_TYPE, "unsupported attestation key type " + keyType + " (2 = ECDSA P-256)");
    }
    long tee = r.u32(at + TEE_TYPE, "quote.header.tee_type");
    if (tee != TEE_TYPE_TDX) {
      throw new MalformedLayoutException(
          "quote.header.tee_type", at + TEE_TYPE, String.format("unsupported TEE type 0x%x (0x81 = TDX)", tee));
    }
    return new QuoteHeader(
        version,
        keyType,
        tee,
        r.bytes(at + RESERVED, 4, "quote.header.reserved"),
        r.bytes(at + QE_VENDOR_ID, 16, "quote.header.qe_vendor_id"),
        r.bytes(at + USER_DATA, 20, "quote.header.user_data"));
  }

  public byte[] toBytes() {
    return new LayoutWriter()
        .u16(version)
        .u16(attestationKeyType)
        .u32(teeType)
        .bytes(reserved)
        .bytes(qeVendorId)
        .bytes(userData)
        .toByteArray();
  }
}
