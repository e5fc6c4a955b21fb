package io.guestmem.tdx.emu;

import java.util.Map;

/**
 * A TDX module completion status (RAX after SEAMCALL / TDCALL) or a TDG.VP.VMCALL status (R10),
 * as a 64-bit code so that unknown codes survive. Values follow the TDX module ABI spec status
 * codes (as Linux {@code tdx_errno.h} spells them) and the TDX Guest-Host-Communication
 * Interface spec; bits 31:0 (operand ID) are zero here. Bit 63 set means error.
 */
public record TdxStatus(long code) {
  public static final TdxStatus SUCCESS = new TdxStatus(0L);
  public static final TdxStatus OPERAND_INVALID = new TdxStatus(0xC000_0100_0000_0000L);
  public static final TdxStatus OPERAND_ADDR_RANGE_ERROR = new TdxStatus(0xC000_0101_0000_0000L);
  public static final TdxStatus TD_NOT_INITIALIZED = new TdxStatus(0xC000_0600_0000_0000L);
  public static final TdxStatus TD_INITIALIZED = new TdxStatus(0xC000_0601_0000_0000L);
  public static final TdxStatus TD_NOT_FINALIZED = new TdxStatus(0xC000_0602_0000_0000L);
  public static final TdxStatus TD_FINALIZED = new TdxStatus(0xC000_0603_0000_0000L);
  public static final TdxStatus EPT_WALK_FAILED = new TdxStatus(0xC000_0B00_0000_0000L);
  public static final TdxStatus EPT_ENTRY_NOT_FREE = new TdxStatus(0xC000_0B02_0000_0000L);
  public static final TdxStatus GPA_RANGE_NOT_BLOCKED = new TdxStatus(0xC000_0B06_0000_0000L);
  public static final TdxStatus GPA_RANGE_ALREADY_BLOCKED = new TdxStatus(0x0000_0B07_0000_0000L);
  public static final TdxStatus PAGE_ALREADY_ACCEPTED = new TdxStatus(0x0000_0B0A_0000_0000L);
  public static final TdxStatus EPT_ENTRY_STATE_INCORRECT = new TdxStatus(0xC000_0B0D_0000_0000L);

  /** TDG.VP.VMCALL statuses (GHCI spec). */
  public static final TdxStatus VMCALL_SUCCESS = SUCCESS;
  public static final TdxStatus VMCALL_RETRY = new TdxStatus(1L);
  public static final TdxStatus VMCALL_INVALID_OPERAND = new TdxStatus(0x8000_0000_0000_0000L);
  public static final TdxStatus VMCALL_ALIGN_ERROR = new TdxStatus(0x8000_0000_0000_0002L);

  private static final Map<Long, String> NAMES =
      Map.ofEntries(
          Map.entry(0L, "TDX_SUCCESS"),
          Map.entry(OPERAND_INVALID.code, "TDX_OPERAND_INVALID"),
          Map.entry(OPERAND_ADDR_RANGE_ERROR.code, "TDX_OPERAND_ADDR_RANGE_ERROR"),
          Map.entry(TD_NOT_INITIALIZED.code, "TDX_TD_NOT_INITIALIZED"),
          Map.entry(TD_INITIALIZED.code, "TDX_TD_INITIALIZED"),
          Map.entry(TD_NOT_FINALIZED.code, "TDX_TD_NOT_FINALIZED"),
          Map.entry(TD_FINALIZED.code, "TDX_TD_FINALIZED"),
          Map.entry(EPT_WALK_FAILED.code, "TDX_EPT_WALK_FAILED"),
          Map.entry(EPT_ENTRY_NOT_FREE.code, "TDX_EPT_ENTRY_NOT_FREE"),
          Map.entry(GPA_RANGE_NOT_BLOCKED.code, "TDX_GPA_RANGE_NOT_BLOCKED"),
          Map.entry(GPA_RANGE_ALREADY_BLOCKED.code, "TDX_GPA_RANGE_ALREADY_BLOCKED"),
          Map.entry(PAGE_ALREADY_ACCEPTED.code, "TDX_PAGE_ALREADY_ACCEPTED"),
          Map.entry(EPT_ENTRY_STATE_INCORRECT.code, "TDX_EPT_ENTRY_STATE_INCORRECT"),
          Map.entry(VMCALL_RETRY.code, "TDG_VP_VMCALL_RETRY"),
          Map.entry(VMCALL_INVALID_OPERAND.code, "TDG_VP_VMCALL_INVALID_OPERAND"),
          Map.entry(VMCALL_ALIGN_ERROR.code, "TDG_VP_VMCALL_ALIGN_ERROR"));

  public boolean isSuccess() {
    return code == 0;
  }

  /** Bit 63: the call failed. (TDX_PAGE_ALREADY_ACCEPTED and …ALREADY_BLOCKED are warnings.) */
  public boolean isError() {
    return code < 0;
  }

  /** The spec name, or the hex code for codes this class does not name. */
  public String name() {
    return NAMES.getOrDefault(code, String.format("0x%016X", code));
  }

  @Override
  public String toString() {
    return name();
  }
}
