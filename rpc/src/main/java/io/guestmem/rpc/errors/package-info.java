/** Domain errors to gRPC statuses with stable {@code google.rpc.ErrorInfo} reasons: one mapper, table-tested. */
package io.guestmem.rpc.errors;
