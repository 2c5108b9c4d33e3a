import { SEARCH_WORD } from './search-terms.js';

export interface Highlight {
  readonly start: number;
  readonly end: number;
}

export interface Snippet {
  readonly snippet: string;
  readonly highlights: Highlight[];
}

/** Longer texts are cut to a window of about this many UTF-16 units around the first word found. */
const SNIPPET_CHARS = 160;
/** How much of the text before the first word found the window keeps. */
const LEAD_CHARS = 40;
const ELLIPSIS = '…';

/** The distinct words of some texts, as search-terms.ts splits a search text. */
export function wordsIn(texts: readonly string[]): string[] {
  return [...new Set(texts.flatMap((text) => text.match(SEARCH_WORD) ?? []))];
}

/**
 * The text, or a window of it around the first word found, with the words
 * found marked by offsets. Built here from the text itself rather than by
 * ts_headline, which drops what its parser takes for HTML tags and would
 * need markers a sender could forge: a message is plain text and the
 * snippet is a verbatim slice of it.
 */
export function snippetOf(text: string, found: ReadonlySet<string>): Snippet {
  const all: Highlight[] = [];
  for (const match of text.matchAll(SEARCH_WORD)) {
    if (found.has(match[0])) all.push({ start: match.index, end: match.index + match[0].length });
  }
  if (text.length <= SNIPPET_CHARS) return { snippet: text, highlights: all };
  const first = all[0]?.start ?? 0;
  let start = Math.max(0, first - LEAD_CHARS);
  if (start > 0) start = wordStartAtOrAfter(text, start, first);
  let end = Math.min(text.length, start + SNIPPET_CHARS);
  if (end < text.length) end = wordEndAtOrBefore(text, end, start);
  const lead = start > 0 ? ELLIPSIS : '';
  const snippet = `${lead}${text.slice(start, end)}${end < text.length ? ELLIPSIS : ''}`;
  const highlights = all
    .filter((highlight) => highlight.start >= start && highlight.end <= end)
    .map((highlight) => ({ start: highlight.start - start + lead.length, end: highlight.end - start + lead.length }));
  return { snippet, highlights };
}

/** The first position after whitespace in [from, limit]; `limit` (a word's start) if there is none. */
function wordStartAtOrAfter(text: string, from: number, limit: number): number {
  for (let at = from; at < limit; at++) if (/\s/.test(text[at - 1]!)) return at;
  return limit;
}

/** The last whitespace position in (floor, from]; `from` if none, moved off a surrogate pair's middle. */
function wordEndAtOrBefore(text: string, from: number, floor: number): number {
  for (let at = from; at > floor; at--) if (/\s/.test(text[at]!)) return at;
  const code = text.charCodeAt(from - 1);
  return code >= 0xd800 && code <= 0xdbff ? from - 1 : from;
}
