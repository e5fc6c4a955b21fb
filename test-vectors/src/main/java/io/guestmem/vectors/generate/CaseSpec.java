package io.guestmem.vectors.generate;

import io.guestmem.vectors.format.Expected;
import io.guestmem.vectors.format.Mutation;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What one generated case is, before its files exist: an emulator variant (named by the
 * generator), the verification time, trust, policy, nonce, the one mutation (if any) and the
 * expected outcome, which is written by hand from the specifications, never computed by running
 * the verifier.
 */
final class CaseSpec {
  final String id;
  final String comment;
  final List<String> tags = new ArrayList<>();
  Instant at;
  boolean trustEmulatedRoot = true;
  Optional<String> policy = Optional.empty();
  Optional<String> nonceHex = Optional.empty();
  final List<Mutation> mutations = new ArrayList<>();
  Expected expected;
  /** The emulator variant whose TCB Info (and its issuer chain) this case uses instead of its own, if any. */
  Optional<String> tcbInfoFrom = Optional.empty();

  CaseSpec(String id, String comment, Instant at) {
    this.id = id;
    this.comment = comment;
    this.at = at;
  }

  CaseSpec at(Instant t) {
    at = t;
    return this;
  }

  CaseSpec untrusted() {
    trustEmulatedRoot = false;
    return this;
  }

  CaseSpec policy(String json) {
    policy = Optional.of(json);
    return this;
  }

  CaseSpec nonce(String hex) {
    nonceHex = Optional.of(hex);
    return this;
  }

  CaseSpec mutate(Mutation m) {
    mutations.add(m);
    return this;
  }

  /** SNP: the variant whose ASK/ARK chain (and CRL, with {@code crlToo}) replaces this case's own. */
  Optional<String> chainFrom = Optional.empty();
  Optional<String> crlFrom = Optional.empty();

  CaseSpec chainFrom(String variant) {
    chainFrom = Optional.of(variant);
    return this;
  }

  CaseSpec crlFrom(String variant) {
    crlFrom = Optional.of(variant);
    return this;
  }

  /** Whether the case gives the variant's CRLs (PCK and root CRL; SNP: the KDS CRL). */
  boolean crls = true;

  /** TDX: whether the case gives the TCB Info and QE Identity issuer chains. */
  boolean collateralChains = true;

  CaseSpec withoutCollateralChains() {
    collateralChains = false;
    return this;
  }

  CaseSpec withoutCrls() {
    crls = false;
    return this;
  }

  CaseSpec tcbInfoFrom(String variant) {
    tcbInfoFrom = Optional.of(variant);
    return this;
  }

  CaseSpec tag(String t) {
    tags.add(t);
    return this;
  }

  CaseSpec affirming(String tcbStatus) {
    expected = new Expected(Optional.empty(), Optional.of("affirming"), Optional.of(tcbStatus), Optional.of(List.of()),
        Optional.empty(), List.of());
    return this;
  }

  CaseSpec affirming() {
    expected = new Expected(Optional.empty(), Optional.of("affirming"), Optional.empty(), Optional.empty(),
        Optional.of(List.of()), List.of());
    return this;
  }

  CaseSpec warning(String tcbStatus, List<String> advisories) {
    expected = new Expected(Optional.empty(), Optional.of("warning"), Optional.of(tcbStatus), Optional.of(advisories),
        Optional.of(List.of()), List.of());
    return this;
  }

  CaseSpec warning() {
    expected = new Expected(Optional.empty(), Optional.of("warning"), Optional.empty(), Optional.empty(),
        Optional.of(List.of()), List.of());
    return this;
  }

  CaseSpec contraindicated(String... failures) {
    expected = new Expected(Optional.empty(), Optional.of("contraindicated"), Optional.empty(), Optional.empty(),
        Optional.of(List.of(failures)), List.of());
    return this;
  }

  CaseSpec contraindicatedTcb(String tcbStatus, String... failures) {
    expected = new Expected(Optional.empty(), Optional.of("contraindicated"), Optional.of(tcbStatus), Optional.empty(),
        Optional.of(List.of(failures)), List.of());
    return this;
  }

  /** Rejected, by at least one failed check whose id and reason the case leaves open. */
  CaseSpec contraindicatedAny() {
    expected = new Expected(Optional.empty(), Optional.of("contraindicated"), Optional.empty(), Optional.empty(),
        Optional.empty(), List.of());
    return this;
  }

  CaseSpec requestError(String code) {
    expected = Expected.requestError(code);
    return this;
  }
}
