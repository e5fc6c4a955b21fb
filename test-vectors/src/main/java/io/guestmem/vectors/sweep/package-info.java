/**
 * The mutation sweep: every bit of a positive vector's signed region flipped one at a time, and
 * truncation and one-byte insertion at every field boundary, each mutant verified and required to
 * be rejected with a reason (never accepted, never an unexpected exception).
 */
package io.guestmem.vectors.sweep;
