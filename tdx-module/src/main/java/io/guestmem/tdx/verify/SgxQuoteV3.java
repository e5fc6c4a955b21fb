package io.guestmem.tdx.verify;

import io.guestmem.tdx.abi.MalformedLayoutException;
import io.guestmem.tdx.abi.PckCertChain;
import io.guestmem.tdx.abi.SgxReportBody;
import java.util.Arrays;

/**
 * An Intel SGX ECDSA quote, version 3 (Intel SGX ECDSA Quote Library API, "Quote Format"; DCAP
 * {@code sgx_quote_3.h}), read here because {@code tdx.abi} parses TDX quotes (v4/v5) only.
 *
 * <pre>
 * 0x000  48  header: u16 version = 3, u16 att_key_type = 2, u32 tee_type = 0, u16 QE_SVN, u16 PCE_SVN,
 *            16 qe_vendor_id, 20 user_data
 * 0x030 384  ISV enclave report body (SGX REPORT BODY)
 * 0x1B0   4  sig_data_len
 * 0x1B4      signature data: 64 quote signature r‖s | 64 attestation key x‖y | 384 QE report body |
 *            64 QE report signature | u16 QE auth data size n | n auth data |
 *            u16 certification data type (5) | u32 size | PEM PCK chain
 * </pre>
 *
 * The quote signature covers bytes [0, 0x1B0). Bytes after the signature data are kept as
 * trailing bytes, as for TDX quotes.
 */
record SgxQuoteV3(byte[] raw, byte[] qeVendorId, int qeSvn, int pceSvn, SgxReportBody enclaveReport,
    byte[] signature, byte[] attestationKey, byte[] qeReportBytes, SgxReportBody qeReport, byte[] qeReportSignature,
    byte[] qeAuthData, int certificationDataType, PckCertChain pckChain, int trailing) {

  static final int VERSION = 3;
  static final int HEADER = 0x30;
  static final int SIG_DATA_LEN = 0x1B0;
  static final int SIG_DATA = 0x1B4;

  /** The exact bytes the quote signature covers. */
  byte[] signedBytes() {
    return Arrays.copyOf(raw, SIG_DATA_LEN);
  }

  static SgxQuoteV3 parse(byte[] b) throws MalformedLayoutException {
    require(b, 0, SIG_DATA, "sgx_quote");
    int version = u16(b, 0);
    if (version != VERSION) {
      throw new MalformedLayoutException("quote.header.version", 0, "SGX quote version " + version + " (3 expected)");
    }
    if (u16(b, 2) != 2) {
      throw new MalformedLayoutException("quote.header.att_key_type", 2, "unsupported attestation key type " + u16(b, 2));
    }
    if (u32(b, 4) != 0) {
      throw new MalformedLayoutException("quote.header.tee_type", 4, "TEE type " + u32(b, 4) + " is not SGX (0)");
    }
    long sigLen = u32(b, SIG_DATA_LEN);
    if (sigLen > b.length - SIG_DATA) {
      throw new MalformedLayoutException("quote.sig_data_len", SIG_DATA_LEN, "signature data length 0x"
          + Long.toHexString(sigLen) + " exceeds the 0x" + Integer.toHexString(b.length - SIG_DATA) + " bytes that follow");
    }
    int end = SIG_DATA + (int) sigLen;
    int at = SIG_DATA;
    require(b, at, 64 + 64 + 384 + 64 + 2, "signature_data");
    byte[] sig = Arrays.copyOfRange(b, at, at + 64);
    byte[] ak = Arrays.copyOfRange(b, at + 64, at + 128);
    byte[] qeBytes = Arrays.copyOfRange(b, at + 128, at + 512);
    byte[] qeSig = Arrays.copyOfRange(b, at + 512, at + 576);
    int authLen = u16(b, at + 576);
    at += 578;
    if (at + authLen + 6 > end) {
      throw new MalformedLayoutException("signature_data.qe_auth_data_size", at - 2, "QE auth data size " + authLen
          + " leaves no room for the certification data");
    }
    byte[] auth = Arrays.copyOfRange(b, at, at + authLen);
    at += authLen;
    int certType = u16(b, at);
    long certLen = u32(b, at + 2);
    at += 6;
    if (certLen != end - at) {
      throw new MalformedLayoutException("signature_data.certification_data.size", at - 4, "certification data size "
          + certLen + ", but " + (end - at) + " bytes remain in the signature data");
    }
    if (certType != 5) {
      throw new MalformedLayoutException("signature_data.certification_data.type", at - 6, "certification data type "
          + certType + " (5, a PCK chain, required)");
    }
    PckCertChain chain = PckCertChain.parsePem(Arrays.copyOfRange(b, at, end));
    return new SgxQuoteV3(b.clone(), Arrays.copyOfRange(b, 0x0C, 0x1C), u16(b, 8), u16(b, 10),
        SgxReportBody.parse(Arrays.copyOfRange(b, HEADER, SIG_DATA_LEN)), sig, ak, qeBytes, SgxReportBody.parse(qeBytes),
        qeSig, auth, certType, chain, b.length - end);
  }

  private static void require(byte[] b, int at, int len, String field) throws MalformedLayoutException {
    if (at + len > b.length) {
      throw new MalformedLayoutException(field, at, "truncated: needs " + len + " bytes at 0x" + Integer.toHexString(at)
          + ", the quote has " + b.length);
    }
  }

  private static int u16(byte[] b, int at) {
    return (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8;
  }

  private static long u32(byte[] b, int at) {
    return (b[at] & 0xFFL) | (b[at + 1] & 0xFFL) << 8 | (b[at + 2] & 0xFFL) << 16 | (b[at + 3] & 0xFFL) << 24;
  }
}
