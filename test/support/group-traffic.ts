import type { KaifClient } from '@kaif/client/node';
import { goOnline } from '../realtime/realtime-fixtures.js';
import { type MessageStream, type StreamSender, startMessageStream } from './message-stream.js';
import { watchMessages } from './message-watch.js';
import { signedUpClient } from './sdk-clients.js';

/**
 * The traffic every single-node fault test runs through its fault: Alice
 * (WebSocket) and Bob (HTTP) send into a group every `intervalMs`; Carol is
 * online and records what she receives, so a test can take her offline
 * during the fault and check her catch-up. Clients are added to `clients`
 * for the test to disconnect.
 */
export async function startGroupTraffic(url: string, title: string, clients: KaifClient[], intervalMs = 40) {
  const alice = await signedUpClient(url);
  const bob = await signedUpClient(url);
  const carol = await signedUpClient(url);
  clients.push(alice.client, bob.client, carol.client);
  const chat = await alice.client.chats.create({ type: 'group', title, memberIds: [bob.account.user.id, carol.account.user.id] });
  await goOnline(alice.client);
  await goOnline(carol.client);
  const carolSees = watchMessages(carol.client);
  const senders: StreamSender[] = [
    { client: alice.client, via: 'websocket' },
    { client: bob.client, via: 'http' },
  ];
  const stream: MessageStream = startMessageStream(chat.id, senders, intervalMs);
  return { alice, bob, carol, chat, carolSees, stream };
}
