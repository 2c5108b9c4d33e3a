import { KEY_PACKAGES_LOW_WATER, type SendSecretMessageInput } from '@kaif/protocol';
import {
  type ClientState,
  type Proposal,
  createApplicationMessage,
  createCommit,
  createGroup,
  decodeMlsMessage,
  emptyPskIndex,
  encodeMlsMessage,
  joinGroup,
  processPrivateMessage,
} from 'ts-mls';
import type { Message } from '../api-types.js';
import { KaifApiError } from '../kaif-api-error.js';
import type { KaifClient } from '../kaif-client.js';
import { TypedEmitter } from '../realtime/typed-emitter.js';
import { DeviceKeys } from './device-keys.js';
import {
  type GroupDevice,
  decodeKeyPackage,
  decodeState,
  decodeText,
  devicesOf,
  encodeState,
  encodeText,
  fromBase64,
  packWelcome,
  toBase64,
  unpackWelcome,
} from './mls-codec.js';
import { type ChatRecord, type Plaintext, readLogMessage } from './log-reader.js';
import { safetyNumber } from './safety-number.js';
import type { SecretChatEvents, SecretMessage } from './secret-events.js';
import { type SecretHistory, type SecretHistoryEntry, memorySecretHistory } from './secret-history.js';
import type { SecretStore } from './secret-store.js';

const KEY_PACKAGE_BATCH = 20;
const COMMIT_ATTEMPTS = 8;

/**
 * When a device refreshes its keys in a chat by itself (post-compromise
 * security on a schedule, as Telegram re-keys a secret chat every 100
 * messages or a week): after this many of its messages, or when its last
 * commit there is this old.
 */
export interface KeyUpdateSchedule {
  readonly everyMessages: number;
  readonly everyMs: number;
}

const DEFAULT_SCHEDULE: KeyUpdateSchedule = { everyMessages: 100, everyMs: 7 * 24 * 3600 * 1000 };
const chatKey = (chatId: string) => `chat:${chatId}`;
const isEpochConflict = (error: unknown) => error instanceof KaifApiError && error.code === 'EPOCH_CONFLICT';

/**
 * End-to-end encrypted secret chats with MLS (RFC 9420, via ts-mls): every
 * device of every member is a leaf of the chat's group; the server orders
 * and relays ciphertext and never holds a key. Handshake messages are
 * applied in the log's seq order; a commit that loses the race for its
 * epoch (EPOCH_CONFLICT) is rebuilt on the winner and sent again.
 *
 * Calls for one device run one at a time, in call order (the group state
 * is a chain: each call continues from the last).
 */
