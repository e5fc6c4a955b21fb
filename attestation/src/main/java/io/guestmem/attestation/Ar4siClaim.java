package io.guestmem.attestation;

/**
 * The AR4SI trustworthiness claims (draft-ietf-rats-ar4si §2.3) a check can contribute to; the
 * EAR trust vector holds one tier per claim that at least one check touched.
 */
public enum Ar4siClaim {
  INSTANCE_IDENTITY("instance-identity"),
  CONFIGURATION("configuration"),
  EXECUTABLES("executables"),
  FILE_SYSTEM("file-system"),
  HARDWARE("hardware"),
  RUNTIME_OPAQUE("runtime-opaque"),
  STORAGE_OPAQUE("storage-opaque"),
  SOURCED_DATA("sourced-data");

  private final String earName;

  Ar4siClaim(String earName) {
    this.earName = earName;
  }

  /** The claim's key in {@code ear.trustworthiness-vector}. */
  public String earName() {
    return earName;
  }
}
