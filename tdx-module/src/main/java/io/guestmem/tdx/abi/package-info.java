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
 * <p>This package depends only on the JDK and BouncyCastle's ASN.1 classes. The collateral JSON
 * is read with the package's own strict reader so that the exact served bytes of the signed body
 * can be located without re-serialising.
 */
package io.guestmem.tdx.abi;
