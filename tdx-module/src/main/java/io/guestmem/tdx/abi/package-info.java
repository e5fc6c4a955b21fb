/**
 * Intel TDX evidence layouts as immutable values: quote v4/v5, TD report bodies, the SGX report
 * body of the quoting enclave, TDREPORT, PCK certificate SGX extensions and the PCS collateral
 * bodies (TCB Info v3, QE Identity v2); it is for parsing and encoding bytes, not for verifying
 * signatures or judging policy (that is {@code io.guestmem.tdx.verify}).
 *
 * <h2>Contract</h2>
 *
 * <ul>
 *   <li>Every layout has a static {@code parse} that throws the checked {@link
 *       io.guestmem.tdx.abi.MalformedLayoutException} naming the field and the absolute offset,
 *       never an unchecked exception, and a {@code toBytes()} that re-encodes the value
 *       byte-for-byte (reserved bytes are kept as parsed).
 *   <li>Byte strings are {@link io.guestmem.tdx.abi.Bytes}: immutable, copied in and out.
 *   <li>Signed regions are exposed as copies of the exact bytes that were parsed ({@link
 *       io.guestmem.tdx.abi.Quote#signedBytes()}, {@link io.guestmem.tdx.abi.Quote#qeReportBytes()},
 *       {@link io.guestmem.tdx.abi.SignedCollateral#signedBody()}), never as a re-encoding.
 *   <li>Semantic rules (QE vendor, TCB levels, debug policy) are left to the verifier; unknown
 *       attribute bits are kept and reported, not rejected.
 * </ul>
 *
 * <h2>Main types (public API, kept stable for {@code io.guestmem.tdx.verify})</h2>
 *
 * <ul>
 *   <li>{@link io.guestmem.tdx.abi.Quote} — v4/v5 quote: {@code header()}, {@code bodyDescriptor()}
 *       (v5), {@code body()} ({@link io.guestmem.tdx.abi.TdReportBody}, TD 1.0 or 1.5), {@code
 *       signatureData()} ({@link io.guestmem.tdx.abi.QuoteSignatureData}), {@code
 *       qeReportCertificationData()}, {@code pckCertChain()}, {@code trailingBytes()}, {@code
 *       signedBytes()}, {@code qeReportBytes()}, {@code raw()}, {@code toBytes()}.
 *   <li>{@link io.guestmem.tdx.abi.CertificationData} (sealed): {@link
 *       io.guestmem.tdx.abi.PckIdentifier} (1–3), {@link io.guestmem.tdx.abi.PckCertChain} (4, 5),
 *       {@link io.guestmem.tdx.abi.QeReportCertificationData} (6, holding the {@link
 *       io.guestmem.tdx.abi.SgxReportBody} QE report), {@link io.guestmem.tdx.abi.PlatformManifest} (7).
 *   <li>{@link io.guestmem.tdx.abi.TdReport} — TDREPORT_STRUCT (REPORTMACSTRUCT, TEE_TCB_INFO, TDINFO).
 *   <li>{@link io.guestmem.tdx.abi.PckExtensions} — PCK certificate SGX extension.
 *   <li>{@link io.guestmem.tdx.abi.TcbInfo}, {@link io.guestmem.tdx.abi.QeIdentity} and {@link
 *       io.guestmem.tdx.abi.SignedCollateral} (body + exact signed bytes + raw r‖s signature),
 *       {@link io.guestmem.tdx.abi.TcbStatus}, {@link io.guestmem.tdx.abi.CertificateRevocationList}.
 *   <li>{@link io.guestmem.tdx.abi.TdAttributes}, {@link io.guestmem.tdx.abi.Xfam} — bit fields with
 *       named bits and {@code unknownBits()}.
 * </ul>
 *
 * <p>This package depends only on the JDK and BouncyCastle's ASN.1 classes. The collateral JSON
 * is read with the package's own strict reader so that the exact served bytes of the signed body
 * can be located without re-serialising.
 */
package io.guestmem.tdx.abi;
