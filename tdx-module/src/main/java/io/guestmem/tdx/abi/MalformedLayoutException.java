package io.guestmem.tdx.abi;

/**
 * Bytes that claim to be a TDX layout are not one: truncated, oversized, a wrong version or type,
 * an inconsistent length field, or a value that cannot be decoded. Always names the {@link
 * #field()} and the absolute {@link #offset()} (in the outermost buffer handed to {@code parse})
 * where the problem was found. Thrown only for input the caller cannot vouch for.
 */
public final class MalformedLayoutException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String field;
  private final long offset;

  public MalformedLayoutException(String field, long offset, String problem) {
    super(field + " at offset 0x" + Long.toHexString(offset) + ": " + problem);
    this.field = field;
    this.offset = offset;
  }

  public MalformedLayoutException(String field, long offset, String problem, Throwable cause) {
    this(field, offset, problem);
    initCause(cause);
  }

  /** The spec name of the field that is malformed, e.g. {@code "quote.body_size"}. */
  public String field() {
    return field;
  }

  /** Absolute offset of the field in the buffer that was parsed. */
  public long offset() {
    return offset;
  }
}
