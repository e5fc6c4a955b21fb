/**
 * The Intel TDX verifier plug-in: PCK chain and CRLs to the pinned Intel root, QE report and quote
 * signatures, PCS collateral (TCB Info v3, QE Identity v2), TCB-level selection and status
 * convergence, and the TDX section of the appraisal policy. Not for byte layouts, which live in
 * {@code io.guestmem.tdx.abi}.
 */
package io.guestmem.tdx.verify;
