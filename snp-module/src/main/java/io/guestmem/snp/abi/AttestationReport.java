package io.guestmem.snp.abi;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * SEV-SNP ATTESTATION_REPORT, versions 2, 3, 4 and 5 (AMD SEV-SNP ABI spec 56860, "ATTESTATION_REPORT
 * Structure"; evidence-formats.md §1.4). Always {@value #SIZE} bytes; offsets are hex:
 *
 * <pre>
 * 0x000  4  VERSION            0x0E0 48  ID_KEY_DIGEST        0x1E8 1x3 CURRENT_BUILD/MINOR/MAJOR
 * 0x004  4  GUEST_SVN          0x110 48  AUTHOR_KEY_DIGEST    0x1EB  1  reserved (MBZ)
 * 0x008  8  POLICY             0x140 32  REPORT_ID            0x1EC 1x3 COMMITTED_BUILD/MINOR/MAJOR
 * 0x010 16  FAMILY_ID          0x160 32  REPORT_ID_MA         0x1EF  1  reserved (MBZ)
 * 0x020 16  IMAGE_ID           0x180  8  REPORTED_TCB         0x1F0  8  LAUNCH_TCB
 * 0x030  4  VMPL               0x188  1  CPUID_FAM_ID  (v3+)  0x1F8  8  LAUNCH_MIT_VECTOR  (v5)
 * 0x034  4  SIGNATURE_ALGO     0x189  1  CPUID_MOD_ID  (v3+)  0x200  8  CURRENT_MIT_VECTOR (v5)
 * 0x038  8  CURRENT_TCB        0x18A  1  CPUID_STEP    (v3+)  0x208 152 reserved (MBZ; v2-v4 from 0x1F8)
 * 0x040  8  PLATFORM_INFO      0x18B 21  reserved (MBZ; v2 from 0x188)
 * 0x048  4  KEY_INFO ([31:5] MBZ)        0x2A0 72  SIGNATURE.R (little-endian; [48:72] MBZ for algo 1)
 * 0x04C  4  reserved (MBZ)     0x1A0 64  CHIP_ID              0x2E8 72  SIGNATURE.S (little-endian; [48:72] MBZ for algo 1)
 * 0x050 64  REPORT_DATA        0x1E0  8  COMMITTED_TCB        0x330 368 reserved, unsigned (MBZ)
 * 0x090 48  MEASUREMENT
 * 0x0C0 32  HOST_DATA
 * </pre>
 *
 * <p>The signature covers the raw bytes {@code [0x000, 0x2A0)}, which {@link #signedBytes()} returns
 * exactly as parsed — never a re-encoding. Version 4 has the version 3 layout (as go-sev-guest and
 * virtee/sev read it). Versions other than 2–5 are refused explicitly ("unknown future version"),
 * never read as the newest layout. Must-be-zero ranges are checked at parse time and the error
 * names the exact range; semantic checks (VMPL range, signing-key value, policy bits) are the
 * verifier's.
 *
 * <p>TCB_VERSION fields are read with the layout of the product: from CPUID_FAM_ID/CPUID_MOD_ID in
 * v3+ reports, or, for v2 (no CPUID fields), from the product the caller passes — typically taken
 * from the VCEK's productName; without one, v2 reports are read with the Milan/Genoa layout (Turin
 * firmware never emits v2). See {@link #withProduct(SnpProduct)}.
 *
 * <p>Instances are immutable; {@link #toBytes()} returns the parsed bytes unchanged, so
 * {@code parse(r.toBytes())} equals {@code r} byte for byte.
 */
public final class AttestationReport {
  /** Size of the structure. */
  public static final int SIZE = 0x4A0;
  /** End (exclusive) of the signed region; also the offset of SIGNATURE. */
  public static final int SIGNED_LENGTH = 0x2A0;

  public static final int OFFSET_VERSION = 0x000;
  public static final int OFFSET_GUEST_SVN = 0x004;
  public static final int OFFSET_POLICY = 0x008;
  public static final int OFFSET_FAMILY_ID = 0x010;
  public static final int OFFSET_IMAGE_ID = 0x020;
  public static final int OFFSET_VMPL = 0x030;
  public static final int OFFSET_SIGNATURE_ALGO = 0x034;
  public static final int OFFSET_CURRENT_TCB = 0x038;
  public static final int OFFSET_PLATFORM_INFO = 0x040;
  public static final int OFFSET_KEY_INFO = 0x048;
  public static final int OFFSET_REPORT_DATA = 0x050;
  public static final int OFFSET_MEASUREMENT = 0x090;
  public static final int OFFSET_HOST_DATA = 0x0C0;
  public static final int OFFSET_ID_KEY_DIGEST = 0x0E0;
  public static final int OFFSET_AUTHOR_KEY_DIGEST = 0x110;
  public static final int OFFSET_REPORT_ID = 0x140;
  public static final int OFFSET_REPORT_ID_MA = 0x160;
  public static final int OFFSET_REPORTED_TCB = 0x180;
  public static final int OFFSET_CPUID_FAM_ID = 0x188;
  public static final int OFFSET_CPUID_MOD_ID = 0x189;
  public static final int OFFSET_CPUID_STEP = 0x18A;
  public static final int OFFSET_CHIP_ID = 0x1A0;
  public static final int OFFSET_COMMITTED_TCB = 0x1E0;
  public static final int OFFSET_CURRENT_BUILD = 0x1E8;
  public static final int OFFSET_CURRENT_MINOR = 0x1E9;
  public static final int OFFSET_CURRENT_MAJOR = 0x1EA;
  public static final int OFFSET_COMMITTED_BUILD = 0x1EC;
  public static final int OFFSET_COMMITTED_MINOR = 0x1ED;
  public static final int OFFSET_COMMITTED_MAJOR = 0x1EE;
  public static final int OFFSET_LAUNCH_TCB = 0x1F0;
  public static final int OFFSET_LAUNCH_MIT_VECTOR = 0x1F8;
  public static final int OFFSET_CURRENT_MIT_VECTOR = 0x200;
  public static final int OFFSET_SIGNATURE_R = 0x2A0;
  public static final int OFFSET_SIGNATURE_S = 0x2E8;
  public static final int OFFSET_UNSIGNED_RESERVED = 0x330;

  /** The lowest and highest report versions this library knows. */
  public static final int MIN_VERSION = 2;
  public static final int MAX_VERSION = 5;
  /** SIGNATURE_ALGO value for ECDSA P-384 with SHA-384. */
  public static final int SIGNATURE_ALGO_ECDSA_P384_SHA384 = 1;

  /**
   * A must-be-zero range {@code [from, to)} of a given report version; {@code p384Padding} ranges
   * are the zero-extension of R and S, checked when SIGNATURE_ALGO is 1 (ECDSA P-384).
   */
  record MbzRange(String name, int from, int to, boolean p384Padding) {
    MbzRange(String name, int from, int to) {
      this(name, from, to, false);
    }
  }

  /** The must-be-zero byte ranges of a report of {@code version} (2–5), in offset order. */
  static MbzRange[] mbzRanges(int version) {
    MbzRange cpuidReserved = version >= 3
        ? new MbzRange("RESERVED[0x18B:0x1A0]", 0x18B, 0x1A0)
        : new MbzRange("RESERVED[0x188:0x1A0]", 0x188, 0x1A0);
    MbzRange tailReserved = version >= 5
        ? new MbzRange("RESERVED[0x208:0x2A0]", 0x208, 0x2A0)
        : new MbzRange("RESERVED[0x1F8:0x2A0]", 0x1F8, 0x2A0);
    return new MbzRange[] {
      new MbzRange("RESERVED[0x04C:0x050]", 0x04C, 0x050),
      cpuidReserved,
      new MbzRange("RESERVED[0x1EB:0x1EC]", 0x1EB, 0x1EC),
      new MbzRange("RESERVED[0x1EF:0x1F0]", 0x1EF, 0x1F0),
      tailReserved,
      new MbzRange("SIGNATURE.R[48:72] (0x2D0:0x2E8)", 0x2D0, 0x2E8, true),
      new MbzRange("SIGNATURE.S[48:72] (0x318:0x330)", 0x318, 0x330, true),
      new MbzRange("RESERVED[0x330:0x4A0] (unsigned)", 0x330, 0x4A0),
    };
  }

  /** CPUID_FAM_ID, CPUID_MOD_ID and CPUID_STEP of a v3+ report. */
  public record Cpuid(int familyId, int modelId, int stepping) {}

  /** A firmware version as MAJOR.MINOR.BUILD. */
  public record FirmwareVersion(int major, int minor, int build) {
    @Override
    public String toString() {
      return major + "." + minor + "." + build;
    }
  }

  private final byte[] raw;
  private final int version;
  private final Optional<SnpProduct> product;
  private final TcbVersion.Layout tcbLayout;

  private AttestationReport(byte[] raw, Optional<SnpProduct> product, TcbVersion.Layout layout) {
    this.raw = raw;
    this.version = (int) Le.u32(raw, OFFSET_VERSION);
    this.product = product;
    this.tcbLayout = layout;
  }

  /** Parses exactly {@value #SIZE} bytes; shorter or longer input is refused. */
  public static AttestationReport parse(byte[] report) throws MalformedLayoutException {
    Objects.requireNonNull(report, "report");
    if (report.length != SIZE) {
      throw new MalformedLayoutException("ATTESTATION_REPORT", report.length < SIZE ? report.length : SIZE,
          String.format("ATTESTATION_REPORT must be 0x%x (%d) bytes, got %d (%s); to parse a report "
              + "embedded in a larger buffer, pass its offset", SIZE, SIZE, report.length,
              report.length < SIZE ? "truncated" : "oversized"));
    }
    return parse(report, 0, null);
  }

  public static AttestationReport parse(Bytes report) throws MalformedLayoutException {
    return parse(report.toByteArray());
  }

  /**
   * Parses the {@value #SIZE} bytes at {@code offset} of a larger buffer (e.g. a report followed by
   * a certificate table). Never reads outside {@code [offset, offset + SIZE)}.
   */
  public static AttestationReport parse(byte[] buffer, int offset) throws MalformedLayoutException {
    return parse(buffer, offset, null);
  }

  /**
   * As {@link #parse(byte[], int)}, with the product when the caller knows it (e.g. from the VCEK):
   * it decides the TCB layout of a v2 report; for v3+ it must agree with CPUID_FAM_ID/CPUID_MOD_ID.
   */
  public static AttestationReport parse(byte[] buffer, int offset, SnpProduct knownProduct)
      throws MalformedLayoutException {
    Objects.requireNonNull(buffer, "buffer");
    if (offset < 0 || offset > buffer.length || buffer.length - offset < SIZE) {
      throw new MalformedLayoutException("ATTESTATION_REPORT", Math.max(0, buffer.length - Math.max(offset, 0)),
          String.format("truncated: ATTESTATION_REPORT at offset %d needs 0x%x bytes, the buffer has %d",
              offset, SIZE, Math.max(0, buffer.length - Math.max(offset, 0))));
    }
    byte[] raw = Arrays.copyOfRange(buffer, offset, offset + SIZE);
    long version = Le.u32(raw, OFFSET_VERSION);
    if (version < MIN_VERSION || version > MAX_VERSION) {
      throw new MalformedLayoutException("VERSION", OFFSET_VERSION, version > MAX_VERSION
          ? "unknown future ATTESTATION_REPORT version " + version + " (this library knows 2..5): refused"
          : "unsupported ATTESTATION_REPORT version " + version + " (this library knows 2..5)");
    }
    long keyInfo = Le.u32(raw, OFFSET_KEY_INFO);
    if ((keyInfo & (KeyInfo.MBZ_MASK & 0xFFFFFFFFL)) != 0) {
      throw new MalformedLayoutException("KEY_INFO[31:5]", OFFSET_KEY_INFO,
          String.format("mbz range KEY_INFO[31:5] at 0x048 not all zero: KEY_INFO=0x%08x", keyInfo));
    }
    boolean p384 = Le.u32(raw, OFFSET_SIGNATURE_ALGO) == SIGNATURE_ALGO_ECDSA_P384_SHA384;
    for (MbzRange r : mbzRanges((int) version)) {
      if (r.p384Padding() && !p384) {
        continue;
      }
      int at = Le.firstNonZero(raw, r.from(), r.to());
      if (at >= 0) {
        throw new MalformedLayoutException(r.name(), at, String.format(
            "mbz range [0x%x:0x%x] %s not all zero: byte 0x%x is 0x%02x", r.from(), r.to(), r.name(), at, raw[at] & 0xFF));
      }
    }
    Optional<SnpProduct> product;
    TcbVersion.Layout layout;
    if (version >= 3) {
      int fam = Le.u8(raw, OFFSET_CPUID_FAM_ID);
      int mod = Le.u8(raw, OFFSET_CPUID_MOD_ID);
      product = SnpProduct.fromCpuid(fam, mod);
      if (knownProduct != null && product.isPresent() && product.get() != knownProduct) {
        throw new MalformedLayoutException("CPUID_FAM_ID", OFFSET_CPUID_FAM_ID, String.format(
            "CPUID family 0x%02x model 0x%02x is %s, but the caller says %s", fam, mod, product.get().kdsName(),
            knownProduct.kdsName()));
      }
      if (product.isEmpty() && knownProduct != null) {
        product = Optional.of(knownProduct);
      }
      layout = product.map(SnpProduct::tcbLayout)
          .orElse(fam >= 0x1A ? TcbVersion.Layout.TURIN : TcbVersion.Layout.MILAN_GENOA);
    } else {
      product = Optional.ofNullable(knownProduct);
      layout = product.map(SnpProduct::tcbLayout).orElse(TcbVersion.Layout.MILAN_GENOA);
    }
    return new AttestationReport(raw, product, layout);
  }

  /**
   * This report read for a known product (from the VCEK or configuration): same bytes, TCB fields
   * read with that product's layout. For v3+ reports whose CPUID names another product this throws.
   */
  public AttestationReport withProduct(SnpProduct known) throws MalformedLayoutException {
    return parse(raw, 0, known);
  }

  // ---- raw bytes ----

  /** The {@value #SIZE} bytes exactly as parsed. */
  public byte[] toBytes() {
    return raw.clone();
  }

  /** A copy of the signed region {@code [0x000, 0x2A0)} exactly as parsed. */
  public byte[] signedBytes() {
    return Arrays.copyOf(raw, SIGNED_LENGTH);
  }

  // ---- fields ----

  public int version() {
    return version;
  }

  /** The product from CPUID (v3+) or from the caller; empty for a v2 report parsed without one. */
  public Optional<SnpProduct> product() {
    return product;
  }

  /** The layout the TCB_VERSION fields are read with. */
  public TcbVersion.Layout tcbLayout() {
    return tcbLayout;
  }

  public long guestSvn() {
    return Le.u32(raw, OFFSET_GUEST_SVN);
  }

  public GuestPolicy policy() {
    return new GuestPolicy(Le.u64(raw, OFFSET_POLICY));
  }

  public Bytes familyId() {
    return Bytes.copyOf(raw, OFFSET_FAMILY_ID, 16);
  }

  public Bytes imageId() {
    return Bytes.copyOf(raw, OFFSET_IMAGE_ID, 16);
  }

  /** VMPL as the u32 in the report (the firmware only emits 0–3; larger values are the verifier's to refuse). */
  public long vmpl() {
    return Le.u32(raw, OFFSET_VMPL);
  }

  public long signatureAlgo() {
    return Le.u32(raw, OFFSET_SIGNATURE_ALGO);
  }

  public TcbVersion currentTcb() {
    return new TcbVersion(tcbLayout, Le.u64(raw, OFFSET_CURRENT_TCB));
  }

  public PlatformInfo platformInfo() {
    return new PlatformInfo(Le.u64(raw, OFFSET_PLATFORM_INFO));
  }

  public KeyInfo keyInfo() {
    return new KeyInfo((int) Le.u32(raw, OFFSET_KEY_INFO));
  }

  public Bytes reportData() {
    return Bytes.copyOf(raw, OFFSET_REPORT_DATA, 64);
  }

  public Bytes measurement() {
    return Bytes.copyOf(raw, OFFSET_MEASUREMENT, 48);
  }

  public Bytes hostData() {
    return Bytes.copyOf(raw, OFFSET_HOST_DATA, 32);
  }

  public Bytes idKeyDigest() {
    return Bytes.copyOf(raw, OFFSET_ID_KEY_DIGEST, 48);
  }

  public Bytes authorKeyDigest() {
    return Bytes.copyOf(raw, OFFSET_AUTHOR_KEY_DIGEST, 48);
  }

  public Bytes reportId() {
    return Bytes.copyOf(raw, OFFSET_REPORT_ID, 32);
  }

  public Bytes reportIdMa() {
    return Bytes.copyOf(raw, OFFSET_REPORT_ID_MA, 32);
  }

  public TcbVersion reportedTcb() {
    return new TcbVersion(tcbLayout, Le.u64(raw, OFFSET_REPORTED_TCB));
  }

  /** CPUID_FAM_ID/MOD_ID/STEP; empty for v2, which has no such fields. */
  public Optional<Cpuid> cpuid() {
    if (version < 3) {
      return Optional.empty();
    }
    return Optional.of(new Cpuid(Le.u8(raw, OFFSET_CPUID_FAM_ID), Le.u8(raw, OFFSET_CPUID_MOD_ID),
        Le.u8(raw, OFFSET_CPUID_STEP)));
  }

  /** All 64 bytes of CHIP_ID (zero if MASK_CHIP_ID; on Turin only the first 8 are meaningful). */
  public Bytes chipId() {
    return Bytes.copyOf(raw, OFFSET_CHIP_ID, 64);
  }

  /** The hwID a KDS URL and the VCEK use: all of CHIP_ID, or its first 8 bytes for the TURIN layout. */
  public Bytes hwId() {
    return Bytes.copyOf(raw, OFFSET_CHIP_ID, tcbLayout == TcbVersion.Layout.TURIN ? 8 : 64);
  }

  public TcbVersion committedTcb() {
    return new TcbVersion(tcbLayout, Le.u64(raw, OFFSET_COMMITTED_TCB));
  }

  public FirmwareVersion currentVersion() {
    return new FirmwareVersion(Le.u8(raw, OFFSET_CURRENT_MAJOR), Le.u8(raw, OFFSET_CURRENT_MINOR),
        Le.u8(raw, OFFSET_CURRENT_BUILD));
  }

  public FirmwareVersion committedVersion() {
    return new FirmwareVersion(Le.u8(raw, OFFSET_COMMITTED_MAJOR), Le.u8(raw, OFFSET_COMMITTED_MINOR),
        Le.u8(raw, OFFSET_COMMITTED_BUILD));
  }

  public TcbVersion launchTcb() {
    return new TcbVersion(tcbLayout, Le.u64(raw, OFFSET_LAUNCH_TCB));
  }

  /** LAUNCH_MIT_VECTOR (v5 only). */
  public OptionalLong launchMitigationVector() {
    return version >= 5 ? OptionalLong.of(Le.u64(raw, OFFSET_LAUNCH_MIT_VECTOR)) : OptionalLong.empty();
  }

  /** CURRENT_MIT_VECTOR (v5 only). */
  public OptionalLong currentMitigationVector() {
    return version >= 5 ? OptionalLong.of(Le.u64(raw, OFFSET_CURRENT_MIT_VECTOR)) : OptionalLong.empty();
  }

  public SnpEcdsaSignature signature() {
    return new SnpEcdsaSignature(Bytes.copyOf(raw, OFFSET_SIGNATURE_R, 72), Bytes.copyOf(raw, OFFSET_SIGNATURE_S, 72));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AttestationReport other && Arrays.equals(raw, other.raw) && tcbLayout == other.tcbLayout;
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(raw);
  }

  @Override
  public String toString() {
    return "AttestationReport{v" + version + ", product=" + product.map(SnpProduct::kdsName).orElse("?")
        + ", vmpl=" + vmpl() + ", " + policy() + ", reported=" + reportedTcb() + ", measurement="
        + measurement().hex() + "}";
  }

  /** A new builder with every field zero except VERSION, SIGNATURE_ALGO = 1 and POLICY bit 17. */
  public static Builder builder(int version) {
    return new Builder(version);
  }

  /**
   * Builds report bytes field by field, for emulated firmware and tests. {@link #build()} parses
   * what it built, so it can only produce reports this class accepts. Offsets are those above.
   */
  public static final class Builder {
    private final byte[] b = new byte[SIZE];
    private SnpProduct product;

    private Builder(int version) {
      if (version < MIN_VERSION || version > MAX_VERSION) {
        throw new IllegalArgumentException("report version must be 2..5");
      }
      Le.put32(b, OFFSET_VERSION, version);
      Le.put32(b, OFFSET_SIGNATURE_ALGO, SIGNATURE_ALGO_ECDSA_P384_SHA384);
      Le.put64(b, OFFSET_POLICY, GuestPolicy.RESERVED_MUST_BE_ONE);
    }

    private int version() {
      return (int) Le.u32(b, OFFSET_VERSION);
    }

    private Builder put(int off, Bytes v, int len) {
      if (v.length() != len) {
        throw new IllegalArgumentException("field at 0x" + Integer.toHexString(off) + " is " + len + " bytes");
      }
      v.copyTo(b, off);
      return this;
    }

    public Builder guestSvn(long v) { Le.put32(b, OFFSET_GUEST_SVN, v); return this; }
    public Builder policy(GuestPolicy v) { Le.put64(b, OFFSET_POLICY, v.bits()); return this; }
    public Builder familyId(Bytes v) { return put(OFFSET_FAMILY_ID, v, 16); }
    public Builder imageId(Bytes v) { return put(OFFSET_IMAGE_ID, v, 16); }
    public Builder vmpl(long v) { Le.put32(b, OFFSET_VMPL, v); return this; }
    public Builder signatureAlgo(long v) { Le.put32(b, OFFSET_SIGNATURE_ALGO, v); return this; }
    public Builder currentTcb(TcbVersion v) { Le.put64(b, OFFSET_CURRENT_TCB, v.raw()); return this; }
    public Builder platformInfo(PlatformInfo v) { Le.put64(b, OFFSET_PLATFORM_INFO, v.bits()); return this; }
    public Builder keyInfo(KeyInfo v) { Le.put32(b, OFFSET_KEY_INFO, v.bits() & 0xFFFFFFFFL); return this; }
    public Builder reportData(Bytes v) { return put(OFFSET_REPORT_DATA, v, 64); }
    public Builder measurement(Bytes v) { return put(OFFSET_MEASUREMENT, v, 48); }
    public Builder hostData(Bytes v) { return put(OFFSET_HOST_DATA, v, 32); }
    public Builder idKeyDigest(Bytes v) { return put(OFFSET_ID_KEY_DIGEST, v, 48); }
    public Builder authorKeyDigest(Bytes v) { return put(OFFSET_AUTHOR_KEY_DIGEST, v, 48); }
    public Builder reportId(Bytes v) { return put(OFFSET_REPORT_ID, v, 32); }
    public Builder reportIdMa(Bytes v) { return put(OFFSET_REPORT_ID_MA, v, 32); }
    public Builder reportedTcb(TcbVersion v) { Le.put64(b, OFFSET_REPORTED_TCB, v.raw()); return this; }
    public Builder chipId(Bytes v) { return put(OFFSET_CHIP_ID, v, 64); }
    public Builder committedTcb(TcbVersion v) { Le.put64(b, OFFSET_COMMITTED_TCB, v.raw()); return this; }
    public Builder launchTcb(TcbVersion v) { Le.put64(b, OFFSET_LAUNCH_TCB, v.raw()); return this; }

    /** CPUID fields; only v3+ reports have them. */
    public Builder cpuid(int familyId, int modelId, int stepping) {
      if (version() < 3) {
        throw new IllegalStateException("a v2 report has no CPUID fields");
      }
      b[OFFSET_CPUID_FAM_ID] = (byte) familyId;
      b[OFFSET_CPUID_MOD_ID] = (byte) modelId;
      b[OFFSET_CPUID_STEP] = (byte) stepping;
      return this;
    }

    /** The product to read TCBs with when building a v2 report (v3+ use CPUID). */
    public Builder product(SnpProduct p) {
      this.product = p;
      return this;
    }

    public Builder currentVersion(int major, int minor, int build) {
      b[OFFSET_CURRENT_MAJOR] = (byte) major;
      b[OFFSET_CURRENT_MINOR] = (byte) minor;
      b[OFFSET_CURRENT_BUILD] = (byte) build;
      return this;
    }

    public Builder committedVersion(int major, int minor, int build) {
      b[OFFSET_COMMITTED_MAJOR] = (byte) major;
      b[OFFSET_COMMITTED_MINOR] = (byte) minor;
      b[OFFSET_COMMITTED_BUILD] = (byte) build;
      return this;
    }

    /** Mitigation vectors; only v5 reports have them. */
    public Builder mitigationVectors(long launch, long current) {
      if (version() < 5) {
        throw new IllegalStateException("only v5 reports have mitigation vectors");
      }
      Le.put64(b, OFFSET_LAUNCH_MIT_VECTOR, launch);
      Le.put64(b, OFFSET_CURRENT_MIT_VECTOR, current);
      return this;
    }

    public Builder signature(SnpEcdsaSignature sig) {
      sig.r().copyTo(b, OFFSET_SIGNATURE_R);
      sig.s().copyTo(b, OFFSET_SIGNATURE_S);
      return this;
    }

    /** The signed region {@code [0x000, 0x2A0)} as built so far. */
    public byte[] signedBytes() {
      return Arrays.copyOf(b, SIGNED_LENGTH);
    }

    /** Parses the built bytes; fails with an {@link IllegalStateException} if they would not parse. */
    public AttestationReport build() {
      try {
        return parse(b, 0, product);
      } catch (MalformedLayoutException e) {
        throw new IllegalStateException("builder produced an invalid report: " + e.getMessage(), e);
      }
    }
  }
}
