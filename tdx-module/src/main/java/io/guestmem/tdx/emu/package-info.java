/**
 * A software TDX platform that plays the hardware and firmware side: the TDX module (TD build,
 * MRTD/RTMR measurement, Secure-EPT, MapGPA, TDREPORT), the quoting enclave (PCK-certified
 * attestation key, quotes v4/v5) and Intel PCS (TCB Info, QE Identity, CRLs), producing
 * byte-exact evidence in the real formats and driving memory conversions through {@link
 * io.guestmem.memory.ConvertibleMemory}. It is for tests, CI and demos; it never verifies
 * evidence for a relying party (that is {@code io.guestmem.tdx.verify}).
 *
 * <p>Entry point for the CLI: {@link io.guestmem.tdx.emu.TdxEmulation}. Everything is
 * deterministic from a seed (and the chosen issue time).
 */
package io.guestmem.tdx.emu;
