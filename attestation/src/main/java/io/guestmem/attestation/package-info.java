/**
 * TEE-neutral attestation core: the verifier SPI, verification requests and graded verdicts;
 * it knows nothing about TDX or SEV-SNP byte layouts, which live in the TEE modules' plug-ins.
 */
package io.guestmem.attestation;
