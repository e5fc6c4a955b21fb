package io.guestmem.tdx.abi;

import java.util.Optional;

/** A TCB status as Intel PCS spells it in TCB Info and QE Identity levels. */
public enum TcbStatus {
  UP_TO_DATE("UpToDate"),
  SW_HARDENING_NEEDED("SWHardeningNeeded"),
  CONFIGURATION_NEEDED("ConfigurationNeeded"),
  CONFIGURATION_AND_SW_HARDENING_NEEDED("ConfigurationAndSWHardeningNeeded"),
  OUT_OF_DATE("OutOfDate"),
  OUT_OF_DATE_CONFIGURATION_NEEDED("OutOfDateConfigurationNeeded"),
  REVOKED("Revoked");

  private final String pcsName;

  TcbStatus(String pcsName) {
    this.pcsName = pcsName;
  }

  /** The spelling in PCS JSON, e.g. {@code "UpToDate"}. */
  public String pcsName() {
    return pcsName;
  }

  public static Optional<TcbStatus> fromPcsName(String name) {
    for (TcbStatus s : values()) {
      if (s.pcsName.equals(name)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }

  static TcbStatus parse(JsonFields f, String member, String path) throws MalformedLayoutException {
    String s = f.string(member);
    return fromPcsName(s)
        .orElseThrow(() -> new MalformedLayoutException(path + "." + member, 0, "unknown TCB status \"" + s + "\""));
  }
}
