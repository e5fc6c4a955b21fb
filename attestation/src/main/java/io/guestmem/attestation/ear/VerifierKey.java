package io.guestmem.attestation.ear;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.text.ParseException;

/**
 * The verifier's EC P-384 signing key for EAR tokens. The key id is the RFC 7638 thumbprint, so
 * it is stable for a key and changes when the key rotates. {@link #jwks()} publishes only the
 * public half.
 */
public final class VerifierKey {
  private final ECKey key;

  private VerifierKey(ECKey key) {
    this.key = key;
  }

  public static VerifierKey generate() {
    try {
      return new VerifierKey(new ECKeyGenerator(Curve.P_384).keyUse(KeyUse.SIGNATURE).keyIDFromThumbprint(true).generate());
    } catch (JOSEException e) {
      throw new IllegalStateException("P-384 key generation is available in every JDK", e);
    }
  }

  /** Loads the JWK stored at {@code file}, or generates one and stores it there (mode 600). */
  public static VerifierKey loadOrCreate(Path file) throws IOException {
    if (Files.exists(file)) {
      try {
        ECKey k = ECKey.parse(Files.readString(file, StandardCharsets.UTF_8));
        if (!k.isPrivate() || !Curve.P_384.equals(k.getCurve())) {
          throw new IOException(file + ": not a private P-384 JWK");
        }
        return new VerifierKey(k);
      } catch (ParseException e) {
        throw new IOException(file + ": not a JWK: " + e.getMessage(), e);
      }
    }
    VerifierKey k = generate();
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, k.key.toJSONString(), StandardCharsets.UTF_8);
    try {
      Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
    } catch (UnsupportedOperationException ignored) {
      // Not a POSIX file system; the directory's permissions protect the key.
    }
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return k;
  }

  public String keyId() {
    return key.getKeyID();
  }

  ECKey privateJwk() {
    return key;
  }

  public ECKey publicJwk() {
    return key.toPublicJWK();
  }

  /** The public JWKS document, e.g. for {@code /.well-known/jwks.json}. */
  public String jwks() {
    return new JWKSet(publicJwk()).toString(true);
  }
}
