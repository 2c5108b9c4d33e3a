import { describe, expect, it } from 'vitest';
import { snippetOf } from './search-snippet.js';

const marked = ({ snippet, highlights }: ReturnType<typeof snippetOf>) => highlights.map(({ start, end }) => snippet.slice(start, end));

describe('search snippets', () => {
  it('keeps a short text whole, verbatim, and marks every word found', () => {
    const result = snippetOf('<b>Сообщение</b> и ещё сообщение', new Set(['Сообщение', 'сообщение']));
    expect(result.snippet).toBe('<b>Сообщение</b> и ещё сообщение');
    expect(marked(result)).toEqual(['Сообщение', 'сообщение']);
  });

  it('cuts a long text to a window around the first word found, at word boundaries', () => {
    const text = `${'lorem ipsum '.repeat(30)}the harbour is here ${'dolor sit '.repeat(30)}`;
    const result = snippetOf(text, new Set(['harbour']));
    expect(result.snippet.length).toBeLessThanOrEqual(162);
    expect(result.snippet.startsWith('…ipsum') || result.snippet.startsWith('…lorem')).toBe(true);
    expect(result.snippet.endsWith('…')).toBe(true);
    expect(marked(result)).toEqual(['harbour']);
  });

  it('never splits an emoji when a long text has no space to cut at', () => {
    const result = snippetOf(`word ${'🙂'.repeat(200)}`, new Set(['word']));
    expect(result.snippet.at(-2)).not.toMatch(/[\uD800-\uDBFF]/);
    expect(marked(result)).toEqual(['word']);
  });
});
