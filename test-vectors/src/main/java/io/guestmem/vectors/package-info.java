/**
 * The conformance suite's entry points: {@link io.guestmem.vectors.VectorRunner} runs vector
 * files (real, generated and memory) and returns a {@link io.guestmem.vectors.RunReport} with
 * every case's outcome; the CLI and the JUnit dynamic tests are thin shells around it.
 */
package io.guestmem.vectors;
