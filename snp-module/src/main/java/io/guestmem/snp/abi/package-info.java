/**
 * AMD SEV-SNP byte layouts as immutable values, parsed with checked errors that name field and
 * offset; not for signature, chain or policy checks, which belong to {@code io.guestmem.snp.verify}.
 * Depends only on the JDK and BouncyCastle ASN.1.
 *
 * <p><b>Public API</b> (stable; additions only):
 * <ul>
 *   <li>{@link io.guestmem.snp.abi.AttestationReport} — {@code parse(byte[])} (exactly 0x4A0 bytes),
 *       {@code parse(byte[], offset)} and {@code parse(byte[], offset, SnpProduct)} (inside a larger
 *       buffer; the product decides the TCB layout of v2), {@code withProduct}, every field accessor,
 *       {@code signedBytes()} (a copy of the raw {@code [0, 0x2A0)}), {@code signature()},
 *       {@code toBytes()}, {@code hwId()}, the {@code OFFSET_*} constants, and a {@code Builder}.</li>
 *   <li>{@link io.guestmem.snp.abi.TcbVersion} (with {@code Layout}), {@link io.guestmem.snp.abi.SnpProduct},
 *       {@link io.guestmem.snp.abi.GuestPolicy}, {@link io.guestmem.snp.abi.PlatformInfo},
 *       {@link io.guestmem.snp.abi.KeyInfo}, {@link io.guestmem.snp.abi.SnpEcdsaSignature}
 *       ({@code toDer()} for JCA's {@code SHA384withECDSA}).</li>
 *   <li>{@link io.guestmem.snp.abi.VekExtensions} — {@code fromCertificate(der)},
 *       {@code fromExtensions}, {@code tcbVersion()}, {@code kind()}, {@code product()}.</li>
 *   <li>{@link io.guestmem.snp.abi.CertTable} — the extended guest request certificate table.</li>
 *   <li>{@link io.guestmem.snp.abi.KdsUrl} — KDS paths and their on-disk file names.</li>
 *   <li>{@link io.guestmem.snp.abi.MalformedLayoutException} — the one checked parse error,
 *       with {@code field()} and {@code offset()}.</li>
 *   <li>{@link io.guestmem.snp.abi.Bytes} — the immutable byte string every value returns.</li>
 * </ul>
 */
package io.guestmem.snp.abi;
