package io.guestmem.tdx.abi;

import java.util.Objects;
import java.util.Optional;

/**
 * An Intel TDX quote, version 4 or 5 (Intel TDX DCAP Quote Generation Library spec; DCAP {@code
 * sgx_quote_4.h}, {@code sgx_quote_5.h}).
 *
 * <pre>
 * v4: 0x000 header (48) | 0x030 TD 1.0 body (584)                     | 0x278 u32 sig_data_len | 0x27C sig data | trailing
 * v5: 0x000 header (48) | 0x030 u16 body type | 0x032 u32 body size | 0x036 body (584 or 648) | u32 sig_data_len | sig data | trailing
 * </pre>
 *
 * <p>The quote signature covers {@link #signedBytes()}: every byte before {@code sig_data_len}
 * (header ‖ body for v4; header ‖ descriptor ‖ body for v5). Bytes after the signature data
 * ({@link #trailingBytes()}: zero padding from configfs, or anything else) are accepted, kept for
 * the byte-identical round trip, and are never part of anything signed; whether to tolerate
 * non-zero trailing bytes is policy.
 *
 * <p>A parsed quote keeps the exact input: {@link #signedBytes()} and {@link #qeReportBytes()}
 * are copies of parsed bytes, not re-encodings. {@link #toBytes()} re-encodes the fields, which
 * equals the input for every quote this class accepts.
 */
public final class Quote {
  /** Upper bound on the size of a quote buffer (real ones are 5–8 KiB). */
  public static final int MAX_SIZE = 1 << 20;

  private final QuoteHeader header;
  private final Optional<QuoteBodyDescriptor> bodyDescriptor;
  private final TdReportBody body;
  private final QuoteSignatureData signatureData;
  private final Bytes trailingBytes;
  private final Bytes raw;
  private final int sigDataLenOffset;
  private final int qeReportOffset;

  private Quote(
      QuoteHeader header,
      Optional<QuoteBodyDescriptor> bodyDescriptor,
      TdReportBody body,
      QuoteSignatureData signatureData,
      Bytes trailingBytes,
      Bytes raw,
      int sigDataLenOffset,
      int qeReportOffset) {
    this.header = header;
    this.bodyDescriptor = bodyDescriptor;
    this.body = body;
    this.signatureData = signatureData;
    this.trailingBytes = trailingBytes;
    this.raw = raw;
    this.sigDataLenOffset = sigDataLenOffset;
    this.qeReportOffset = qeReportOffset;
  }

  /**
   * Assembles a quote from values (what a quoting enclave does) and keeps its encoding as the
   * raw bytes. v4 requires a TD 1.0 body; v5 gets a descriptor for the body's kind.
   */
  public static Quote of(QuoteHeader header, TdReportBody body, QuoteSignatureData signatureData, Bytes trailingBytes) {
    Objects.requireNonNull(body);
    if (header.version() == QuoteHeader.VERSION_4 && body.kind() != TdReportBody.Kind.TD10) {
      throw new IllegalArgumentException("a v4 quote carries a TD 1.0 body");
    }
    if (header.version() != QuoteHeader.VERSION_4 && header.version() != QuoteHeader.VERSION_5) {
      throw new IllegalArgumentException("TDX quotes are version 4 or 5");
    }
    byte[] encoded = encode(header, descriptorFor(header, body), body, signatureData, trailingBytes);
    try {
      return parse(encoded);
    } catch (MalformedLayoutException e) {
      throw new IllegalArgumentException("values do not form a valid quote: " + e.getMessage(), e);
    }
  }

  /** The bytes a quote signature covers for these values (header ‖ [descriptor ‖] body). */
  public static byte[] signedBytesOf(QuoteHeader header, TdReportBody body) {
    LayoutWriter w = new LayoutWriter().bytes(header.toBytes());
    descriptorFor(header, body).ifPresent(d -> w.bytes(d.toBytes()));
    return w.bytes(body.toBytes()).toByteArray();
  }

  private static Optional<QuoteBodyDescriptor> descriptorFor(QuoteHeader header, TdReportBody body) {
    return header.version() == QuoteHeader.VERSION_5
        ? Optional.of(QuoteBodyDescriptor.of(body.kind()))
        : Optional.empty();
  }