export class SecretChats extends TypedEmitter<SecretChatEvents> {
  private following: Promise<void> = Promise.resolve();
  private running: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly client: KaifClient,
    private readonly store: SecretStore,
    readonly keys: DeviceKeys,
    private readonly schedule: KeyUpdateSchedule,
    private readonly kept: SecretHistory,
  ) {
    super();
  }

  /**
   * This device's secret chats: its identity is created on first use and
   * kept in `store`; what it decrypts or sends is kept in `history`, so it
   * can be shown again after a restart (a message key works only once).
   */
  static async open(
    client: KaifClient,
    store: SecretStore,
    userId: string,
    schedule: KeyUpdateSchedule = DEFAULT_SCHEDULE,
    history: SecretHistory = memorySecretHistory(),
  ): Promise<SecretChats> {
    return new SecretChats(client, store, await DeviceKeys.open(store, userId), schedule, history);
  }

  get deviceId(): string {
    return this.keys.name.deviceId;
  }

  get userId(): string {
    return this.keys.name.userId;
  }

  /**
   * Live: each `message.new` of a secret chat this device is in (over the
   * client's WebSocket, ciphertext as sent) triggers a catch-up of that
   * chat, one at a time, so messages are shown as they arrive and in order.
   * Returns the unsubscribe function.
   */
  follow(): () => void {
    return this.client.realtime.on('message.new', (event) => {
      if (event.data.ciphertext === undefined) return;
      const chatId = event.chatId;
      this.following = this.following
        .then(async () => {
          if (await this.isMember(chatId)) await this.sync(chatId);
        })
        .catch(() => undefined);
    });
  }

  /** Settles when the catch-ups `follow` started have run. */
  settled(): Promise<void> {
    return this.following;
  }

  /** Publishes KeyPackages while the directory holds fewer than its low-water mark. */
  async topUpKeyPackages(count = KEY_PACKAGE_BATCH): Promise<number> {
    const stock = await this.client.keys.stock(this.deviceId).catch((error: unknown) => {
      if (error instanceof KaifApiError && error.code === 'DEVICE_NOT_FOUND') return { count: 0, low: true };
      throw error;
    });
    if (!stock.low && stock.count >= KEY_PACKAGES_LOW_WATER) return stock.count;
    return (await this.client.keys.publish(this.deviceId, await this.keys.generateKeyPackages(count))).count;
  }

  /** Creates a secret chat with these users: every device of theirs (and this user's other devices) joins. */
  create(userIds: readonly string[]): Promise<string> {
    return this.exclusive(() => this.createNow(userIds));
  }

  private async createNow(userIds: readonly string[]): Promise<string> {
    const chat = await this.client.chats.create({ type: 'secret', memberIds: [...userIds] });
    const own = await this.keys.generateKeyPackage();
    const state = await createGroup(encodeText(chat.id), own.publicPackage, own.privatePackage, [], this.keys.suite);
    await this.save(chat.id, { state: encodeState(state), seq: 0, counter: 0, seen: {}, sent: {}, removed: false, committedAt: Date.now() });
    await this.addDevicesNow(chat.id, [...userIds, this.userId]);
    return chat.id;
  }

  /** Adds users to the chat: on the server, then every device of theirs to the group. */
  addMembers(chatId: string, userIds: readonly string[]): Promise<void> {
    return this.exclusive(async () => {
      for (const userId of userIds) await this.client.chats.addMember(chatId, userId);
      await this.addDevicesNow(chatId, userIds);
    });
  }

  /**
   * Adds every device of these users that is not in the group yet (a new
   * device of a member joins from then on: it cannot read what came before).
   */
  addDevicesOf(chatId: string, userIds: readonly string[]): Promise<void> {
    return this.exclusive(() => this.addDevicesNow(chatId, userIds));
  }

  private async addDevicesNow(chatId: string, userIds: readonly string[]): Promise<void> {
    const claimed = await this.client.keys.claim([...userIds]);
    const inGroup = new Set(devicesOf(await this.state(chatId)).map((device) => device.deviceId));
    const joining = claimed.filter((device) => device.deviceId !== this.deviceId && !inGroup.has(device.deviceId));
    for (const device of joining) {
      if (device.keyPackage === null) this.emit('secret.waiting-for-keys', { chatId, userId: device.userId, deviceId: device.deviceId });
    }
    const ready = joining.flatMap((device) =>
      device.keyPackage === null ? [] : [{ deviceId: device.deviceId, keyPackage: decodeKeyPackage(device.keyPackage) }],
    );
    if (ready.length === 0) return;
    await this.commit(chatId, (state) => {
      const present = new Set(devicesOf(state).map((device) => device.deviceId));
      const adds = ready.filter((device) => !present.has(device.deviceId));
      return {
        proposals: adds.map((device): Proposal => ({ proposalType: 'add', add: { keyPackage: device.keyPackage } })),
        welcomeTo: adds.map((device) => device.deviceId),
      };
    });
  }

  /** Removes one device from the group: it cannot read anything sent after this commit. */
  removeDevice(chatId: string, deviceId: string): Promise<void> {
    const which = (device: GroupDevice) => device.deviceId === deviceId;
    return this.exclusive(() => this.commit(chatId, (state) => ({ proposals: removals(state, which), welcomeTo: [] })));
  }

  /** Removes a member: every device of theirs leaves the group, then the user leaves the chat on the server. */
  removeMember(chatId: string, userId: string): Promise<void> {
    return this.exclusive(async () => {
      await this.commit(chatId, (state) => ({ proposals: removals(state, (device) => device.userId === userId), welcomeTo: [] }));
      await this.client.chats.removeMember(chatId, userId);
    });
  }

  /**
   * A key update: an empty commit with a fresh path, so keys a thief may
   * have copied stop working (post-compromise security). Run it on a
   * schedule (e.g. every 100 messages or a week).
   */
  updateKeys(chatId: string): Promise<void> {
    return this.exclusive(() => this.updateKeysNow(chatId));
  }

  private updateKeysNow(chatId: string): Promise<void> {
    return this.commit(chatId, () => ({ proposals: [], welcomeTo: [] }));
  }

  /** Encrypts and sends a text; catches up first, so it goes out in the group's current epoch. */
  send(chatId: string, text: string): Promise<Message> {
    return this.exclusive(() => this.sendNow(chatId, text));
  }

  private async sendNow(chatId: string, text: string): Promise<Message> {
    await this.syncNow(chatId);
    const record = await this.record(chatId);
    const state = decodeState(record.state);
    const counter = record.counter + 1;
    const plaintext: Plaintext = { d: this.deviceId, n: counter, t: text };
    const created = await createApplicationMessage(state, encodeText(JSON.stringify(plaintext)), this.keys.suite);
    const { privateMessage } = created;
    const ciphertext = toBase64(encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage }));
    const message = await this.deliver(chatId, {
      clientMsgId: globalThis.crypto.randomUUID(),
      kind: 'application',
      epoch: Number(state.groupContext.epoch),
      ciphertext,
    });
    await this.save(chatId, { ...record, state: encodeState(created.newState), counter, sent: { ...record.sent, [message.id]: text } });
    await this.kept.put({ ...this.shown(message, this.deviceId, text, true) });
    // A thief's copy of this device's keys goes stale at its next commit.
    const stale = Date.now() - (record.committedAt ?? 0) >= this.schedule.everyMs;
    if (counter % this.schedule.everyMessages === 0 || stale) await this.updateKeysNow(chatId);
    return message;
  }

  /** Joins every chat this device was welcomed to (each Welcome is deleted from the server once used). */
  acceptWelcomes(): Promise<string[]> {
    return this.exclusive(() => this.acceptWelcomesNow());
  }

  private async acceptWelcomesNow(): Promise<string[]> {
    const joined: string[] = [];
    for (const item of await this.client.secret.welcomes(this.deviceId)) {
      const { welcome, tree } = unpackWelcome(item.welcome);
      let state: ClientState | undefined;
      for (const keyPackage of await this.keys.keyPackages()) {
        const { publicPackage, privatePackage } = keyPackage;
        state = await joinGroup(welcome, publicPackage, privatePackage, emptyPskIndex, this.keys.suite, tree).catch(() => undefined);
        if (state) {
          await this.keys.forgetKeyPackage(keyPackage.encoded);
          break;
        }
      }
      if (state) {
        const fresh: ChatRecord = {
          state: encodeState(state),
          seq: item.seq,
          counter: 0,
          seen: {},
          sent: {},
          removed: false,
          committedAt: Date.now(),
        };
        await this.save(item.chatId, fresh);
        joined.push(item.chatId);
      } else {
        this.emit('secret.undecryptable', {
          chatId: item.chatId,
          seq: item.seq,
          messageId: item.id,
          senderId: '',
          reason: 'undecryptable',
          detail: 'No KeyPackage of this device opens the Welcome',
        });
      }
      await this.client.secret.dismissWelcome(this.deviceId, item.id);
    }
    return joined;
  }

  /** Processes the chat's log after what this device has seen, in seq order: handshakes applied, messages shown or reported. */
  sync(chatId: string): Promise<void> {
    return this.exclusive(() => this.syncNow(chatId));
  }

  private async syncNow(chatId: string): Promise<void> {
    for (;;) {
      const record = await this.record(chatId);
      const page = await this.client.messages.list(chatId, { after: record.seq, limit: 100 });
      if (page.length === 0) return;
      for (const message of page) await this.process(record, message);
      await this.save(chatId, record);
      if (page.length < 100) return;
    }
  }

  /**
   * What this device decrypted, sent or refused in the chat, in seq order,
   * from its local history (nothing of it is on the server): what a client
   * shows at once on start, before catching up.
   */
  history(chatId: string): Promise<SecretHistoryEntry[]> {
    return this.kept.list(chatId);
  }

  /** The chat's current MLS epoch on this device. */
  async epoch(chatId: string): Promise<number> {
    return Number((await this.state(chatId)).groupContext.epoch);
  }

  /** The devices of the group, as this device sees it. */
  async devices(chatId: string): Promise<GroupDevice[]> {
    return devicesOf(await this.state(chatId));
  }

  /** Whether this device has a group state for the chat (it was welcomed and not removed). */
  async isMember(chatId: string): Promise<boolean> {
    const stored = await this.store.get(chatKey(chatId));
    return stored !== undefined && !(JSON.parse(stored) as ChatRecord).removed;
  }

  /** A member's safety number in this chat (see safetyNumber): compare it with theirs out of band. */
  async safetyNumber(chatId: string, userId: string): Promise<string> {
    const keys = (await this.devices(chatId)).filter((device) => device.userId === userId).map((device) => device.signaturePublicKey);
    return safetyNumber(userId, keys);
  }

  /**
   * Decrypts one message with the current state, without changing it: what
   * a device that joined later (or was removed) gets for a message it was
   * never meant to read.
   */
  async tryDecrypt(chatId: string, message: Message): Promise<string> {
    const state = await this.state(chatId);
    const decoded = decodeMlsMessage(fromBase64(message.ciphertext ?? ''), 0)?.[0];
    if (decoded?.wireformat !== 'mls_private_message') throw new Error('not an MLS private message');
    const result = await processPrivateMessage(state, decoded.privateMessage, emptyPskIndex, this.keys.suite);
    if (result.kind !== 'applicationMessage') throw new Error('not an application message');
    return (JSON.parse(decodeText(result.message)) as Plaintext).t;
  }

  /**
   * Builds a commit on the latest state and sends it with its epoch; on
   * EPOCH_CONFLICT another device's commit won that epoch: catch up (which
   * applies the winner) and build again. The new state is adopted only once
   * the server has accepted the commit.
   */
  private async commit(
    chatId: string,
    build: (state: ClientState) => { readonly proposals: Proposal[]; readonly welcomeTo: readonly string[] },
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      await this.syncNow(chatId);
      const record = await this.record(chatId);
      const state = decodeState(record.state);
      const { proposals, welcomeTo } = build(state);
      const result = await createCommit({ state, cipherSuite: this.keys.suite }, { extraProposals: proposals });
      const welcome = result.welcome ? packWelcome(result.welcome, result.newState.ratchetTree) : undefined;
      try {
        const message = await this.deliver(chatId, {
          clientMsgId: globalThis.crypto.randomUUID(),
          kind: 'commit',
          epoch: Number(state.groupContext.epoch),
          ciphertext: toBase64(encodeMlsMessage(result.commit)),
          ...(welcome ? { welcomes: welcomeTo.map((deviceId) => ({ deviceId, welcome })) } : {}),
        });
        const sent = { ...record.sent, [message.id]: '' };
        await this.save(chatId, { ...record, state: encodeState(result.newState), sent, committedAt: Date.now() });
        const epoch = Number(result.newState.groupContext.epoch);
        this.emit('secret.members', { chatId, seq: message.seq, epoch, devices: devicesOf(result.newState) });
        return;
      } catch (error) {
        if (!isEpochConflict(error) || attempt >= COMMIT_ATTEMPTS) throw error;
      }
    }
  }

  /**
   * Sends over the live connection when it is up and the message fits a
   * frame, else over HTTP: the same server operation and answers (an ack or
   * EPOCH_CONFLICT) either way, the ciphertext unchanged.
   */
  private deliver(chatId: string, input: SendSecretMessageInput): Promise<Message> {
    const { realtime } = this.client;
    return realtime.canSendSecret(chatId, input) ? realtime.sendSecret(chatId, input) : this.client.secret.send(chatId, input);
  }

  /**
   * One operation at a time: each continues from the group state the last
   * one left (two at once would build on one state, and the second would
   * find its message keys used up).
   */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.running.then(operation, operation);
    this.running = result.catch(() => undefined);
    return result;
  }

  /**
   * One message of the log, read into `record` (in place), kept in the
   * history and what it showed or refused emitted. The history is written
   * before the record moves past the message, so a crash between the two
   * loses nothing (the message is not readable a second time).
   */
  private async process(record: ChatRecord, message: Message): Promise<void> {
    const { chatId, seq, id: messageId, senderId, createdAt } = message;
    const outcome = await readLogMessage(record, message, this.deviceId, this.keys.suite);
    if (outcome.kind === 'shown') {
      const shown = this.shown(message, outcome.deviceId, outcome.text, outcome.mine);
      await this.kept.put({ ...shown });
      this.emit('secret.message', shown);
    } else if (outcome.kind === 'refused') {
      const refusal = { reason: outcome.reason, detail: outcome.detail };
      await this.kept.put({ chatId, seq, messageId, senderId, createdAt, refusal });
      this.emit('secret.undecryptable', { chatId, seq, messageId, senderId, ...refusal });
    }
    else if (outcome.kind === 'members') this.emit('secret.members', { chatId, seq, epoch: outcome.epoch, devices: outcome.devices });
  }

  private shown(message: Message, deviceId: string, text: string, mine: boolean): SecretMessage {
    const { chatId, seq, id: messageId, senderId, createdAt } = message;
    return { chatId, seq, messageId, senderId, deviceId, text, mine, createdAt };
  }

  private async state(chatId: string): Promise<ClientState> {
    return decodeState((await this.record(chatId)).state);
  }

  private async record(chatId: string): Promise<ChatRecord> {
    const stored = await this.store.get(chatKey(chatId));
    if (!stored) throw new Error(`This device is not in secret chat ${chatId}`);
    return JSON.parse(stored) as ChatRecord;
  }

  private save(chatId: string, record: ChatRecord): Promise<void> {
    return this.store.set(chatKey(chatId), JSON.stringify(record));
  }
}

function removals(state: ClientState, which: (device: GroupDevice) => boolean): Proposal[] {
  return devicesOf(state)
    .filter(which)
    .map((device): Proposal => ({ proposalType: 'remove', remove: { removed: device.leafIndex } }));
}
