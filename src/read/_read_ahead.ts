// This module is browser compatible.
/**
 * The read-ahead of remote files, defined once: `openMrc(url)` and `openRemote()` read this many
 * bytes from each end of the file on open (`OpenMrcOptions.readAhead`'s default). 16 KiB holds the
 * header and the report of every file the encoder writes, and the index and trailer of files up to
 * about 500 chunks; a larger index costs one more read.
 *
 * @module
 */

/** Bytes read from each end of a remote `.mrc` file on open, by default. */
export const DEFAULT_READ_AHEAD = 16384;
