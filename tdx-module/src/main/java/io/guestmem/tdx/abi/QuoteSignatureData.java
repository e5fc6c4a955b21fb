package io.guestmem.tdx.abi;

/**
 * The ECDSA-256 quote signature data that follows {@code u32 sig_data_len} (Intel TDX DCAP Quote
 * Generation Library spec, "ECDSA 256-bit Quote Signature Data Structure").
 *
 * <pre>
 * 0    64  quote signature r‖s, big-endian, ECDSA P-256 / SHA-256 over header (‖ descriptor) ‖ body
 * 64   64  attestation public key x‖y (raw; prefix 0x04 for an uncompressed point)
 * 128 6+n  certification data (type 6 in real quotes)
 * </pre>
 */
public record QuoteSignatureData(Bytes signature, Bytes attestationKey, CertificationData certificationData) {
  static final int SIGNATURE = 0;
  static final int ATTESTATION_KEY = 64;
  static final int CERTIFICATION_DATA = 128;

  public QuoteSignatureData {
    LayoutWriter.checkLength(signature, 64, "quote signature");
    LayoutWriter.checkLength(attestationKey, 64, "attestation key");
  }

  static QuoteSignatureData parse(LayoutReader r, int at) throws MalformedLayoutException {
    return new QuoteSignatureData(
        r.bytes(at + SIGNATURE, 64, "quote.signature_data.signature"),
        r.bytes(at + ATTESTATION_KEY, 64, "quote.signature_data.attestation_key"),
        CertificationData.parse(r, at + CERTIFICATION_DATA, "quote.signature_data.certification_data", false));
  }

  public byte[] toBytes() {
    return new LayoutWriter()
        .bytes(signature)
        .bytes(attestationKey)
        .bytes(certificationData.toBytes())
        .toByteArray();
  }
}
