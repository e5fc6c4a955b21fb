package io.guestmem.snp.abi;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The certificate table of an SNP extended guest request (AMD GHCB spec 56421, "SNP Extended
 * Guest Request"; also the configfs-tsm auxblob; evidence-formats.md §1.4). A buffer starts with
 * 24-byte entries, terminated by an all-zero entry, followed by the certificate data:
 *
 * <pre>
 * entry: 0x00 16 GUID (RFC 4122 byte order, as go-sev-guest and virtee/sev read it)
 *        0x10  4 offset of the certificate from the start of the buffer (u32 LE)
 *        0x14  4 length of the certificate (u32 LE)
 * </pre>
 *
 * Parsing checks that the terminator lies inside the buffer and that every entry's data lies
 * inside the buffer and after the table; errors name the entry index and offset. The certificate
 * bytes themselves are not decoded here (real tables have carried malformed ASK/ARK entries).
 */
public final class CertTable {
  public static final UUID VCEK_GUID = UUID.fromString("63da758d-e664-4564-adc5-f4b93be8accd");
  public static final UUID VLEK_GUID = UUID.fromString("a8074bc2-a25a-483e-aae6-39c045a0b8a1");
  /** The ASK, or the ASVK when the table carries a VLEK. */
  public static final UUID ASK_GUID = UUID.fromString("4ab7b379-bbac-4fe4-a02f-05aef327c782");
  public static final UUID ARK_GUID = UUID.fromString("c0b406a4-a803-4952-9743-3fb6014cd0ae");

  static final int ENTRY_SIZE = 24;

  /** One table entry with its certificate bytes. */
  public record Entry(UUID guid, long offset, long length, Bytes certificate) {}

  private final List<Entry> entries;
  private final byte[] raw;

  private CertTable(List<Entry> entries, byte[] raw) {
    this.entries = List.copyOf(entries);
    this.raw = raw;
  }

  public static CertTable parse(byte[] buffer) throws MalformedLayoutException {
    Objects.requireNonNull(buffer, "buffer");
    List<long[]> heads = new ArrayList<>();
    List<UUID> guids = new ArrayList<>();
    int pos = 0;
    while (true) {
      if (buffer.length - pos < ENTRY_SIZE) {
        throw new MalformedLayoutException("CERT_TABLE", pos, String.format(
            "certificate table entry %d at 0x%x is truncated: no all-zero terminator inside the %d-byte buffer",
            heads.size(), pos, buffer.length));
      }
      if (Le.firstNonZero(buffer, pos, pos + ENTRY_SIZE) < 0) {
        break;
      }
      ByteBuffer g = ByteBuffer.wrap(buffer, pos, 16);
      guids.add(new UUID(g.getLong(), g.getLong()));
      heads.add(new long[] {Le.u32(buffer, pos + 16), Le.u32(buffer, pos + 20)});
      pos += ENTRY_SIZE;
    }
    int tableEnd = pos + ENTRY_SIZE;
    List<Entry> out = new ArrayList<>();
    for (int i = 0; i < heads.size(); i++) {
      long off = heads.get(i)[0];
      long len = heads.get(i)[1];
      int at = i * ENTRY_SIZE + 16;
      if (off < tableEnd || off > buffer.length || len > buffer.length - off) {
        throw new MalformedLayoutException("CERT_TABLE[" + i + "].offset", at, String.format(
            "certificate table entry %d (%s): data [0x%x, +0x%x) is outside [0x%x, 0x%x), the space after the table",
            i, guids.get(i), off, len, tableEnd, buffer.length));
      }
      out.add(new Entry(guids.get(i), off, len, Bytes.copyOf(buffer, (int) off, (int) len)));
    }
    return new CertTable(out, buffer.clone());
  }

  /** Lays out a table for the given certificates, in iteration order, data packed after the terminator. */
  public static CertTable of(Map<UUID, Bytes> certificates) {
    int tableSize = (certificates.size() + 1) * ENTRY_SIZE;
    int total = tableSize;
    for (Bytes b : certificates.values()) {
      total = Math.addExact(total, b.length());
    }
    byte[] buf = new byte[total];
    int entry = 0;
    int data = tableSize;
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<UUID, Bytes> e : new LinkedHashMap<>(certificates).entrySet()) {
      ByteBuffer g = ByteBuffer.wrap(buf, entry, 16);
      g.putLong(e.getKey().getMostSignificantBits()).putLong(e.getKey().getLeastSignificantBits());
      Le.put32(buf, entry + 16, data);
      Le.put32(buf, entry + 20, e.getValue().length());
      e.getValue().copyTo(buf, data);
      entries.add(new Entry(e.getKey(), data, e.getValue().length(), e.getValue()));
      entry += ENTRY_SIZE;
      data += e.getValue().length();
    }
    return new CertTable(entries, buf);
  }

  public List<Entry> entries() {
    return entries;
  }

  /** The certificate of the first entry with {@code guid}. */
  public Optional<Bytes> certificate(UUID guid) {
    return entries.stream().filter(e -> e.guid().equals(guid)).map(Entry::certificate).findFirst();
  }

  /** The buffer exactly as parsed or laid out. */
  public byte[] toBytes() {
    return raw.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CertTable other && Arrays.equals(raw, other.raw);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(raw);
  }
}
