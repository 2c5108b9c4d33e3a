/** A run of a snippet, found (to be marked) or not. */
export interface SnippetPart {
  readonly text: string;
  readonly found: boolean;
}

/**
 * Splits a search snippet at the server's highlight offsets (UTF-16, as
 * JavaScript indexes strings). The snippet is plain text: it is rendered
 * as text, never as markup.
 */
export function snippetParts(snippet: string, highlights: readonly { readonly start: number; readonly end: number }[]): SnippetPart[] {
  const parts: SnippetPart[] = [];
  let at = 0;
  for (const { start, end } of [...highlights].sort((a, b) => a.start - b.start)) {
    if (start < at || end > snippet.length || end <= start) continue;
    if (start > at) parts.push({ text: snippet.slice(at, start), found: false });
    parts.push({ text: snippet.slice(start, end), found: true });
    at = end;
  }
  if (at < snippet.length) parts.push({ text: snippet.slice(at), found: false });
  return parts;
}
