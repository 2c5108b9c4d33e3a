import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { subjectMatches } from './bus.js';
import { SubjectIndex } from './subject-index.js';

const token = fc.constantFrom('kaif', 'ev', 'user', 'chat', 'a', 'b');
const subject = fc.array(token, { minLength: 1, maxLength: 5 }).map((tokens) => tokens.join('.'));
const pattern = fc
  .tuple(fc.array(fc.oneof(token, fc.constant('*')), { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([tokens, rest]) => [...tokens, ...(rest ? ['>'] : [])].join('.'));

describe('SubjectIndex', () => {
  it('finds for every subject exactly the patterns subjectMatches accepts', () => {
    fc.assert(
      fc.property(fc.array(pattern, { maxLength: 12 }), fc.array(subject, { minLength: 1, maxLength: 8 }), (patterns, subjects) => {
        const index = new SubjectIndex<number>();
        for (const [id, p] of patterns.entries()) index.add(p, id);
        for (const s of subjects) {
          const expected = patterns.flatMap((p, id) => (subjectMatches(p, s) ? [id] : []));
          expect(index.match(s).sort((a, b) => a - b)).toEqual(expected);
        }
      }),
    );
  });

  it('forgets a removed value and keeps the others filed under the same pattern', () => {
    fc.assert(
      fc.property(fc.array(pattern, { minLength: 1, maxLength: 12 }), subject, fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), (patterns, s, removed) => {
        const index = new SubjectIndex<number>();
        for (const [id, p] of patterns.entries()) index.add(p, id);
        patterns.forEach((p, id) => {
          if (removed[id]) index.remove(p, id);
        });
        const expected = patterns.flatMap((p, id) => (!removed[id] && subjectMatches(p, s) ? [id] : []));
        expect(index.match(s).sort((a, b) => a - b)).toEqual(expected);
      }),
    );
  });

  it('matches each value once, even when two of its patterns match', () => {
    const index = new SubjectIndex<string>();
    index.add('kaif.ev.user.*.sessions', 'listener');
    index.add('kaif.ev.user.u1.>', 'listener');
    expect(index.match('kaif.ev.user.u1.sessions')).toEqual(['listener']);
  });

  it('gives nothing once every pattern is removed, and accepts the same patterns again', () => {
    const index = new SubjectIndex<string>();
    const patterns = ['kaif.ev.user.u1.>', 'kaif.live.chat.c1.*', 'kaif.ev.chat.c1'];
    for (const p of patterns) index.add(p, p);
    for (const p of patterns) index.remove(p, p);
    expect(index.match('kaif.ev.user.u1.sessions')).toEqual([]);
    expect(index.match('kaif.live.chat.c1.typing')).toEqual([]);
    expect(index.match('kaif.ev.chat.c1')).toEqual([]);
    index.add('kaif.ev.chat.c1', 'again');
    expect(index.match('kaif.ev.chat.c1')).toEqual(['again']);
  });
});
