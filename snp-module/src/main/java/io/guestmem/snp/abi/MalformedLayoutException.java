package io.guestmem.snp.abi;

/**
 * Bytes that claim to be an SNP structure do not have its layout: wrong size, a must-be-zero range
 * that is not zero, an unknown version, or an undecodable certificate extension. The message
 * names the structure's field and its offset (hex) or the OID; {@link #field()} and
 * {@link #offset()} carry the same for programs ({@code offset} is -1 when the place is not a byte
 * offset, e.g. an X.509 extension).
 *
 * <p>Thrown only for input the caller cannot vouch for (hardware, network, files). A parser that
 * throws it has not produced any value; nothing is half-parsed.
 */
public final class MalformedLayoutException extends Exception {
  private static final long serialVersionUID = 1L;

  private final String field;
  private final long offset;

  public MalformedLayoutException(String field, long offset, String message) {
    super(message);
    this.field = field;
    this.offset = offset;
  }

  public MalformedLayoutException(String field, long offset, String message, Throwable cause) {
    super(message, cause);
    this.field = field;
    this.offset = offset;
  }

  /** The spec's name of the field or range at fault, e.g. {@code "RESERVED[0x208:0x2A0]"}. */
  public String field() {
    return field;
  }

  /** Offset of the fault within the structure, or -1 when not a byte offset. */
  public long offset() {
    return offset;
  }
}
