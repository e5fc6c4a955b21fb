/** Who is calling: unix peer credentials from the kernel, and the authorisation rules built on them. */
package io.guestmem.rpc.auth;
