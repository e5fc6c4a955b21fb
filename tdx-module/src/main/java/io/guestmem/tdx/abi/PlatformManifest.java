package io.guestmem.tdx.abi;

/** Certification data type 7: a platform manifest, kept as opaque bytes. */
public record PlatformManifest(Bytes data) implements CertificationData {
  @Override
  public int type() {
    return TYPE_PLATFORM_MANIFEST;
  }

  @Override
  public byte[] dataBytes() {
    return data.toByteArray();
  }
}
