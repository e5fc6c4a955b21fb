/** The {@code guestmem} command line (picocli): serve, probe, emulate, verify and client commands. */
package io.guestmem.cli;
