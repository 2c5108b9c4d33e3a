import { randomBytes, randomUUID } from 'node:crypto';
import type { ChatId, PushNotificationPayload, UserId } from '@kaif/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryKeyValueStore } from '../../platform/kv/memory-key-value-store.js';
import { createLogger } from '../../platform/logging/logger.js';
import type { DeliveryLedger, Outcome } from './delivery-ledger.js';
import { DeliveryReceipts } from './delivery-receipts.js';
import { DEFAULT_DISPATCH, type Delivery, type DispatchOptions, PushDispatcher } from './push-dispatcher.js';
import type { PushMessage, PushOutcome, PushTarget, PushTransport } from './push-transport.js';
import type { SubscriptionStore } from './subscription-store.js';

const BUSY = 'c0ffee00-0000-4000-8000-0000000000b1' as ChatId;
const QUIET = 'c0ffee00-0000-4000-8000-0000000000a2' as ChatId;

/** A push service that accepts everything and keeps what each device was sent, in order. */
class RecordingTransport implements PushTransport {
  readonly sent: { endpoint: string; payload: PushNotificationPayload }[] = [];
  async send(target: PushTarget, message: PushMessage): Promise<PushOutcome> {
    this.sent.push({ endpoint: target.endpoint, payload: JSON.parse(message.payload) as PushNotificationPayload });
    return { kind: 'accepted', attempts: 1 };
  }
}

function harness(options: Partial<DispatchOptions>) {
  const transport = new RecordingTransport();
  const outcomes: Outcome[] = [];
  const ledger = { outcome: (_ref: unknown, state: Outcome) => outcomes.push(state), accepted: () => undefined, flush: async () => undefined };
  const dispatcher = new PushDispatcher(
    transport,
    ledger as unknown as DeliveryLedger,
    {} as SubscriptionStore,
    new DeliveryReceipts(randomBytes(32).toString('base64url')),
    createMemoryKeyValueStore(),
    createLogger('silent'),
    { ...DEFAULT_DISPATCH, perDevicePerMinute: 1000, ...options },
  );
  return { dispatcher, transport, outcomes };
}

/** One notification of `chatId` for each of `devices` new devices. */
function deliveries(chatId: ChatId, devices: number, folded = 1): Delivery[] {
  return Array.from({ length: devices }, (_, index) => ({
    ref: { chatId, seq: 1, subscriptionId: randomUUID() },
    target: { id: randomUUID(), userId: randomUUID() as UserId, endpoint: `https://push.example/${chatId}/${index}`, keys: { p256dh: 'p', auth: 'a' } },
    title: chatId === BUSY ? 'Busy group' : 'Quiet chat',
    senderName: 'Alice',
    preview: null,
    folded,
    at: new Date().toISOString(),
  }));
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the push queue', () => {
  it('serves chats in turn: a quiet chat’s notification does not wait behind a busy group’s thousand', async () => {
    const { dispatcher, transport } = harness({ concurrency: 1 });
    const busy = dispatcher.enqueue(deliveries(BUSY, 1000));
    const quiet = dispatcher.enqueue(deliveries(QUIET, 1));
    await quiet;
    // The busy group's first push was under way and its line ahead: the quiet chat's comes after at most one more of it, not 1,000th.
    expect(transport.sent.map((push) => push.payload.title)).toEqual(['Busy group', 'Busy group', 'Quiet chat']);
    await busy;
    expect(transport.sent).toHaveLength(1001);
    expect(new Set(transport.sent.map((push) => push.endpoint)).size).toBe(1001);
  });

  it('sends at most the cap a second and delivers every notification, with its count, in the following seconds', async () => {
    vi.useFakeTimers();
    const { dispatcher, transport, outcomes } = harness({ maxPerSecond: 5 });
    const all = dispatcher.enqueue(deliveries(BUSY, 12, 20));
    await vi.advanceTimersByTimeAsync(0);
    expect(transport.sent).toHaveLength(5);
    await vi.advanceTimersByTimeAsync(1000);
    expect(transport.sent).toHaveLength(10);
    await vi.advanceTimersByTimeAsync(1000);
    await all;
    expect(transport.sent).toHaveLength(12);
    expect(outcomes).toEqual(Array(12).fill('accepted'));
    // Each device's one notification stands for the 20 messages folded into the chat's turn.
    expect(transport.sent.map((push) => [push.payload.count, push.payload.body])).toEqual(Array(12).fill([20, 'Alice: 20 new messages']));
  });

  it('without a cap sends everything at once', async () => {
    vi.useFakeTimers();
    const { dispatcher, transport } = harness({ maxPerSecond: 0 });
    const all = dispatcher.enqueue(deliveries(BUSY, 12));
    await vi.advanceTimersByTimeAsync(0);
    await all;
    expect(transport.sent).toHaveLength(12);
  });
});
