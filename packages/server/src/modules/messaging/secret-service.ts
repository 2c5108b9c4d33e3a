import type { SecretWelcome, SendSecretMessageInput, SessionId, UserId } from '@kaif/protocol';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { KeysApi } from '../keys/api.js';
import type { LogBatcher } from './log-batcher.js';
import type { MessagingDeps } from './messaging-deps.js';
import { SecretSendOperation } from './secret-send-operation.js';
import type { SendOutcome } from './send-operation.js';
import { isUuid } from './views.js';

/**
 * Secret chats on the server side: the MLS delivery service. It orders and
 * stores ciphertext it cannot read (see SecretSendOperation) and hands each
 * Welcome to the one device it is for. Decryption, keys and group state
 * live in the SDK only.
 */
export class SecretService {
  constructor(
    private readonly deps: MessagingDeps,
    private readonly batcher: LogBatcher,
    private readonly keys: KeysApi,
  ) {}

  async send(userId: string, chatId: string, input: SendSecretMessageInput): Promise<SendOutcome> {
    if (!isUuid(chatId)) throw new KaifError('CHAT_NOT_FOUND');
    const welcomes = input.welcomes ?? [];
    const owners = await this.keys.ownersOf([...new Set(welcomes.map((welcome) => welcome.deviceId))]);
    const addressed = welcomes.map((welcome) => {
      const owner = owners.get(welcome.deviceId);
      if (!owner) throw new KaifError('VALIDATION_FAILED', `No device ${welcome.deviceId}`, { field: 'welcomes' });
      return { deviceId: welcome.deviceId, userId: owner, welcome: welcome.welcome };
    });
    return this.batcher.submit(
      new SecretSendOperation({
        userId,
        chatId,
        clientMsgId: input.clientMsgId,
        kind: input.kind,
        epoch: input.epoch,
        ciphertext: input.ciphertext,
        welcomes: addressed,
      }),
    );
  }

  /** The Welcomes waiting for this device, oldest first; only the device's own session may read them. */
  async welcomes(userId: UserId, sessionId: SessionId, deviceId: string): Promise<SecretWelcome[]> {
    await this.keys.assertOwnDevice(userId, sessionId, deviceId);
    const rows = await this.deps.db
      .selectFrom('messaging.secret_welcomes')
      .select(['id', 'chat_id', 'seq', 'epoch', 'welcome'])
      .where('device_id', '=', deviceId)
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('seq')
      .execute();
    return rows.map((row) => ({
      id: row.id,
      chatId: row.chat_id as SecretWelcome['chatId'],
      seq: Number(row.seq),
      epoch: Number(row.epoch),
      welcome: row.welcome,
    }));
  }

  /**
   * The device joined (or gave up): the Welcome is deleted, so the server
   * keeps no copy of it once used.
   */
  async dismissWelcome(userId: UserId, sessionId: SessionId, deviceId: string, welcomeId: string): Promise<void> {
    await this.keys.assertOwnDevice(userId, sessionId, deviceId);
    if (!isUuid(welcomeId)) return;
    await this.deps.db
      .deleteFrom('messaging.secret_welcomes')
      .where('id', '=', welcomeId)
      .where('device_id', '=', deviceId)
      .where('user_id', '=', userId)
      .execute();
  }
}
