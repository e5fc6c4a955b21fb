package io.guestmem.tdx.abi;

/**
 * The quote v5 body descriptor that sits between the header and the body (Intel TDX DCAP Quote
 * Generation Library spec, quote v5 "Quote Body Descriptor"; DCAP {@code sgx_quote5_t}):
 * {@code u16 type} at 0x30 (1 = SGX report 384 B, 2 = TD 1.0 584 B, 3 = TD 1.5 648 B) and
 * {@code u32 size} at 0x32. Both are covered by the quote signature.
 */
public record QuoteBodyDescriptor(int type, long size) {
  public static final int SIZE = 6;
  public static final int TYPE_SGX_REPORT = 1;
  public static final int TYPE_TD10 = 2;
  public static final int TYPE_TD15 = 3;

  public static QuoteBodyDescriptor of(TdReportBody.Kind kind) {
    return new QuoteBodyDescriptor(kind.v5BodyType(), kind.size());
  }

  /**
   * Reads the descriptor and checks that it announces a TD body of the matching size.
   *
   * @return the body kind the descriptor announces
   */
  static TdReportBody.Kind checkedKind(QuoteBodyDescriptor d, int at) throws MalformedLayoutException {
    TdReportBody.Kind kind;
    if (d.type == TYPE_TD10) {
      kind = TdReportBody.Kind.TD10;
    } else if (d.type == TYPE_TD15) {
      kind = TdReportBody.Kind.TD15;
    } else {
      throw new MalformedLayoutException(
          "quote.body_descriptor.type", at, "unsupported TD quote body type " + d.type + " (2 = TD 1.0, 3 = TD 1.5)");
    }
    if (d.size != kind.size()) {
      throw new MalformedLayoutException(
          "quote.body_descriptor.size",
          at + 2,
          "TD quote body size is " + d.size + ", a v5 " + kind + " body has size " + kind.size());
    }
    return kind;
  }

  static QuoteBodyDescriptor parse(LayoutReader r, int at) throws MalformedLayoutException {
    return new QuoteBodyDescriptor(
        r.u16(at, "quote.body_descriptor.type"), r.u32(at + 2, "quote.body_descriptor.size"));
  }

  public byte[] toBytes() {
    return new LayoutWriter().u16(type).u32(size).toByteArray();
  }
}
