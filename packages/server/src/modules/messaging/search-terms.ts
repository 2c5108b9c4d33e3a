import { type RawBuilder, sql } from 'kysely';

/** More words than this add nothing a person would type; the rest are ignored. */
const MAX_WORDS = 16;
/** A word, for search: a run of letters and digits. */
export const SEARCH_WORD = /[\p{L}\p{N}]+/gu;

/**
 * The words of a search text: letters and digits only, so nothing a user
 * types can be taken as tsquery syntax (`&`, `|`, `:*`, quotes). Undefined
 * when there is no word at all ("?!").
 */
export interface SearchTerms {
  /** Every word but the last, matched in any form (stemmed). */
  readonly complete: readonly string[];
  /** The word being typed: matched in any form, or as the prefix of a word as written. */
  readonly typing: string;
}

export function searchTermsOf(text: string): SearchTerms | undefined {
  const words = (text.match(SEARCH_WORD) ?? []).slice(0, MAX_WORDS);
  const typing = words.pop();
  return typing === undefined ? undefined : { complete: words, typing };
}

/**
 * The tsquery for the index built by search-index.ts: every complete word
 * stemmed by `russian` (Russian and English forms), and the last word
 * stemmed too OR as a `simple` prefix (the word as written so far). A
 * `russian` stop word ("и", "the") drops out of its part; the parts are
 * joined with AND.
 */
export function tsqueryOf(terms: SearchTerms): RawBuilder<unknown> {
  if (terms.complete.length === 0) return typingQuery(terms.typing);
  return sql`(plainto_tsquery('russian', ${terms.complete.join(' ')}) && ${typingQuery(terms.typing)})`;
}

/** Any one of the words, as tsqueryOf matches each: which words of a text to highlight. */
export function anyTermQuery(terms: SearchTerms): RawBuilder<unknown> {
  const complete = terms.complete.map((word) => sql`plainto_tsquery('russian', ${word})`);
  return sql`(${sql.join([...complete, typingQuery(terms.typing)], sql` || `)})`;
}

const typingQuery = (word: string) => sql`(plainto_tsquery('russian', ${word}) || to_tsquery('simple', ${`${word}:*`}))`;
