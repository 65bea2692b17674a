/**
 * Control characters in text from the network or a user: which ones the API refuses, and how
 * a line for a terminal or a log shows them. A merchant name with ESC in it must not drive
 * the terminal of whoever lists transactions, and a bidi override must not reorder what a
 * log line seems to say; rows stored before the API refused them print escaped too.
 */

/**
 * C0 controls (NUL to U+001F), DEL (U+007F), C1 controls (U+0080–U+009F, ECMA-48 §5), and the
 * bidirectional formatting characters of Unicode UAX #9 §2: LRM/RLM (U+200E/F), ALM (U+061C),
 * the embeddings and overrides (U+202A–U+202E) and the isolates (U+2066–U+2069).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is this file's purpose
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const CONTROL_ALL = new RegExp(CONTROL.source, 'gu');
// eslint-disable-next-line no-control-regex -- as CONTROL, without \n
const CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/** The first control character in `text` (see CONTROL), or undefined; `\n` allowed when `multiline`. */
export function firstControlCharacter(text: string, options: { multiline?: boolean } = {}): string | undefined {
  return (options.multiline ? CONTROL_BUT_NEWLINE : CONTROL).exec(text)?.[0];
}

/**
 * A UTF-16 surrogate without its pair: no character at all. JavaScript strings may hold one
 * (JSON's "\ud800" parses to it), but UTF-8 cannot: PostgreSQL refuses it in JSON, and a
 * driver writing text silently turns it into U+FFFD, so two request ids that differ only there
 * would be stored as one.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The first lone surrogate in `text` (see LONE_SURROGATE), or undefined. */
export function firstLoneSurrogate(text: string): string | undefined {
  return LONE_SURROGATE.exec(text)?.[0];
}

/** "\x1b", "\u202e": how a control character is written, visibly and unambiguously. */
export function controlCharacterName(ch: string): string {
  const code = ch.codePointAt(0)!;
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * One line for a terminal or a log: every control character (newlines included) is shown as
 * its escape ("\x1b[31m" prints as the seven characters `\x1b[31m`).
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(CONTROL_ALL, controlCharacterName);
}

/**
 * JSON text with the control characters JSON.stringify leaves raw (DEL, C1, bidi) written as
 * \uXXXX escapes: the same value, and a line that is safe to print.
 */
export function escapeJson(json: string): string {
  return json.replace(CONTROL_ALL, (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`);
}

/** Several lines for a terminal: each escaped (escapeControlCharacters), the newlines kept. */
export function escapeLines(text: string): string {
  return text.split('\n').map(escapeControlCharacters).join('\n');
}
