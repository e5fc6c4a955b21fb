package io.guestmem.tdx.emu;

import io.guestmem.tdx.abi.Bytes;

/**
 * What an emulated TDX platform reports about its TCB: the CPU SVN (its 16 bytes are also the
 * 16 SGX TCB component SVNs of the PCK certificate), TEE_TCB_SVN ([0] TDX module ISVSVN, [1]
 * module major version: 0 = TDX 1.0, >0 = TDX 1.5 and TD 1.5 reports), TEE_TCB_SVN2, MRSEAM,
 * MRSIGNERSEAM (zero for Intel's module) and SEAMATTRIBUTES (zero).
 */
public record PlatformConfig(
    Bytes cpuSvn, Bytes teeTcbSvn, Bytes teeTcbSvn2, Bytes mrSeam, Bytes mrSignerSeam, long seamAttributes) {
  public PlatformConfig {
    if (cpuSvn.length() != 16 || teeTcbSvn.length() != 16 || teeTcbSvn2.length() != 16) {
      throw new IllegalArgumentException("CPUSVN, TEE_TCB_SVN and TEE_TCB_SVN2 are 16 bytes");
    }
    if (mrSeam.length() != 48 || mrSignerSeam.length() != 48) {
      throw new IllegalArgumentException("MRSEAM and MRSIGNERSEAM are 48 bytes");
    }
  }

  /** A TDX 1.5 platform (module 1.5, ISVSVN 6) with a seed-derived MRSEAM. */
  public static PlatformConfig defaults(Seed seed) {
    return new PlatformConfig(
        Bytes.fromHex("05050202030100050000000000000000"),
        Bytes.fromHex("06010300000000000000000000000000"),
        Bytes.fromHex("06010300000000000000000000000000"),
        Bytes.of(seed.bytes("mrseam", 48)),
        Bytes.zeros(48),
        0);
  }

  /** True for a TDX 1.5 module (TEE_TCB_SVN[1] > 0). */
  public boolean tdx15() {
    return teeTcbSvn.get(1) != 0;
  }

  public PlatformConfig withCpuSvn(Bytes v) {
    return new PlatformConfig(v, teeTcbSvn, teeTcbSvn2, mrSeam, mrSignerSeam, seamAttributes);
  }

  public PlatformConfig withTeeTcbSvn(Bytes v) {
    return new PlatformConfig(cpuSvn, v, teeTcbSvn2, mrSeam, mrSignerSeam, seamAttributes);
  }

  public PlatformConfig withTeeTcbSvn2(Bytes v) {
    return new PlatformConfig(cpuSvn, teeTcbSvn, v, mrSeam, mrSignerSeam, seamAttributes);
  }

  public PlatformConfig withMrSignerSeam(Bytes v) {
    return new PlatformConfig(cpuSvn, teeTcbSvn, teeTcbSvn2, mrSeam, v, seamAttributes);
  }

  public PlatformConfig withSeamAttributes(long v) {
    return new PlatformConfig(cpuSvn, teeTcbSvn, teeTcbSvn2, mrSeam, mrSignerSeam, v);
  }
}
