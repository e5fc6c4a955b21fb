package io.guestmem.snp.abi;

import java.io.IOException;
import java.math.BigInteger;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;

/**
 * An ECDSA P-384 signature in the SNP firmware's wire form (AMD SEV-SNP ABI spec 56860,
 * "ECDSA Signature Format"): R and S as 72-byte little-endian integers, zero-padded (P-384 uses the
 * low 48 bytes of each). Used by ATTESTATION_REPORT (0x2A0) and ID_AUTH_INFO.
 *
 * @param r the 72 bytes of R exactly as on the wire
 * @param s the 72 bytes of S exactly as on the wire
 */
public record SnpEcdsaSignature(Bytes r, Bytes s) {
  /** Bytes of each of R and S on the wire. */
  public static final int COMPONENT_LENGTH = 72;

  public SnpEcdsaSignature {
    if (r.length() != COMPONENT_LENGTH || s.length() != COMPONENT_LENGTH) {
      throw new IllegalArgumentException("R and S are 72 bytes each");
    }
  }

  /** The all-zero signature of an unsigned report. */
  public static SnpEcdsaSignature zero() {
    return new SnpEcdsaSignature(Bytes.zeros(COMPONENT_LENGTH), Bytes.zeros(COMPONENT_LENGTH));
  }

  /** Encodes non-negative integers below 2^576 in the wire form. */
  public static SnpEcdsaSignature fromIntegers(BigInteger r, BigInteger s) {
    return new SnpEcdsaSignature(Bytes.copyOf(toLe(r)), Bytes.copyOf(toLe(s)));
  }

  private static byte[] toLe(BigInteger v) {
    if (v.signum() < 0 || v.bitLength() > COMPONENT_LENGTH * 8) {
      throw new IllegalArgumentException("signature component out of range");
    }
    byte[] be = v.toByteArray();
    byte[] le = new byte[COMPONENT_LENGTH];
    for (int i = 0; i < be.length && i < COMPONENT_LENGTH; i++) {
      le[i] = be[be.length - 1 - i];
    }
    return le;
  }

  private static BigInteger fromLe(Bytes le) {
    byte[] be = new byte[le.length()];
    for (int i = 0; i < be.length; i++) {
      be[i] = le.get(le.length() - 1 - i);
    }
    return new BigInteger(1, be);
  }

  public BigInteger rInteger() {
    return fromLe(r);
  }

  public BigInteger sInteger() {
    return fromLe(s);
  }

  /** DER {@code SEQUENCE {r INTEGER, s INTEGER}}, the form JCA's {@code SHA384withECDSA} verifies. */
  public byte[] toDer() {
    ASN1EncodableVector v = new ASN1EncodableVector();
    v.add(new ASN1Integer(rInteger()));
    v.add(new ASN1Integer(sInteger()));
    try {
      return new DERSequence(v).getEncoded(ASN1Encoding.DER);
    } catch (IOException e) {
      throw new IllegalStateException("DER encoding of two integers failed", e);
    }
  }
}
