/**
 * The guestmem conformance-vector format (JSON, one file per group, in the spirit of Wycheproof):
 * immutable values for groups, cases, inputs, mutations and expected outcomes, and the loader that
 * turns a file into them or rejects it with a message naming the file and the JSON path.
 */
package io.guestmem.vectors.format;
