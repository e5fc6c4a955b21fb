/** Wires the modules into the running service: listeners, state directory, TLS material, gRPC services. */
package io.guestmem.rpc.server;
