/** Client side of the local service: discovery through endpoints.json and the unix-socket channel. */
package io.guestmem.rpc.client;
