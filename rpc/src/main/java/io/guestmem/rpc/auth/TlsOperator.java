package io.guestmem.rpc.auth;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * One operator mapping of the TCP listener: which client certificates it matches, and what their
 * holder may do with leases.
 *
 * <p>Matching ({@link #matches}), on a certificate that already passed {@link ClientCertificateVerifier}:
 * <ul>
 *   <li>{@code sha256=HEX}: the SHA-256 of the leaf's DER encoding equals HEX (64 hex digits, case
 *       and colons ignored). Pins exactly one certificate; the safest choice.
 *   <li>{@code san=dns:NAME}: a dNSName subjectAltName of the leaf equals NAME, ignoring ASCII case;
 *       {@code san=uri:URI}: a uniformResourceIdentifier subjectAltName equals URI exactly (e.g. a
 *       SPIFFE id). No wildcard expansion on either side. Survives certificate renewal, so it is as
 *       strong as the client CA's issuance policy.
 * </ul>
 *
 * <p>Grant: {@code uid=N} — acts as uid N (leases it opens belong to N; it may act on N's leases);
 * {@code allLeases} — may act on every lease, as root does when root is an operator. At least one
 * of the two is required; both may be given.
 *
 * @param name label in the audit log (default: {@code sha256:<first 16 hex>} or the SAN)
 * @param sha256 lower-case hex fingerprint, or null when matching by SAN
 * @param san {@code dns:NAME} or {@code uri:URI}, or null when matching by fingerprint
 * @param uid acting uid, or -1 for none
 */
public record TlsOperator(String name, String sha256, String san, int uid, boolean allLeases) {
  private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

  public TlsOperator {
    if ((sha256 == null) == (san == null)) {
      throw new IllegalArgumentException("an operator mapping matches by exactly one of sha256=HEX or san=dns:NAME|uri:URI");
    }
    if (sha256 != null) {
      sha256 = sha256.replace(":", "").toLowerCase(Locale.ROOT);
      if (!HEX64.matcher(sha256).matches()) {
        throw new IllegalArgumentException("sha256 must be 64 hex digits (the SHA-256 of the DER certificate), got " + sha256);
      }
    }
    if (san != null && !(san.startsWith("dns:") && san.length() > 4) && !(san.startsWith("uri:") && san.length() > 4)) {
      throw new IllegalArgumentException("san must be dns:NAME or uri:URI, got " + san);
    }
    if (uid < -1) {
      throw new IllegalArgumentException("uid must be >= 0, got " + uid);
    }
    if (uid < 0 && !allLeases) {
      throw new IllegalArgumentException("an operator mapping grants uid=N, allLeases or both; this one grants nothing");
    }
    if (name == null || name.isEmpty()) {
      name = sha256 != null ? "sha256:" + sha256.substring(0, 16) : san;
    }
  }

  /**
   * Parses {@code sha256=HEX|san=dns:NAME|san=uri:URI} followed by any of {@code ,uid=N},
   * {@code ,allLeases} (or {@code allLeases=true|false}) and {@code ,name=LABEL}. Values cannot
   * contain commas.
   */
  public static TlsOperator parse(String spec) {
    String name = null;
    String sha = null;
    String san = null;
    int uid = -1;
    boolean all = false;
    for (String part : spec.split(",", -1)) {
      String p = part.strip();
      int eq = p.indexOf('=');
      String key = eq < 0 ? p : p.substring(0, eq);
      String value = eq < 0 ? null : p.substring(eq + 1);
      switch (key) {
        case "sha256": sha = required(key, value); break;
        case "san": san = required(key, value); break;
        case "name": name = required(key, value); break;
        case "uid":
          try {
            uid = Integer.parseInt(required(key, value));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("uid must be a number, got " + value);
          }
          if (uid < 0) {
            throw new IllegalArgumentException("uid must be >= 0, got " + value);
          }
          break;
        case "allLeases":
          if (value != null && !value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException("allLeases is a flag (or allLeases=true|false), got " + value);
          }
          all = value == null || value.equals("true");
          break;
        default:
          throw new IllegalArgumentException("unknown key \"" + key + "\" in operator mapping \"" + spec
              + "\" (keys: sha256, san, uid, allLeases, name)");
      }
    }
    return new TlsOperator(name, sha, san, uid, all);
  }

  private static String required(String key, String value) {
    if (value == null || value.isEmpty()) {
      throw new IllegalArgumentException(key + " needs a value (" + key + "=…)");
    }
    return value;
  }

  /** The mapping in {@link #parse} syntax. */
  public String spec() {
    StringBuilder b = new StringBuilder(sha256 != null ? "sha256=" + sha256 : "san=" + san);
    if (uid >= 0) {
      b.append(",uid=").append(uid);
    }
    if (allLeases) {
      b.append(",allLeases");
    }
    return b.append(",name=").append(name).toString();
  }

  /** The acting uid, if the mapping has one. */
  public OptionalInt actingUid() {
    return uid >= 0 ? OptionalInt.of(uid) : OptionalInt.empty();
  }

  /** Whether this mapping matches {@code leaf}, whose DER SHA-256 is {@code leafSha256}. */
  public boolean matches(X509Certificate leaf, String leafSha256) {
    if (sha256 != null) {
      return sha256.equals(leafSha256);
    }
    int type = san.startsWith("dns:") ? 2 : 6;
    String want = san.substring(4);
    try {
      if (leaf.getSubjectAlternativeNames() == null) {
        return false;
      }
      for (List<?> gn : leaf.getSubjectAlternativeNames()) {
        if (((Integer) gn.get(0)) == type && gn.get(1) instanceof String v
            && (type == 2 ? v.equalsIgnoreCase(want) : v.equals(want))) {
          return true;
        }
      }
    } catch (CertificateParsingException e) {
      return false;
    }
    return false;
  }
}
