package io.guestmem.tdx.emu;

import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.TdAttributes;
import io.guestmem.tdx.abi.Xfam;

/**
 * The TD_PARAMS fields of TDH.MNG.INIT that reach the TD's evidence: ATTRIBUTES, XFAM,
 * MRCONFIGID, MROWNER, MROWNEROWNERCONFIG, and GPAW (48 or 52: the shared bit is GPA bit GPAW-1).
 */
public record TdParams(TdAttributes attributes, Xfam xfam, Bytes mrConfigId, Bytes mrOwner, Bytes mrOwnerConfig, int gpaw) {
  public TdParams {
    if (mrConfigId.length() != 48 || mrOwner.length() != 48 || mrOwnerConfig.length() != 48) {
      throw new IllegalArgumentException("MRCONFIGID, MROWNER and MROWNERCONFIG are 48 bytes");
    }
    if (gpaw != 48 && gpaw != 52) {
      throw new IllegalArgumentException("GPAW is 48 or 52");
    }
  }

  /** A non-debug TD with SEPT_VE_DISABLE, x87/SSE/AVX/AVX-512/PKRU XFAM, zero MRCONFIGID/MROWNER*, GPAW 48. */
  public static TdParams defaults() {
    return new TdParams(
        TdAttributes.fromBits(TdAttributes.SEPT_VE_DISABLE),
        Xfam.fromBits(0x0000_0000_0006_02E7L),
        Bytes.zeros(48),
        Bytes.zeros(48),
        Bytes.zeros(48),
        48);
  }

  public TdParams withAttributes(TdAttributes a) {
    return new TdParams(a, xfam, mrConfigId, mrOwner, mrOwnerConfig, gpaw);
  }

  public TdParams withMrConfigId(Bytes id) {
    return new TdParams(attributes, xfam, id, mrOwner, mrOwnerConfig, gpaw);
  }

  public TdParams withMrOwner(Bytes owner) {
    return new TdParams(attributes, xfam, mrConfigId, owner, mrOwnerConfig, gpaw);
  }

  public TdParams withGpaw(int g) {
    return new TdParams(attributes, xfam, mrConfigId, mrOwner, mrOwnerConfig, g);
  }

  /** The shared bit: GPA bit GPAW-1. */
  public long sharedBit() {
    return 1L << (gpaw - 1);
  }
}
