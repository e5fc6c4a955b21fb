package io.guestmem.snp.emu;

/**
 * An SNP firmware status code (AMD SEV-SNP ABI spec 56860, "Status Codes"; the values Linux's
 * {@code psp-sev.h} mirrors). A record over the integer, so codes this class does not name survive
 * unchanged; {@link #name()} gives the spec's name or {@code UNKNOWN(0x..)}.
 */
public record SnpFirmwareStatus(int code) {
  public static final SnpFirmwareStatus SUCCESS = new SnpFirmwareStatus(0x00);
  public static final SnpFirmwareStatus INVALID_PLATFORM_STATE = new SnpFirmwareStatus(0x01);
  public static final SnpFirmwareStatus INVALID_GUEST_STATE = new SnpFirmwareStatus(0x02);
  public static final SnpFirmwareStatus INVALID_CONFIG = new SnpFirmwareStatus(0x03);
  public static final SnpFirmwareStatus INVALID_LENGTH = new SnpFirmwareStatus(0x04);
  public static final SnpFirmwareStatus POLICY_FAILURE = new SnpFirmwareStatus(0x07);
  public static final SnpFirmwareStatus INVALID_ADDRESS = new SnpFirmwareStatus(0x09);
  public static final SnpFirmwareStatus BAD_SIGNATURE = new SnpFirmwareStatus(0x0A);
  public static final SnpFirmwareStatus BAD_MEASUREMENT = new SnpFirmwareStatus(0x0B);
  public static final SnpFirmwareStatus INVALID_GUEST = new SnpFirmwareStatus(0x10);
  public static final SnpFirmwareStatus INVALID_PARAM = new SnpFirmwareStatus(0x16);
  public static final SnpFirmwareStatus RESOURCE_LIMIT = new SnpFirmwareStatus(0x17);
  public static final SnpFirmwareStatus INVALID_PAGE_SIZE = new SnpFirmwareStatus(0x19);
  public static final SnpFirmwareStatus INVALID_PAGE_STATE = new SnpFirmwareStatus(0x1A);
  public static final SnpFirmwareStatus INVALID_PAGE_OWNER = new SnpFirmwareStatus(0x1C);
  public static final SnpFirmwareStatus INVALID_KEY = new SnpFirmwareStatus(0x27);

  public boolean isSuccess() {
    return code == 0;
  }

  public String name() {
    return switch (code) {
      case 0x00 -> "SUCCESS";
      case 0x01 -> "INVALID_PLATFORM_STATE";
      case 0x02 -> "INVALID_GUEST_STATE";
      case 0x03 -> "INVALID_CONFIG";
      case 0x04 -> "INVALID_LENGTH";
      case 0x05 -> "ALREADY_OWNED";
      case 0x06 -> "INVALID_CERTIFICATE";
      case 0x07 -> "POLICY_FAILURE";
      case 0x08 -> "INACTIVE";
      case 0x09 -> "INVALID_ADDRESS";
      case 0x0A -> "BAD_SIGNATURE";
      case 0x0B -> "BAD_MEASUREMENT";
      case 0x0C -> "ASID_OWNED";
      case 0x0D -> "INVALID_ASID";
      case 0x0E -> "WBINVD_REQUIRED";
      case 0x0F -> "DFFLUSH_REQUIRED";
      case 0x10 -> "INVALID_GUEST";
      case 0x11 -> "INVALID_COMMAND";
      case 0x12 -> "ACTIVE";
      case 0x13 -> "HWERROR_PLATFORM";
      case 0x14 -> "HWERROR_UNSAFE";
      case 0x15 -> "UNSUPPORTED";
      case 0x16 -> "INVALID_PARAM";
      case 0x17 -> "RESOURCE_LIMIT";
      case 0x18 -> "SECURE_DATA_INVALID";
      case 0x19 -> "INVALID_PAGE_SIZE";
      case 0x1A -> "INVALID_PAGE_STATE";
      case 0x1B -> "INVALID_MDATA_ENTRY";
      case 0x1C -> "INVALID_PAGE_OWNER";
      case 0x1D -> "AEAD_OFLOW";
      case 0x1F -> "EXIT_RING_BUFFER";
      case 0x20 -> "RMP_INIT_REQUIRED";
      case 0x21 -> "BAD_SVN";
      case 0x22 -> "BAD_VERSION";
      case 0x23 -> "SHUTDOWN_REQUIRED";
      case 0x24 -> "UPDATE_FAILED";
      case 0x25 -> "RESTORE_REQUIRED";
      case 0x26 -> "RMP_INITIALIZATION_FAILED";
      case 0x27 -> "INVALID_KEY";
      default -> String.format("UNKNOWN(0x%x)", code);
    };
  }

  @Override
  public String toString() {
    return name();
  }
}
