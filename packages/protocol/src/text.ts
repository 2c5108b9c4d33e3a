import { FormatRegistry, type StringOptions, Type } from '@sinclair/typebox';

/**
 * The one definition of text a client may send, shared by every transport:
 * HTTP bodies and queries (Ajv), WebSocket frames and wire packets (TypeBox)
 * all check client strings against the `safe-text` format.
 */
export const SAFE_TEXT_FORMAT = 'safe-text';

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

// TypeBox looks formats up in a process-wide registry; Ajv gets the same
// function from the HTTP server's options.
FormatRegistry.Set(SAFE_TEXT_FORMAT, isSafeText);

/** A client-supplied string of safe text. */
export function SafeText(options: StringOptions = {}) {
  return Type.String({ description: 'Text without NUL or unpaired surrogate characters', ...options, format: SAFE_TEXT_FORMAT });
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
