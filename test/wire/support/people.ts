import { type RegisteredUser, authHeaders, registerUser } from '../../support/accounts.js';

/** A registered user with the HTTP calls the wire tests need. */
export interface Person {
  readonly id: string;
  readonly accessToken: string;
  readonly refreshToken: string;
  /** Creates a direct chat with `peer` and returns its id. */
  directChatWith(peer: Person): Promise<string>;
  /** Creates a group with `members` and returns its id. */
  groupWith(members: readonly Person[]): Promise<string>;
  /** Newest first, as `GET /chats/:id/messages` returns them. */
  history(chatId: string, limit?: number): Promise<HistoryMessage[]>;
  sendOverHttp(chatId: string, text: string): Promise<void>;
}

export interface HistoryMessage {
  readonly id: string;
  readonly seq: number;
  readonly senderId: string;
  readonly text: string;
  readonly clientMsgId: string;
}

export async function signUpPerson(server: { readonly url: string }): Promise<Person> {
  const account: RegisteredUser = await registerUser(server);
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: body === undefined ? { authorization: `Bearer ${account.accessToken}` } : authHeaders(account.accessToken),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? null : response.json();
  };
  return {
    id: account.user.id,
    accessToken: account.accessToken,
    refreshToken: account.refreshToken,
    async directChatWith(peer) {
      return ((await call('POST', '/chats', { type: 'direct', memberIds: [peer.id] })) as { id: string }).id;
    },
    async groupWith(members) {
      const body = { type: 'group', title: 'wire crew', memberIds: members.map((member) => member.id) };
      return ((await call('POST', '/chats', body)) as { id: string }).id;
    },
    async history(chatId, limit = 100) {
      return ((await call('GET', `/chats/${chatId}/messages?limit=${limit}`)) as { messages: HistoryMessage[] }).messages;
    },
    async sendOverHttp(chatId, text) {
      await call('POST', `/chats/${chatId}/messages`, { clientMsgId: `http-${Math.random().toString(36).slice(2)}`, text });
    },
  };
}
