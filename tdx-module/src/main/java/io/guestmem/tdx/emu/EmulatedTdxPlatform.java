package io.guestmem.tdx.emu;

import io.guestmem.memory.ConvertibleMemory;
import io.guestmem.tdx.abi.Bytes;
import io.guestmem.tdx.abi.TdReport;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One emulated TDX-capable host: its TCB ({@link PlatformConfig}) and its per-platform report MAC
 * key. Creates TDs on a guest memory and checks TDREPORT MACs, as the CPU's EVERIFYREPORT2 does
 * for the quoting enclave.
 *
 * <p>The TDREPORT MAC here is HMAC-SHA-256(platform key, REPORTMACSTRUCT[0, 0xE0)); real
 * hardware uses a CPU-internal key and algorithm. Since REPORTMACSTRUCT carries SHA-384 of
 * TEE_TCB_INFO and of TDINFO, the MAC covers the whole report.
 */
public final class EmulatedTdxPlatform {
  private final PlatformConfig config;
  private final byte[] reportMacKey;
  private final long mapGpaChunkBytes;

  /**
   * @param mapGpaChunkBytes how many bytes one TDG.VP.VMCALL&lt;MapGPA&gt; converts before
   *     answering RETRY (a multiple of 4 KiB)
   */
  public EmulatedTdxPlatform(Seed seed, PlatformConfig config, long mapGpaChunkBytes) {
    if (mapGpaChunkBytes <= 0 || mapGpaChunkBytes % EmulatedTd.PAGE_SIZE != 0) {
      throw new IllegalArgumentException("MapGPA chunk must be a positive multiple of 4 KiB");
    }
    this.config = config;
    this.reportMacKey = seed.bytes("tdreport-mac-key", 32);
    this.mapGpaChunkBytes = mapGpaChunkBytes;
  }

  public EmulatedTdxPlatform(Seed seed) {
    this(seed, PlatformConfig.defaults(seed), 2L << 20);
  }

  public PlatformConfig config() {
    return config;
  }

  public long mapGpaChunkBytes() {
    return mapGpaChunkBytes;
  }

  /** TDH.MNG.CREATE + TDH.MNG.KEY.CONFIG: a TD in state CREATED whose private memory is {@code memory}. */
  public EmulatedTd createTd(ConvertibleMemory memory) {
    return new EmulatedTd(this, memory);
  }

  byte[] mac(byte[] macedBytes) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(reportMacKey, "HmacSHA256"));
      return mac.doFinal(macedBytes);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA-256 unavailable", e);
    }
  }

  /**
   * Whether {@code report} was produced by this platform and not altered: the MAC verifies and
   * both hashes match the structures they cover.
   */
  public boolean verifyReport(TdReport report) {
    try {
      MessageDigest sha384 = MessageDigest.getInstance("SHA-384");
      boolean tcbOk = report.reportMac().teeTcbInfoHash().contentEquals(sha384.digest(report.teeTcbInfo().toBytes()));
      boolean infoOk = report.reportMac().teeInfoHash().contentEquals(sha384.digest(report.tdInfo().toBytes()));
      boolean macOk = report.reportMac().mac().contentEquals(mac(report.reportMac().macedBytes()));
      return tcbOk && infoOk && macOk;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-384 unavailable", e);
    }
  }

  static Bytes sha384(byte[]... parts) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-384");
      for (byte[] p : parts) {
        md.update(p);
      }
      return Bytes.of(md.digest());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-384 unavailable", e);
    }
  }
}
