import { FormatRegistry, Kind, type StringOptions, type TUnsafe, Type, TypeRegistry } from '@sinclair/typebox';
import { lengthProblem } from './text-length.js';

/**
 * The one definition of text a client may send, shared by every transport:
 * HTTP bodies and queries (Ajv), WebSocket frames and wire packets (TypeBox)
 * all check client strings against the `safe-text` format.
 */
export const SAFE_TEXT_FORMAT = 'safe-text';

/**
 * The TypeBox kind of SafeText. JSON Schema counts `minLength`/`maxLength` in
 * Unicode code points, and so does Ajv on HTTP, but TypeBox's own String
 * counts UTF-16 code units: 4,096 emoji would pass over HTTP and fail in a
 * WebSocket frame. A kind of our own lets TypeBox count as Ajv does, so a
 * limit means the same on every transport.
 */
const SAFE_TEXT_KIND = 'SafeText';

/** With the `u` flag a lone surrogate is one code point of category Cs; a valid pair is not. */
const UNSAFE_CODE_POINT = /[\u0000\p{Cs}]/u;

/**
 * True when `text` holds no NUL and no lone UTF-16 surrogate. PostgreSQL
 * cannot store NUL in `text` and refuses a lone surrogate in JSON, and a
 * UTF-8 encoder silently turns one into U+FFFD, so two different strings
 * would become equal on the way to the database.
 */
export function isSafeText(text: string): boolean {
  return !UNSAFE_CODE_POINT.test(text);
}

/** What a validation error says about a string that is not safe text, after the field's name. */
export const UNSAFE_TEXT_REASON = 'must not contain NUL or unpaired surrogate characters';

/**
 * Why `value` is not acceptable for a SafeText schema, in Ajv's words after
 * the field's name, or undefined when it is. Every transport reports a
 * refused string with this, so the same input is refused the same way.
 */
export function safeTextProblem(schema: StringOptions, value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be string';
  const tooShortOrLong = lengthProblem(schema, value);
  if (tooShortOrLong) return tooShortOrLong;
  // Ajv compiles patterns with the `u` flag too.
  if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) return `must match pattern "${schema.pattern}"`;
  return isSafeText(value) ? undefined : UNSAFE_TEXT_REASON;
}

// TypeBox looks formats and kinds up in process-wide registries; Ajv gets the
// format from the HTTP server's options and reads the rest as JSON Schema.
FormatRegistry.Set(SAFE_TEXT_FORMAT, isSafeText);
TypeRegistry.Set<StringOptions>(SAFE_TEXT_KIND, (schema, value) => safeTextProblem(schema, value) === undefined);

/** A client-supplied string of safe text; lengths count code points (see SAFE_TEXT_KIND). */
export function SafeText(options: StringOptions = {}): TUnsafe<string> & StringOptions {
  return Type.Unsafe<string>({
    description: 'Text without NUL or unpaired surrogate characters',
    ...options,
    [Kind]: SAFE_TEXT_KIND,
    type: 'string',
    format: SAFE_TEXT_FORMAT,
  });
}

/** A name other people see; the server stores it as normalizeDisplayText returns it. */
export function DisplayText(options: StringOptions = {}) {
  return SafeText({ description: 'Stored NFC-normalized, without bidi controls or invisible characters', ...options });
}

/**
 * Bidi overrides and isolates (U+202A–U+202E, U+2066–U+2069), zero-width
 * and other invisible format characters (every Cf: U+200B–U+200F, U+2060,
 * U+FEFF, U+00AD, tags …), control characters, and the Hangul fillers that
 * render as blanks. Zero-width joiners go too, so an emoji sequence in a
 * name shows as its parts.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\u115F\u1160\u3164\uFFA0]/gu;
const WHITESPACE_RUN = /\p{White_Space}+/gu;

/**
 * A name other people see (a display name, a group or channel title) as it
 * is stored: whitespace runs become one space, invisible and direction
 * characters are dropped, then NFC (UAX #15) and trimmed, so a lookalike of
 * someone's name built from those characters becomes that very name. May
 * return an empty string, which callers refuse.
 */
export function normalizeDisplayText(text: string): string {
  return text.replace(WHITESPACE_RUN, ' ').replace(INVISIBLE, '').normalize('NFC').trim();
}
