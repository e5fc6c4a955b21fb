package io.guestmem.snp.verify;

import io.guestmem.attestation.Appraisal;
import io.guestmem.attestation.Ar4siClaim;
import io.guestmem.attestation.Reason;
import io.guestmem.snp.abi.AttestationReport;
import io.guestmem.snp.abi.Bytes;
import io.guestmem.snp.abi.KeyInfo;
import io.guestmem.snp.abi.TcbVersion;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/** Applies a compiled {@link SnpPolicy} to a report; one {@code snp.policy.*} check per configured rule. */
final class SnpPolicyChecks {
  private SnpPolicyChecks() {}

  static void apply(SnpPolicy p, AttestationReport r, Appraisal out) {
    if (!p.measurements().isEmpty()) {
      out.check("snp.policy.measurement", Ar4siClaim.EXECUTABLES, anyEqual(p.measurements(), r.measurement()),
          Reason.REFERENCE_VALUE_MISMATCH, "MEASUREMENT " + r.measurement().hex());
    }
    p.hostData().ifPresent(v -> exact(out, "snp.policy.host_data", Ar4siClaim.CONFIGURATION, v, r.hostData(), "HOST_DATA"));
    p.familyId().ifPresent(v -> exact(out, "snp.policy.family_id", Ar4siClaim.EXECUTABLES, v, r.familyId(), "FAMILY_ID"));
    p.imageId().ifPresent(v -> exact(out, "snp.policy.image_id", Ar4siClaim.EXECUTABLES, v, r.imageId(), "IMAGE_ID"));
    p.reportData().ifPresent(v -> exact(out, "snp.policy.report_data", Ar4siClaim.INSTANCE_IDENTITY, v, r.reportData(), "REPORT_DATA"));
    p.chipId().ifPresent(v -> exact(out, "snp.policy.chip_id", Ar4siClaim.INSTANCE_IDENTITY, v, r.chipId(), "CHIP_ID"));
    p.reportId().ifPresent(v -> exact(out, "snp.policy.report_id", Ar4siClaim.INSTANCE_IDENTITY, v, r.reportId(), "REPORT_ID"));
    p.reportIdMa().ifPresent(v -> exact(out, "snp.policy.report_id_ma", Ar4siClaim.INSTANCE_IDENTITY, v, r.reportIdMa(),
        "REPORT_ID_MA"));
    if (!p.idKeyDigests().isEmpty()) {
      out.check("snp.policy.id_key_digest", Ar4siClaim.EXECUTABLES, anyEqual(p.idKeyDigests(), r.idKeyDigest()),
          Reason.REFERENCE_VALUE_MISMATCH, "ID_KEY_DIGEST " + r.idKeyDigest().hex());
    }
    if (!p.authorKeyDigests().isEmpty()) {
      out.check("snp.policy.author_key_digest", Ar4siClaim.EXECUTABLES,
          r.keyInfo().authorKeyEn() && anyEqual(p.authorKeyDigests(), r.authorKeyDigest()),
          Reason.REFERENCE_VALUE_MISMATCH, "AUTHOR_KEY_DIGEST " + r.authorKeyDigest().hex()
              + ", AUTHOR_KEY_EN " + r.keyInfo().authorKeyEn());
    }
    if (p.requireAuthorKey()) {
      out.check("snp.policy.author_key_required", Ar4siClaim.EXECUTABLES, r.keyInfo().authorKeyEn(),
          Reason.POLICY_VIOLATION, "KEY_INFO.AUTHOR_KEY_EN " + r.keyInfo().authorKeyEn());
    }
    p.vmpl().ifPresent(v -> out.check("snp.policy.vmpl", Ar4siClaim.CONFIGURATION, r.vmpl() == v,
        Reason.POLICY_VIOLATION, "Expected VMPL " + v + ", got " + r.vmpl()));
    p.maxVmpl().ifPresent(v -> out.check("snp.policy.max_vmpl", Ar4siClaim.CONFIGURATION, r.vmpl() <= v,
        Reason.POLICY_VIOLATION, "Expected VMPL <= " + v + ", got " + r.vmpl()));
    p.minimumGuestSvn().ifPresent(v -> out.check("snp.policy.minimum_guest_svn", Ar4siClaim.EXECUTABLES,
        r.guestSvn() >= v, Reason.BELOW_MINIMUM, "GUEST_SVN " + r.guestSvn() + ", minimum " + v));
    long policyBits = r.policy().bits();
    if (p.guestPolicyForbidden() != 0 || p.guestPolicyRequired() != 0) {
      long forbidden = policyBits & p.guestPolicyForbidden();
      long missing = p.guestPolicyRequired() & ~policyBits;
      String reason = (forbidden & io.guestmem.snp.abi.GuestPolicy.DEBUG) != 0 ? Reason.DEBUG_NOT_ALLOWED : Reason.POLICY_VIOLATION;
      out.check("snp.policy.guest_policy", Ar4siClaim.CONFIGURATION, forbidden == 0 && missing == 0, reason,
          "forbidden bits set: " + names(forbidden, SnpPolicy.GUEST_POLICY_BITS) + ", required bits clear: "
              + names(missing, SnpPolicy.GUEST_POLICY_BITS));
    }
    if (!p.allowUnknownPolicyBits()) {
      out.check("snp.policy.guest_policy_unknown_bits", Ar4siClaim.CONFIGURATION, r.policy().unknownBits() == 0,
          Reason.POLICY_VIOLATION, String.format("unknown POLICY bits 0x%x", r.policy().unknownBits()));
    }
    p.minimumAbi().ifPresent(v -> out.check("snp.policy.minimum_abi", Ar4siClaim.CONFIGURATION,
        compare(new int[] {r.policy().abiMajor(), r.policy().abiMinor()}, v) >= 0, Reason.BELOW_MINIMUM,
        "guest policy ABI " + r.policy().abiMajor() + "." + r.policy().abiMinor() + ", minimum " + v[0] + "." + v[1]));
    long platform = r.platformInfo().bits();
    if (p.platformInfoForbidden() != 0 || p.platformInfoRequired() != 0) {
      long forbidden = platform & p.platformInfoForbidden();
      long missing = p.platformInfoRequired() & ~platform;
      out.check("snp.policy.platform_info", Ar4siClaim.HARDWARE, forbidden == 0 && missing == 0, Reason.POLICY_VIOLATION,
          "forbidden bits set: " + names(forbidden, SnpPolicy.PLATFORM_INFO_BITS) + ", required bits clear: "
              + names(missing, SnpPolicy.PLATFORM_INFO_BITS));
    }
    for (Map.Entry<String, Map<String, Integer>> e : p.minimumTcbs().entrySet()) {
      TcbVersion tcb = switch (e.getKey()) {
        case "minimumReportedTcb" -> r.reportedTcb();
        case "minimumCommittedTcb" -> r.committedTcb();
        case "minimumLaunchTcb" -> r.launchTcb();
        default -> r.currentTcb();
      };
      List<String> below = new ArrayList<>();
      for (Map.Entry<String, Integer> part : e.getValue().entrySet()) {
        int have = switch (part.getKey()) {
          case "fmc" -> tcb.layout() == TcbVersion.Layout.TURIN ? tcb.fmc() : 0;
          case "bootLoader" -> tcb.bootLoader();
          case "tee" -> tcb.tee();
          case "snp" -> tcb.snp();
          default -> tcb.microcode();
        };
        if (have < part.getValue()) {
          below.add(part.getKey() + " " + have + " < " + part.getValue());
        }
      }
      out.check("snp.policy." + snake(e.getKey()), Ar4siClaim.HARDWARE, below.isEmpty(), Reason.BELOW_MINIMUM,
          below.isEmpty() ? tcb + " meets " + e.getValue() : tcb + ": " + String.join(", ", below));
    }
    for (Map.Entry<String, int[]> e : p.minimumVersions().entrySet()) {
      AttestationReport.FirmwareVersion v = e.getKey().equals("minimumCommittedVersion") ? r.committedVersion() : r.currentVersion();
      int[] want = e.getValue();
      out.check("snp.policy." + snake(e.getKey()), Ar4siClaim.HARDWARE,
          compare(new int[] {v.major(), v.minor(), v.build()}, want) >= 0, Reason.BELOW_MINIMUM,
          "Expected at least " + want[0] + "." + want[1] + "." + want[2] + ", got " + v);
    }
    p.minimumCurrentBuild().ifPresent(b -> out.check("snp.policy.minimum_current_build", Ar4siClaim.HARDWARE,
        r.currentVersion().build() >= b, Reason.BELOW_MINIMUM, "CURRENT_BUILD " + r.currentVersion().build() + ", minimum " + b));
    if (!p.permitProvisionalFirmware()) {
      // go-sev-guest's PermitProvisionalFirmware = false: firmware not yet committed (SNP_COMMIT) is
      // refused, whether it differs by TCB, by version or only by build.
      AttestationReport.FirmwareVersion cur = r.currentVersion();
      AttestationReport.FirmwareVersion com = r.committedVersion();
      boolean tcbOk = r.currentTcb().raw() == r.committedTcb().raw();
      boolean versionOk = cur.major() == com.major() && cur.minor() == com.minor() && cur.build() == com.build();
      out.check("snp.policy.provisional_firmware", Ar4siClaim.HARDWARE, tcbOk && versionOk, Reason.POLICY_VIOLATION,
          "CURRENT_TCB " + r.currentTcb() + (tcbOk ? " = " : " != ") + "COMMITTED_TCB " + r.committedTcb() + "; current "
              + cur + (versionOk ? " = " : " != ") + "committed " + com);
    }
    mitigation(out, "snp.policy.launch_mitigation_vector", p.requiredLaunchMitigationVector(), r.launchMitigationVector());
    mitigation(out, "snp.policy.current_mitigation_vector", p.requiredCurrentMitigationVector(), r.currentMitigationVector());
    p.signingKey().ifPresent(k -> out.check("snp.policy.signing_key", Ar4siClaim.HARDWARE,
        r.keyInfo().signingKey() == (k.equals("vlek") ? KeyInfo.SigningKey.VLEK : KeyInfo.SigningKey.VCEK),
        Reason.POLICY_VIOLATION, "signed by " + r.keyInfo().signingKey() + ", policy requires " + k));
    if (!p.products().isEmpty()) {
      String have = r.product().map(x -> x.kdsName()).orElse("unknown");
      out.check("snp.policy.product", Ar4siClaim.HARDWARE, p.products().contains(have), Reason.PRODUCT_MISMATCH,
          "product " + have + ", allowed " + p.products());
    }
  }

