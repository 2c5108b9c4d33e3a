import type { ChatView, MessageView } from '@kaif/protocol';
import { type RegisteredUser, authHeaders, registerUser } from '../support/accounts.js';
import { engineAvailable } from '../support/engines.js';
import type { EngineSet } from '../support/test-server.js';

/** Embedded always; PostgreSQL, Redis and NATS too when configured. */
export const ENGINE_SETS: readonly EngineSet[] = ['embedded', ...(engineAvailable('postgres') ? (['real'] as const) : [])];

export interface Answer<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
}

/** A signed-in user speaking to the chats API as a client would. */
export interface ChatClient {
  readonly user: RegisteredUser['user'];
  readonly id: string;
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<Answer<T>>;
  createChat(input: { type: string; title?: string; memberIds?: string[] }): Promise<ChatView>;
  send(chatId: string, text: string, clientMsgId?: string): Promise<MessageView>;
}

let counter = 0;

export async function signUp(server: { readonly url: string }): Promise<ChatClient> {
  const account = await registerUser(server);
  const client: ChatClient = {
    user: account.user,
    id: account.user.id,
    async call<T>(method: string, path: string, body?: unknown): Promise<Answer<T>> {
      const headers = authHeaders(account.accessToken);
      if (body === undefined) delete headers['content-type'];
      const response = await fetch(`${server.url}/api/v1${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
    },
    async createChat(input) {
      const answer = await client.call<ChatView>('POST', '/chats', input);
      if (answer.status !== 201 && answer.status !== 200) throw new Error(`create chat: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    },
    async send(chatId, text, clientMsgId = `c-${process.pid}-${++counter}`) {
      const answer = await client.call<MessageView>('POST', `/chats/${chatId}/messages`, { clientMsgId, text });
      if (answer.status !== 201 && answer.status !== 200) throw new Error(`send: ${answer.status} ${JSON.stringify(answer.body)}`);
      return answer.body;
    },
  };
  return client;
}
