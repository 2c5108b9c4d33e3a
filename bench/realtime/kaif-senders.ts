import { randomBytes } from 'node:crypto';

export interface KaifRoom {
  readonly chatId: string;
  /** Tokens of the chat's members; connections take them in turn. */
  readonly tokens: readonly string[];
  /** Posts into the chat as its owner. */
  readonly ownerToken: string;
}

async function call<T>(url: string, path: string, body: unknown, token?: string, forwardedFor?: string): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(forwardedFor ? { 'x-forwarded-for': forwardedFor } : {}),
    },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

let registrations = 0;

/**
 * Registration is limited per client address; the bench server trusts
 * x-forwarded-for (KAIF_TRUST_PROXY) so each account seems to come from its own.
 */
async function register(url: string): Promise<{ id: string; token: string }> {
  const username = `b${randomBytes(8).toString('hex')}`;
  registrations++;
  const address = `10.${(registrations >> 16) & 255}.${(registrations >> 8) & 255}.${registrations & 255}`;
  const body = { username, email: `${username}@bench.test`, password: `pw-${randomBytes(12).toString('base64url')}` };
  const result = await call<{ user: { id: string }; accessToken: string }>(url, '/api/v1/auth/register', body, undefined, address);
  return { id: result.user.id, token: result.accessToken };
}

/** `rooms` group chats of `members` fresh accounts each (registration hashes passwords, so a few at a time). */
export async function createKaifRooms(url: string, rooms: number, members: number): Promise<KaifRoom[]> {
  const created: KaifRoom[] = [];
  let next = 0;
  const worker = async () => {
    while (next < rooms) {
      next++;
      const users = [];
      for (let index = 0; index < members; index++) users.push(await register(url));
      const [owner, ...others] = users as [{ id: string; token: string }, ...{ id: string; token: string }[]];
      const chat = await call<{ id: string }>(url, '/api/v1/chats', { type: 'group', title: 'bench', memberIds: others.map((user) => user.id) }, owner.token);
      created.push({ chatId: chat.id, tokens: users.map((user) => user.token), ownerToken: owner.token });
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return created;
}

/** One send over HTTP, as an app would post; the text carries the send time. */
export function sendKaif(url: string, room: KaifRoom, text: string): Promise<unknown> {
  return call(url, `/api/v1/chats/${room.chatId}/messages`, { clientMsgId: randomBytes(8).toString('hex'), text }, room.ownerToken);
}
