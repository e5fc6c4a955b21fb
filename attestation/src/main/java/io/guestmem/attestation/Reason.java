package io.guestmem.attestation;

/**
 * Stable reason codes for {@link Check#reason()}. Tests and relying parties match on these, never
 * on detail text. Codes are snake_case and are never renamed once published; TEE plug-ins may
 * add their own codes, prefixed with nothing but kept in the same style.
 */
public final class Reason {
  private Reason() {}

  public static final String OK = "ok";

  // Evidence structure.
  public static final String MALFORMED_EVIDENCE = "malformed_evidence";
  public static final String UNSUPPORTED_VERSION = "unsupported_version";
  public static final String MUST_BE_ZERO = "must_be_zero_violation";
  public static final String TRAILING_DATA = "trailing_data";
  public static final String RESERVED_VALUE = "reserved_value";
  public static final String UNSIGNED_EVIDENCE = "unsigned_evidence";
  public static final String PRODUCT_MISMATCH = "product_mismatch";

  // Signatures and keys.
  public static final String SIGNATURE_INVALID = "signature_invalid";
  public static final String KEY_BINDING_MISMATCH = "key_binding_mismatch";
  public static final String UNSUPPORTED_ALGORITHM = "unsupported_algorithm";

  // Certificate paths.
  public static final String CHAIN_MISSING = "chain_missing";
  public static final String CHAIN_MALFORMED = "chain_malformed";
  public static final String UNTRUSTED_ROOT = "untrusted_root";
  public static final String CERT_SIGNATURE_INVALID = "cert_signature_invalid";
  public static final String CERT_EXPIRED = "cert_expired";
  public static final String CERT_NOT_YET_VALID = "cert_not_yet_valid";
  public static final String ISSUER_MISMATCH = "issuer_mismatch";
  public static final String NOT_A_CA = "not_a_ca";
  public static final String PATH_LENGTH_EXCEEDED = "path_length_exceeded";
  public static final String KEY_USAGE = "key_usage_invalid";
  public static final String CERT_PROFILE = "cert_profile_invalid";

  // Revocation.
  public static final String CRL_MISSING = "crl_missing";
  public static final String CRL_SIGNATURE_INVALID = "crl_signature_invalid";
  public static final String CRL_ISSUER_MISMATCH = "crl_issuer_mismatch";
  public static final String CRL_EXPIRED = "crl_expired";
  public static final String CRL_NOT_YET_VALID = "crl_not_yet_valid";
  public static final String REVOKED = "revoked";

  // Collateral.
  public static final String COLLATERAL_MISSING = "collateral_missing";
  public static final String COLLATERAL_UNAVAILABLE = "collateral_unavailable";
  public static final String COLLATERAL_MALFORMED = "collateral_malformed";
  public static final String COLLATERAL_EXPIRED = "collateral_expired";
  public static final String COLLATERAL_NOT_YET_VALID = "collateral_not_yet_valid";
  public static final String COLLATERAL_SIGNATURE_INVALID = "collateral_signature_invalid";
  public static final String COLLATERAL_SIGNER_EXPIRED = "collateral_signer_expired";
  public static final String COLLATERAL_TOO_OLD = "collateral_too_old";
  public static final String COLLATERAL_MISMATCH = "collateral_mismatch";
  /** For a check not run because the collateral it needs was present but failed its own checks. */
  public static final String COLLATERAL_REJECTED = "collateral_rejected";

  // TCB.
  public static final String TCB_MISMATCH = "tcb_mismatch";
  public static final String NO_MATCHING_TCB_LEVEL = "no_matching_tcb_level";
  public static final String TCB_REVOKED = "tcb_revoked";
  public static final String TCB_STATUS_NOT_ACCEPTED = "tcb_status_not_accepted";
  public static final String ADVISORY_DENIED = "advisory_denied";
  public static final String TCB_DATE_TOO_OLD = "tcb_date_too_old";
  public static final String TCB_EVALUATION_NUMBER_TOO_LOW = "tcb_evaluation_number_too_low";
  public static final String IDENTITY_MISMATCH = "identity_mismatch";

  // Appraisal policy.
  public static final String REFERENCE_VALUE_MISMATCH = "reference_value_mismatch";
  public static final String BELOW_MINIMUM = "below_minimum";
  public static final String POLICY_VIOLATION = "policy_violation";
  public static final String NONCE_MISMATCH = "nonce_mismatch";
  public static final String DEBUG_NOT_ALLOWED = "debug_not_allowed";
}
