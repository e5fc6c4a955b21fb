/**
 * How a case is executed: resolving and checking its input files, building the verification
 * request or memory-operation sequence, and comparing what happened with what the case expects.
 */
package io.guestmem.vectors.run;
