package io.guestmem.attestation;

import java.util.Objects;

/**
 * One check a verifier performed: a stable identifier, whether it passed, a stable reason code
 * (see {@link Reason}) and a human-readable detail that is not part of the contract.
 *
 * @param id stable dotted identifier, e.g. {@code snp.report.signature}
 * @param ok whether the check passed
 * @param reason stable snake_case reason code; {@link Reason#OK} when {@code ok}
 * @param detail free text for people; never parse it
 * @param category the AR4SI trustworthiness claim this check contributes to
 */
public record Check(String id, boolean ok, String reason, String detail, Ar4siClaim category) {
  public Check {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(reason, "reason");
    Objects.requireNonNull(category, "category");
    detail = detail == null ? "" : detail;
    if (ok && !reason.equals(Reason.OK)) {
      throw new IllegalArgumentException("a passing check has reason ok, not " + reason);
    }
    if (!ok && reason.equals(Reason.OK)) {
      throw new IllegalArgumentException("a failing check needs a reason code: " + id);
    }
  }

  public static Check pass(String id, Ar4siClaim category, String detail) {
    return new Check(id, true, Reason.OK, detail, category);
  }

  public static Check fail(String id, Ar4siClaim category, String reason, String detail) {
    return new Check(id, false, reason, detail, category);
  }
}
