package io.guestmem.tdx.verify;

import io.guestmem.attestation.collateral.SignedDocument;
import io.guestmem.attestation.pki.Certificates;
import io.guestmem.tdx.abi.MalformedLayoutException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Parsed collateral documents keyed by the SHA-256 of their exact bytes: the same TCB Info or QE
 * Identity body arrives with every quote of a platform and need not be parsed again. Parsing is
 * deterministic and the values are immutable, so sharing them is safe; verification (signature,
 * windows) is never memoized here. Bounded: cleared when it reaches 256 documents.
 */
final class ParsedMemo<T> {
  interface Parser<T> {
    T parse(byte[] bytes) throws MalformedLayoutException;
  }

  private static final int LIMIT = 256;
  private final Map<String, T> parsed = new ConcurrentHashMap<>();
  /** By document instance (a {@link SignedDocument} is immutable and often reused across calls). */
  private final Map<SignedDocument, T> byDocument = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

  /** The parsed body of {@code doc}: by instance, else by content. */
  T parse(SignedDocument doc, Parser<T> parser) throws MalformedLayoutException {
    T v = byDocument.get(doc);
    if (v != null) {
      return v;
    }
    v = parse(doc.body(), parser);
    if (byDocument.size() >= LIMIT) {
      byDocument.clear();
    }
    byDocument.put(doc, v);
    return v;
  }

  T parse(byte[] bytes, Parser<T> parser) throws MalformedLayoutException {
    String key = Certificates.sha256Hex(bytes);
    T v = parsed.get(key);
    if (v != null) {
      return v;
    }
    v = parser.parse(bytes);
    if (parsed.size() >= LIMIT) {
      parsed.clear();
    }
    parsed.put(key, v);
    return v;
  }
}
