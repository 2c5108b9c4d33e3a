import type { KaifClient } from '@kaif/client/node';

export interface MessageWatch {
  /** Message ids in the order `message.new` delivered them, repeats kept. */
  readonly received: readonly string[];
  /** How many of `ids` have been delivered at least once. */
  countOf(ids: Iterable<string>): number;
  stop(): void;
}

/** Records every `message.new` a client emits, to check for gaps and repeats. */
export function watchMessages(client: KaifClient): MessageWatch {
  const received: string[] = [];
  const unique = new Set<string>();
  const stop = client.on('message.new', (event) => {
    received.push(event.data.id);
    unique.add(event.data.id);
  });
  return {
    received,
    countOf(ids) {
      let count = 0;
      for (const id of ids) if (unique.has(id)) count++;
      return count;
    },
    stop,
  };
}
