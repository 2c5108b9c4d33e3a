/** One token's level of the index: what ends here, what `>` here matches, and the next tokens. */
interface Level<T> {
  readonly ending: Set<T>;
  readonly rest: Set<T>;
  readonly next: Map<string, Level<T>>;
}

const level = <T>(): Level<T> => ({ ending: new Set(), rest: new Set(), next: new Map() });

/**
 * Values filed under NATS subject patterns (`*` one token, `>` one or more
 * trailing tokens, as subjectMatches), found for a subject by walking its
 * tokens — as the NATS server's sublist does — instead of testing every
 * pattern. The in-process bus holds one pattern per connected user and one
 * per followed chat: tested one by one, every published event cost a string
 * split per connected user.
 */
export class SubjectIndex<T> {
  private root = level<T>();

  add(pattern: string, value: T): void {
    let at = this.root;
    for (const token of pattern.split('.')) {
      if (token === '>') {
        at.rest.add(value);
        return;
      }
      let next = at.next.get(token);
      if (!next) {
        next = level();
        at.next.set(token, next);
      }
      at = next;
    }
    at.ending.add(value);
  }

  /** Removes the value from the pattern, and the levels that hold nothing more, so patterns that come and go leave nothing behind. */
  remove(pattern: string, value: T): void {
    const tokens = pattern.split('.');
    const path: Level<T>[] = [this.root];
    for (const token of tokens) {
      if (token === '>') break;
      const next = path.at(-1)!.next.get(token);
      if (!next) return;
      path.push(next);
    }
    const last = path.at(-1)!;
    (tokens.at(-1) === '>' ? last.rest : last.ending).delete(value);
    for (let depth = path.length - 1; depth > 0; depth--) {
      const at = path[depth]!;
      if (at.ending.size > 0 || at.rest.size > 0 || at.next.size > 0) return;
      path[depth - 1]!.next.delete(tokens[depth - 1]!);
    }
  }

  clear(): void {
    this.root = level();
  }

  /** Every value whose pattern matches the subject, each once. */
  match(subject: string): T[] {
    const tokens = subject.split('.');
    const found = new Set<T>();
    const walk = (at: Level<T>, index: number): void => {
      if (index === tokens.length) {
        for (const value of at.ending) found.add(value);
        return;
      }
      for (const value of at.rest) found.add(value);
      const exact = at.next.get(tokens[index]!);
      if (exact) walk(exact, index + 1);
      const any = at.next.get('*');
      if (any) walk(any, index + 1);
    };
    walk(this.root, 0);
    return [...found];
  }
}
