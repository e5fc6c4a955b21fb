/** Client side of the service: discovery through endpoints.json, the unix-socket channel, and TCP+TLS with a pinned server and a client certificate. */
package io.guestmem.rpc.client;
