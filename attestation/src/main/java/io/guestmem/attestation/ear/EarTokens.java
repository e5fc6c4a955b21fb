package io.guestmem.attestation.ear;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.guestmem.attestation.Ar4siClaim;
import io.guestmem.attestation.Verdict;
import java.text.ParseException;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * EAR attestation results (draft-ietf-rats-ear, the {@code tag:github.com,2023:veraison/ear}
 * profile with {@code submods}) as JWTs signed ES384 by the {@link VerifierKey}, with {@code kid}
 * in the header so relying parties look the key up in the published JWKS.
 *
 * <p>Claims: {@code eat_profile}, {@code iat}, {@code exp}, {@code ear.verifier-id},
 * {@code eat_nonce} (when a nonce was bound), and {@code submods.<tee>} holding
 * {@code ear.status}, {@code ear.trustworthiness-vector}, {@code ear.appraisal-policy-id} and the
 * full verdict under the vendor extension {@code ear.guestmem.verdict}. The status never exceeds
 * the worst vector claim, as EAR requires.
 */
public final class EarTokens {
  public static final String PROFILE = "tag:github.com,2023:veraison/ear";
  private static final Duration DEFAULT_TTL = Duration.ofMinutes(30);

  private final VerifierKey key;
  private final String build;

  public EarTokens(VerifierKey key, String build) {
    this.key = key;
    this.build = build;
  }

  /** Signs a verdict issued at {@code issuedAt} (wall clock), valid for 30 minutes. */
  public String sign(Verdict verdict, byte[] nonce, Instant issuedAt) {
    Map<String, Object> submod = new LinkedHashMap<>();
    submod.put("ear.status", verdict.status().earName());
    Map<String, Object> vector = new LinkedHashMap<>();
    for (Map.Entry<Ar4siClaim, Integer> e : verdict.trustVector().entrySet()) {
      vector.put(e.getKey().earName(), e.getValue());
    }
    submod.put("ear.trustworthiness-vector", vector);
    if (!verdict.policyId().isEmpty()) {
      submod.put("ear.appraisal-policy-id", verdict.policyId());
    }
    submod.put("ear.guestmem.verdict", VerdictJson.toMap(verdict));
    JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
        .claim("eat_profile", PROFILE)
        .issueTime(Date.from(issuedAt))
        .expirationTime(Date.from(issuedAt.plus(DEFAULT_TTL)))
        .claim("ear.verifier-id", Map.of("developer", "https://github.com/guestmem", "build", build))
        .claim("submods", Map.of(verdict.tee(), submod));
    if (nonce != null) {
      claims.claim("eat_nonce", Base64URL.encode(nonce).toString());
    }
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES384).keyID(key.keyId())
        .type(new JOSEObjectType("JWT")).build(), claims.build());
    try {
      jwt.sign(new ECDSASigner(key.privateJwk()));
    } catch (JOSEException e) {
      throw new IllegalStateException("signing with a generated P-384 key failed", e);
    }
    return jwt.serialize();
  }

  /**
   * Verifies an EAR token against a JWKS document and returns its claims. Only ES384 is
   * accepted; the key is chosen by {@code kid} and never taken from the token itself.
   */
  public static Map<String, Object> verify(String token, String jwksJson, Instant now) throws EarException {
    if (token == null || token.isBlank()) {
      throw new EarException("token_empty", "empty token");
    }
    JWKSet jwks;
    try {
      jwks = JWKSet.parse(jwksJson);
    } catch (ParseException | RuntimeException e) {
      throw new EarException("jwks_malformed", "JWKS does not parse: " + e.getMessage(), e);
    }
    SignedJWT jwt;
    try {
      jwt = SignedJWT.parse(token.trim());
    } catch (ParseException e) {
      throw new EarException("token_malformed", "not a signed JWT: " + e.getMessage(), e);
    }
    if (!JWSAlgorithm.ES384.equals(jwt.getHeader().getAlgorithm())) {
      throw new EarException("alg_not_allowed", "algorithm " + jwt.getHeader().getAlgorithm() + " is not ES384");
    }
    String kid = jwt.getHeader().getKeyID();
    if (kid == null || kid.isEmpty()) {
      throw new EarException("kid_missing", "token header has no kid");
    }
    JWK jwk = jwks.getKeyByKeyId(kid);
    if (!(jwk instanceof ECKey ec)) {
      throw new EarException("kid_unknown", "no EC key with kid " + kid + " in the JWKS");
    }
    try {
      if (!jwt.verify(new ECDSAVerifier(ec.toPublicJWK()))) {
        throw new EarException("signature_invalid", "token signature does not verify with kid " + kid);
      }
      JWTClaimsSet claims = jwt.getJWTClaimsSet();
      if (claims.getExpirationTime() == null || !now.isBefore(claims.getExpirationTime().toInstant())) {
        throw new EarException("token_expired", "token expired at " + claims.getExpirationTime());
      }
      if (!PROFILE.equals(claims.getClaim("eat_profile"))) {
        throw new EarException("profile_mismatch", "eat_profile is " + claims.getClaim("eat_profile"));
      }
      return claims.getClaims();
    } catch (JOSEException | ParseException e) {
      throw new EarException("signature_invalid", "token cannot be verified: " + e.getMessage(), e);
    }
  }
}
