import { type CiphersuiteImpl, decodeMlsMessage, emptyPskIndex, processPrivateMessage } from 'ts-mls';
import type { Message } from '../api-types.js';
import { type GroupDevice, decodeState, decodeText, devicesOf, encodeState, fromBase64 } from './mls-codec.js';
import type { UndecryptableReason } from './secret-events.js';

/** What a device keeps per secret chat, in its SecretStore. */
export interface ChatRecord {
  /** The MLS group state (ts-mls encoding), base64. */
  state: string;
  /** The last seq of the chat's log this device has processed. */
  seq: number;
  /** This device's counter of application messages, inside each plaintext. */
  counter: number;
  /** The highest counter seen from each sending device. */
  seen: Record<string, number>;
  /** What this device sent itself (MLS cannot decrypt one's own messages): message id → text, '' for handshakes. */
  sent: Record<string, string>;
  removed: boolean;
  /** When this device last committed in the chat (a fresh path: new keys), ms since the epoch. */
  committedAt?: number;
}

/** The plaintext of an application message: the sending device, its counter, the text. */
export interface Plaintext {
  readonly d: string;
  readonly n: number;
  readonly t: string;
}

/** What one message of the log did on this device. */
export type LogOutcome =
  | { readonly kind: 'shown'; readonly deviceId: string; readonly text: string; readonly mine: boolean }
  | { readonly kind: 'refused'; readonly reason: UndecryptableReason; readonly detail: string }
  | { readonly kind: 'members'; readonly epoch: number; readonly devices: readonly GroupDevice[] }
  | { readonly kind: 'own-handshake' };

/**
 * Reads one message of a secret chat's log into the device's record (in
 * place): a handshake moves the group state on; an application message is
 * shown only if MLS opens it (signature, AEAD, a key not used before), the
 * device it names belongs to the user the server says sent it, and that
 * device's counter moved forward — anything else is refused with a reason.
 */
export async function readLogMessage(record: ChatRecord, message: Message, deviceId: string, suite: CiphersuiteImpl): Promise<LogOutcome> {
  record.seq = message.seq;
  const own = record.sent[message.id];
  if (own !== undefined) return message.secretKind === 'application' ? { kind: 'shown', deviceId, text: own, mine: true } : { kind: 'own-handshake' };
  const refuse = (reason: UndecryptableReason, detail: string): LogOutcome => ({ kind: 'refused', reason, detail });
  if (record.removed) return refuse('removed', 'This device was removed from the group');
  const decoded = message.ciphertext ? decodeMlsMessage(fromBase64(message.ciphertext), 0)?.[0] : undefined;
  if (decoded?.wireformat !== 'mls_private_message') return refuse('malformed', 'Not an MLS private message');
  const state = decodeState(record.state);
  let result: Awaited<ReturnType<typeof processPrivateMessage>>;
  try {
    result = await processPrivateMessage(state, decoded.privateMessage, emptyPskIndex, suite);
  } catch (error) {
    return refuse('undecryptable', (error as Error).message);
  }
  if (result.kind === 'newState') {
    record.state = encodeState(result.newState);
    const devices = devicesOf(result.newState);
    if (!devices.some((device) => device.deviceId === deviceId)) record.removed = true;
    return { kind: 'members', epoch: Number(result.newState.groupContext.epoch), devices };
  }
  // The state moves on even for a refused message: its key is used up either way.
  record.state = encodeState(result.newState);
  let plaintext: Plaintext;
  try {
    plaintext = JSON.parse(decodeText(result.message)) as Plaintext;
  } catch {
    return refuse('malformed', 'The plaintext is not a Kaif Lake message');
  }
  const sender = devicesOf(state).find((device) => device.deviceId === plaintext.d);
  if (!sender || sender.userId !== message.senderId) return refuse('forged-sender', `Device ${plaintext.d} is not a device of the sender`);
  const last = record.seen[plaintext.d] ?? 0;
  if (plaintext.n === last) return refuse('replayed', `Message ${plaintext.n} of this device was already shown`);
  if (plaintext.n < last) return refuse('out-of-order', `Message ${plaintext.n} of this device came after ${last}`);
  record.seen[plaintext.d] = plaintext.n;
  return { kind: 'shown', deviceId: plaintext.d, text: plaintext.t, mine: false };
}
