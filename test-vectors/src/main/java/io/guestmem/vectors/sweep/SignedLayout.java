package io.guestmem.vectors.sweep;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Where the signed region ends and where the field boundaries lie in a TDX quote (DCAP quote
 * v4/v5: header, body, signature data, QE report certification data), an SGX ECDSA quote v3, or an SEV-SNP
 * ATTESTATION_REPORT (ABI spec 56860, table 23), read from the evidence bytes themselves with
 * bounds checks; evidence that is neither gives empty.
 */
public record SignedLayout(String tee, int signedEnd, int evidenceEnd, List<Integer> boundaries) {
  public SignedLayout {
    boundaries = List.copyOf(boundaries);
  }

  /** The layout of {@code b}, if it is a well-formed TDX quote v4/v5 or SNP report. */
  public static Optional<SignedLayout> of(byte[] b) {
    if (b.length >= 0x30 && u16(b, 2) == 2 && u32(b, 4) == 0x81 && (u16(b, 0) == 4 || u16(b, 0) == 5)) {
      return tdx(b);
    }
    if (b.length >= 0x1B4 && u16(b, 0) == 3 && u16(b, 2) == 2 && u32(b, 4) == 0) {
      return sgx(b);
    }
    if (b.length >= 0x4A0 && u32(b, 0x34) == 1 && u32(b, 0) >= 2 && u32(b, 0) <= 5) {
      return Optional.of(snp(b));
    }
    return Optional.empty();
  }

  private static Optional<SignedLayout> tdx(byte[] b) {
    TreeSet<Integer> cuts = new TreeSet<>(List.of(0x02, 0x04, 0x08, 0x0C, 0x1C, 0x30));
    int body;
    int bodySize;
    if (u16(b, 0) == 4) {
      body = 0x30;
      bodySize = 0x248;
    } else {
      if (b.length < 0x36) {
        return Optional.empty();
      }
      cuts.add(0x32);
      cuts.add(0x36);
      body = 0x36;
      bodySize = (int) u32(b, 0x32);
      if (bodySize != 0x248 && bodySize != 0x288) {
        return Optional.empty();
      }
    }
    for (int off : new int[] {0x10, 0x40, 0x70, 0x78, 0x80, 0x88, 0xB8, 0xE8, 0x118, 0x148, 0x178, 0x1A8, 0x1D8, 0x208, 0x248, 0x258}) {
      if (off <= bodySize) {
        cuts.add(body + off);
      }
    }
    int signedEnd = body + bodySize;
    if (b.length < signedEnd + 4) {
      return Optional.empty();
    }
    long sigLen = u32(b, signedEnd);
    int sig = signedEnd + 4;
    long end = sig + sigLen;
    if (end > b.length || sigLen < 134) {
      return Optional.empty();
    }
    cuts.add(sig);
    cuts.add(sig + 64);
    cuts.add(sig + 128);
    cuts.add(sig + 130);
    cuts.add(sig + 134);
    int qe = sig + 134;
    if (u16(b, sig + 128) == 6 && qe + 450 <= end) {
      cuts.add(qe + 384);
      cuts.add(qe + 448);
      cuts.add(qe + 450);
      int auth = u16(b, qe + 448);
      int inner = qe + 450 + auth;
      if (inner + 6 <= end) {
        cuts.add(inner);
        cuts.add(inner + 2);
        cuts.add(inner + 6);
      }
    }
    cuts.add((int) end);
    return Optional.of(new SignedLayout("tdx", signedEnd, (int) end, new ArrayList<>(cuts)));
  }

  /** SGX ECDSA quote v3: header, 384-byte enclave report, then signature, key, QE report, QE signature, auth data, cert data. */
  private static Optional<SignedLayout> sgx(byte[] b) {
    TreeSet<Integer> cuts = new TreeSet<>(List.of(0x02, 0x04, 0x08, 0x0A, 0x0C, 0x1C, 0x30));
    for (int off : new int[] {0x10, 0x14, 0x20, 0x30, 0x40, 0x60, 0x80, 0xA0, 0x100, 0x102, 0x104, 0x106, 0x130, 0x140}) {
      cuts.add(0x30 + off);
    }
    int signedEnd = 0x1B0;
    long sigLen = u32(b, signedEnd);
    int sig = signedEnd + 4;
    long end = sig + sigLen;
    if (end > b.length || sigLen < 64 + 64 + 384 + 64 + 2) {
      return Optional.empty();
    }
    int qe = sig + 128;
    for (int c : new int[] {sig, sig + 64, qe, qe + 384, qe + 448, qe + 450}) {
      cuts.add(c);
    }
    int auth = u16(b, qe + 448);
    int cert = qe + 450 + auth;
    if (cert + 6 <= end) {
      cuts.add(cert);
      cuts.add(cert + 2);
      cuts.add(cert + 6);
    }
    cuts.add((int) end);
    return Optional.of(new SignedLayout("sgx", signedEnd, (int) end, new ArrayList<>(cuts)));
  }

  private static SignedLayout snp(byte[] b) {
    List<Integer> cuts = List.of(0x004, 0x008, 0x010, 0x020, 0x030, 0x034, 0x038, 0x040, 0x048, 0x04C, 0x050, 0x090,
        0x0C0, 0x0E0, 0x110, 0x140, 0x160, 0x180, 0x188, 0x1A0, 0x1E0, 0x1E8, 0x1EC, 0x1F0, 0x1F8, 0x200, 0x208, 0x2A0,
        0x2E8, 0x330, 0x4A0);
    return new SignedLayout("snp", 0x2A0, 0x4A0, cuts);
  }

  private static int u16(byte[] b, int off) {
    return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8;
  }

  private static long u32(byte[] b, int off) {
    return (b[off] & 0xFFL) | (b[off + 1] & 0xFFL) << 8 | (b[off + 2] & 0xFFL) << 16 | (b[off + 3] & 0xFFL) << 24;
  }
}
