package io.guestmem.tdx.abi;

import java.util.HexFormat;

/**
 * A PCS collateral response {@code {"<member>":{…},"signature":"<hex r‖s>"}} parsed into its body
 * value, together with the exact served bytes of the body ({@link #signedBody()}, located by
 * scanning the raw text, never re-serialised) and the 64-byte ECDSA P-256 signature r‖s that
 * covers them.
 *
 * @param <T> {@link TcbInfo} or {@link QeIdentity}
 */
public record SignedCollateral<T>(T body, Bytes signedBody, Bytes signature) {
  public SignedCollateral {
    LayoutWriter.checkLength(signature, 64, "signature");
  }

  /** The body span and signature of an envelope. */
  record Envelope(Json.Value body, Bytes signedBody, Bytes signature) {}

  static Envelope envelope(byte[] response, String member, String field) throws MalformedLayoutException {
    JsonFields top = new JsonFields(Json.parse(response, field), field);
    for (String name : top.members().keySet()) {
      if (!name.equals(member) && !name.equals("signature")) {
        throw new MalformedLayoutException(field + "." + name, 0, "unexpected member in a " + member + " response");
      }
    }
    Json.Value body = top.get(member);
    if (!(body instanceof Json.Obj)) {
      throw new MalformedLayoutException(field + "." + member, body.start(), "expected a JSON object");
    }
    Bytes sig = signature(top.string("signature"), field + ".signature", top.get("signature").start());
    return new Envelope(body, Bytes.of(response, body.start(), body.end() - body.start()), sig);
  }

  /** Decodes a PCS signature string: 128 hex digits, r‖s big-endian. */
  public static Bytes signature(String hex, String field, int at) throws MalformedLayoutException {
    if (hex.length() != 128) {
      throw new MalformedLayoutException(field, at, "signature must be 128 hex digits, got " + hex.length());
    }
    try {
      return Bytes.of(HexFormat.of().parseHex(hex));
    } catch (IllegalArgumentException e) {
      throw new MalformedLayoutException(field, at, "signature is not hex", e);
    }
  }

  /** Encodes a response with {@code body} served byte-for-byte as given. */
  public static byte[] encodeResponse(String member, Bytes rawBody, Bytes signature) {
    String head = "{\"" + member + "\":";
    String tail = ",\"signature\":\"" + signature.hex() + "\"}";
    return new LayoutWriter()
        .bytes(head.getBytes(java.nio.charset.StandardCharsets.US_ASCII))
        .bytes(rawBody)
        .bytes(tail.getBytes(java.nio.charset.StandardCharsets.US_ASCII))
        .toByteArray();
  }
}
