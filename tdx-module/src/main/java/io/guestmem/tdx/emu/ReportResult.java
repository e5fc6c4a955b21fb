package io.guestmem.tdx.emu;

import io.guestmem.tdx.abi.TdReport;
import java.util.Optional;

/** TDG.MR.REPORT's completion status and, on success, the TDREPORT. */
public record ReportResult(TdxStatus status, Optional<TdReport> report) {}
