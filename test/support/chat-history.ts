import type { KaifClient, Message } from '@kaif/client/node';

/** The whole history of a chat, oldest first, paged as a client would. */
export async function readWholeHistory(client: KaifClient, chatId: string): Promise<Message[]> {
  const messages: Message[] = [];
  let after = 0;
  for (;;) {
    const page = await client.messages.list(chatId, { after, limit: 100 });
    messages.push(...page);
    if (page.length < 100) return messages;
    after = page[page.length - 1]!.seq;
  }
}

export interface HistoryAudit {
  /** Acked messages (by stored id) absent from history. */
  readonly missing: readonly string[];
  /** Ids or clientMsgIds that appear more than once. */
  readonly duplicated: readonly string[];
}

/** Compares what the server acknowledged with what history holds, by id. */
export function auditHistory(history: readonly Message[], acked: ReadonlyMap<string, string>): HistoryAudit {
  const ids = history.map((message) => message.id);
  const present = new Set<string>(ids);
  const missing = [...acked.values()].filter((id) => !present.has(id));
  const wrongId = [...acked].filter(([clientMsgId, id]) =>
    history.some((message) => message.clientMsgId === clientMsgId && message.id !== id),
  );
  return {
    missing: [...missing, ...wrongId.map(([clientMsgId]) => `clientMsgId ${clientMsgId} stored under another id`)],
    duplicated: [...repeated(ids), ...repeated(history.map((message) => message.clientMsgId))],
  };
}

/** Every value seen more than once. */
export function repeated(values: readonly string[]): string[] {
  const seen = new Set<string>();
  const twice = new Set<string>();
  for (const value of values) (seen.has(value) ? twice : seen).add(value);
  return [...twice];
}