  private static void mitigation(Appraisal out, String id, OptionalLong required, OptionalLong have) {
    if (required.isEmpty()) {
      return;
    }
    long need = required.getAsLong();
    boolean ok = have.isPresent() && (have.getAsLong() & need) == need;
    out.check(id, Ar4siClaim.HARDWARE, ok, Reason.BELOW_MINIMUM, have.isEmpty()
        ? "the report has no mitigation vectors (version < 5)"
        : String.format("vector 0x%x lacks required bits 0x%x", have.getAsLong(), need & ~have.getAsLong()));
  }

  private static void exact(Appraisal out, String id, Ar4siClaim c, byte[] want, Bytes have, String field) {
    out.check(id, c, MessageDigest.isEqual(want, have.toByteArray()), Reason.REFERENCE_VALUE_MISMATCH,
        field + " " + have.hex() + ", expected " + HexFormat.of().formatHex(want));
  }

  private static boolean anyEqual(List<byte[]> candidates, Bytes have) {
    byte[] h = have.toByteArray();
    return candidates.stream().anyMatch(c -> MessageDigest.isEqual(c, h));
  }

  private static int compare(int[] a, int[] b) {
    for (int i = 0; i < Math.min(a.length, b.length); i++) {
      if (a[i] != b[i]) {
        return Integer.compare(a[i], b[i]);
      }
    }
    return 0;
  }

  private static List<String> names(long bits, Map<String, Long> table) {
    return table.entrySet().stream().filter(e -> (bits & e.getValue()) != 0).map(Map.Entry::getKey).sorted().toList();
  }

  private static String snake(String camel) {
    return camel.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
  }
}
