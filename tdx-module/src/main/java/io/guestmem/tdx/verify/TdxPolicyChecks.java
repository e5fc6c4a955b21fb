package io.guestmem.tdx.verify;

import io.guestmem.attestation.Appraisal;
import io.guestmem.attestation.Ar4siClaim;
import io.guestmem.attestation.Reason;
import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.Quote;
import io.guestmem.tdx.abi.SgxReportBody;
import io.guestmem.tdx.abi.TdReportBody;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/** Applies a compiled {@link TdxPolicy} to a quote; one {@code tdx.policy.*} check per configured rule. */
final class TdxPolicyChecks {
  private TdxPolicyChecks() {}

  static void apply(TdxPolicy p, Quote q, SgxReportBody qeReport, Optional<Integer> pceSvn, Appraisal out) {
    TdReportBody b = q.body();
    anyOf(out, "tdx.policy.mr_td", Ar4siClaim.EXECUTABLES, p.mrTd(), b.mrTd(), "MRTD");
    anyOf(out, "tdx.policy.mr_seam", Ar4siClaim.HARDWARE, p.mrSeam(), b.mrSeam(), "MRSEAM");
    for (int i = 0; i < 4; i++) {
      int n = i;
      p.rtmrs().get(i).ifPresent(v -> exact(out, "tdx.policy.rtmr" + n, Ar4siClaim.EXECUTABLES, v, b.rtmr(n), "RTMR" + n));
    }
    p.mrConfigId().ifPresent(v -> exact(out, "tdx.policy.mr_config_id", Ar4siClaim.CONFIGURATION, v, b.mrConfigId(), "MRCONFIGID"));
    p.mrOwner().ifPresent(v -> exact(out, "tdx.policy.mr_owner", Ar4siClaim.CONFIGURATION, v, b.mrOwner(), "MROWNER"));
    p.mrOwnerConfig().ifPresent(v -> exact(out, "tdx.policy.mr_owner_config", Ar4siClaim.CONFIGURATION, v,
        b.mrOwnerConfig(), "MROWNERCONFIG"));
    p.reportData().ifPresent(v -> exact(out, "tdx.policy.report_data", Ar4siClaim.INSTANCE_IDENTITY, v, b.reportData(),
        "REPORTDATA"));
    p.tdAttributes().ifPresent(v -> masked(out, "tdx.policy.td_attributes", le64(b.tdAttributes().bits()), v, "TD_ATTRIBUTES"));
    p.xfam().ifPresent(v -> masked(out, "tdx.policy.xfam", le64(b.xfam().bits()), v, "XFAM"));
    p.allowDebug().ifPresent(allow -> out.check("tdx.policy.debug", Ar4siClaim.CONFIGURATION,
        allow || !b.tdAttributes().debug(), Reason.DEBUG_NOT_ALLOWED, "TD_ATTRIBUTES.DEBUG " + b.tdAttributes().debug()));
    p.minimumTeeTcbSvn().ifPresent(min -> {
      byte[] have = b.teeTcbSvn().toByteArray();
      StringBuilder below = new StringBuilder();
      for (int i = 0; i < 16; i++) {
        if ((have[i] & 0xFF) < (min[i] & 0xFF)) {
          below.append(" [").append(i).append("] ").append(have[i] & 0xFF).append(" < ").append(min[i] & 0xFF);
        }
      }
      out.check("tdx.policy.minimum_tee_tcb_svn", Ar4siClaim.HARDWARE, below.length() == 0, Reason.BELOW_MINIMUM,
          "TEE_TCB_SVN " + b.teeTcbSvn().hex() + (below.length() == 0 ? " meets the minimum" : ":" + below));
    });
    p.minimumQeSvn().ifPresent(min -> out.check("tdx.policy.minimum_qe_svn", Ar4siClaim.HARDWARE,
        qeReport.isvSvn() >= min, Reason.BELOW_MINIMUM, "QE ISVSVN " + qeReport.isvSvn() + ", minimum " + min));
    p.minimumPceSvn().ifPresent(min -> out.check("tdx.policy.minimum_pce_svn", Ar4siClaim.HARDWARE,
        pceSvn.isPresent() && pceSvn.get() >= min, Reason.BELOW_MINIMUM,
        "PCK PCESVN " + pceSvn.map(String::valueOf).orElse("unknown") + ", minimum " + min));
    p.qeVendorId().ifPresent(v -> exact(out, "tdx.policy.qe_vendor_id", Ar4siClaim.HARDWARE, v, q.header().qeVendorId(),
        "QE_VENDOR_ID"));
    if (p.rejectNonZeroTrailingBytes()) {
      out.check("tdx.policy.trailing_bytes", Ar4siClaim.CONFIGURATION, q.trailingBytes().isAllZero(), Reason.TRAILING_DATA,
          q.trailingLength() + " bytes after the signature data" + (q.trailingBytes().isAllZero() ? ", all zero" : ", not all zero"));
    }
  }

  private static void anyOf(Appraisal out, String id, Ar4siClaim c, List<byte[]> want, Bytes have, String field) {
    if (want.isEmpty()) {
      return;
    }
    byte[] h = have.toByteArray();
    out.check(id, c, want.stream().anyMatch(w -> MessageDigest.isEqual(w, h)), Reason.REFERENCE_VALUE_MISMATCH,
        field + " " + have.hex() + " vs " + want.size() + " reference value(s)");
  }

  private static void exact(Appraisal out, String id, Ar4siClaim c, byte[] want, Bytes have, String field) {
    out.check(id, c, MessageDigest.isEqual(want, have.toByteArray()), Reason.REFERENCE_VALUE_MISMATCH,
        field + " " + have.hex() + ", expected " + HexFormat.of().formatHex(want));
  }

  private static void masked(Appraisal out, String id, byte[] have, byte[][] valueMask, String field) {
    boolean ok = true;
    for (int i = 0; i < 8; i++) {
      ok &= (have[i] & valueMask[1][i]) == (valueMask[0][i] & valueMask[1][i]);
    }
    out.check(id, Ar4siClaim.CONFIGURATION, ok, Reason.REFERENCE_VALUE_MISMATCH, field + " " + HexFormat.of().formatHex(have)
        + " & mask " + HexFormat.of().formatHex(valueMask[1]) + ", expected " + HexFormat.of().formatHex(valueMask[0]));
  }

  private static byte[] le64(long v) {
    byte[] b = new byte[8];
    for (int i = 0; i < 8; i++) {
      b[i] = (byte) (v >>> (8 * i));
    }
    return b;
  }
}
