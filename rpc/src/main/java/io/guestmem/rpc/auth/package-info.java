/**
 * Who is calling — unix peer credentials from the kernel, or a TCP client's verified client
 * certificate and its operator mapping — and the authorisation rules built on them.
 */
package io.guestmem.rpc.auth;
