/**
 * Text from a file, made safe to print on a terminal.
 *
 * @module
 */

/**
 * Characters a terminal acts on or reorders rather than shows: C0 controls (newline, escape,
 * carriage return, ...), DEL, C1 controls (U+0080-U+009F, which include the 8-bit CSI), the line
 * and paragraph separators U+2028/U+2029, and the bidirectional embeddings, overrides and
 * isolates U+202A-U+202E, U+2066-U+2069.
 */
// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every character of {@linkcode UNSAFE} written as an escape (`\x1b`, `\u202e`), so
 * that a string read from a file (a name, a unit, an attribute) cannot clear the screen, move the
 * cursor, start a new line or reverse the text after it, e.g. to fake a "verified" line. `info`
 * prints every string of the file through it (its `--json` output is escaped by JSON).
 */
export function printable(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}

/**
 * JSON text with the characters of {@linkcode UNSAFE} that `JSON.stringify` leaves as they are
 * (DEL, C1, U+2028/U+2029, the bidirectional controls) written as `\uXXXX`: the same JSON value,
 * safe on a terminal. They can only occur inside strings, where the escape is valid.
 */
export function printableJson(json: string): string {
  // Not C0: JSON.stringify escapes those in strings, and its own line breaks are C0.
  return json.replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