  public static Quote parse(byte[] raw) throws MalformedLayoutException {
    if (raw.length > MAX_SIZE) {
      throw new MalformedLayoutException("quote", MAX_SIZE, "quote of " + raw.length + " bytes exceeds " + MAX_SIZE);
    }
    LayoutReader r = new LayoutReader(raw);
    QuoteHeader header = QuoteHeader.parse(r, 0);
    int at = QuoteHeader.SIZE;
    Optional<QuoteBodyDescriptor> descriptor = Optional.empty();
    TdReportBody.Kind kind = TdReportBody.Kind.TD10;
    if (header.version() == QuoteHeader.VERSION_5) {
      QuoteBodyDescriptor d = QuoteBodyDescriptor.parse(r, at);
      kind = QuoteBodyDescriptor.checkedKind(d, at);
      descriptor = Optional.of(d);
      at += QuoteBodyDescriptor.SIZE;
    }
    TdReportBody body = TdReportBody.parse(r, at, kind);
    at += kind.size();
    int sigDataLenOffset = at;
    long sigDataLen = r.u32(at, "quote.sig_data_len");
    at += 4;
    if (sigDataLen > r.remaining(at)) {
      throw new MalformedLayoutException(
          "quote.sig_data_len", sigDataLenOffset,
          "signature data length 0x" + Long.toHexString(sigDataLen) + " exceeds the 0x"
              + Integer.toHexString(r.remaining(at)) + " bytes that follow");
    }
    LayoutReader sig = r.window(at, sigDataLen, "quote.signature_data");
    QuoteSignatureData signatureData = QuoteSignatureData.parse(sig, at);
    int qeReportOffset =
        signatureData.certificationData() instanceof QeReportCertificationData
            ? at + QuoteSignatureData.CERTIFICATION_DATA + CertificationData.HEADER_SIZE
            : -1;
    int end = at + (int) sigDataLen;
    Bytes trailing = Bytes.of(raw, end, raw.length - end);
    return new Quote(header, descriptor, body, signatureData, trailing, Bytes.of(raw), sigDataLenOffset, qeReportOffset);
  }

  private static byte[] encode(
      QuoteHeader header,
      Optional<QuoteBodyDescriptor> descriptor,
      TdReportBody body,
      QuoteSignatureData sig,
      Bytes trailing) {
    LayoutWriter w = new LayoutWriter().bytes(header.toBytes());
    descriptor.ifPresent(d -> w.bytes(d.toBytes()));
    byte[] sigBytes = sig.toBytes();
    return w.bytes(body.toBytes()).u32(sigBytes.length).bytes(sigBytes).bytes(trailing).toByteArray();
  }

  public int version() {
    return header.version();
  }

  public QuoteHeader header() {
    return header;
  }

  /** The v5 body descriptor; empty for v4. */
  public Optional<QuoteBodyDescriptor> bodyDescriptor() {
    return bodyDescriptor;
  }

  public TdReportBody body() {
    return body;
  }

  public QuoteSignatureData signatureData() {
    return signatureData;
  }

  /** The QE report certification data, if the outer certification data is type 6. */
  public Optional<QeReportCertificationData> qeReportCertificationData() {
    return signatureData.certificationData() instanceof QeReportCertificationData q ? Optional.of(q) : Optional.empty();
  }

  /** The PCK chain: the type-5 (or 4) data inside type 6, or the outer data if it is 5 (or 4). */
  public Optional<PckCertChain> pckCertChain() {
    CertificationData c = signatureData.certificationData();
    if (c instanceof QeReportCertificationData q) {
      c = q.certificationData();
    }
    return c instanceof PckCertChain p ? Optional.of(p) : Optional.empty();
  }

  /** Bytes after the signature data; never signed. */
  public Bytes trailingBytes() {
    return trailingBytes;
  }

  public int trailingLength() {
    return trailingBytes.length();
  }

  /** Copy of the exact bytes the quote signature covers: {@code raw[0, offset of sig_data_len)}. */
  public Bytes signedBytes() {
    return raw.slice(0, sigDataLenOffset);
  }

  /** Copy of the exact 384 QE report bytes the QE report signature covers, if type 6 is present. */
  public Optional<Bytes> qeReportBytes() {
    return qeReportOffset < 0
        ? Optional.empty()
        : Optional.of(raw.slice(qeReportOffset, qeReportOffset + SgxReportBody.SIZE));
  }

  /** Absolute offset of {@code sig_data_len} (0x278 for v4). */
  public int sigDataLenOffset() {
    return sigDataLenOffset;
  }

  /** Copy of the exact bytes that were parsed (including trailing bytes). */
  public Bytes raw() {
    return raw;
  }

  /** Re-encodes the quote from its fields, trailing bytes included. */
  public byte[] toBytes() {
    return encode(header, bodyDescriptor, body, signatureData, trailingBytes);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Quote q && q.raw.equals(raw);
  }

  @Override
  public int hashCode() {
    return raw.hashCode();
  }

  @Override
  public String toString() {
    return "Quote{v" + header.version() + ", " + body.kind() + ", " + raw.length() + " bytes, trailing " + trailingBytes.length() + "}";
  }
}
