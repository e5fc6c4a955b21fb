/**
 * AMD SEV-SNP byte layouts as immutable values (ATTESTATION_REPORT, TCB_VERSION, GUEST_POLICY,
 * PLATFORM_INFO, VCEK/VLEK certificate extensions, the extended-guest-request certificate table,
 * KDS URLs), parsed with checked errors that name field and offset; not for signature or policy
 * checks, which belong to {@code io.guestmem.snp.verify}. Depends only on the JDK and
 * BouncyCastle ASN.1.
 */
package io.guestmem.snp.abi;
