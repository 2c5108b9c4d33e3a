import type { KaifClient } from '@kaif/client/node';
import { sdkClient } from './sdk-clients.js';

/** An account whose owner signs in again after every idle gap. */
export interface Returning {
  readonly username: string;
  readonly password: string;
}

export interface StepTime {
  readonly step: string;
  readonly ms: number;
}

/** A step that gives no answer in this long has hung; the round fails naming it instead of waiting forever. */
const HUNG_AFTER_MS = 15_000;

/**
 * What a user does on coming back after an idle gap, each step timed: the
 * server answers /health, the returning user signs in, refreshes, sends
 * over HTTP and over the WebSocket, and `watcher` (connected all along, its
 * access token long expired) receives both live and answers over HTTP,
 * which the returning user receives live. Throws naming the first step
 * that fails or hangs.
 */
export async function activeRound(
  baseUrl: string,
  returning: Returning,
  watcher: KaifClient,
  chatId: string,
  label: string,
): Promise<readonly StepTime[]> {
  const times: StepTime[] = [];
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${label}: ${name} gave no answer within ${HUNG_AFTER_MS} ms`)), HUNG_AFTER_MS);
    });
    try {
      const result = await Promise.race([
        work().catch((error: unknown) => Promise.reject(new Error(`${label}: ${name} failed: ${(error as Error).message}`))),
        hung,
      ]);
      times.push({ step: name, ms: performance.now() - started });
      return result;
    } finally {
      clearTimeout(timer);
    }
  };

  await step('health', async () => {
    const response = await fetch(`${baseUrl}/health`);
    if (response.status !== 200) throw new Error(`/health answered ${response.status}`);
  });
  const client = sdkClient(baseUrl);
  try {
    await step('sign in', () => client.auth.login({ login: returning.username, password: returning.password }));
    await step('refresh', () => client.auth.refresh());
    await step('send over HTTP, received live', async () => {
      const arrived = arrival(watcher, `${label} over HTTP`);
      await client.messages.send(chatId, { text: `${label} over HTTP` });
      await arrived;
    });
    await step('connect', () => online(client));
    await step('send over the WebSocket, received live', async () => {
      const arrived = arrival(watcher, `${label} over the WebSocket`);
      await client.realtime.sendMessage({ chatId, text: `${label} over the WebSocket` });
      await arrived;
    });
    await step('answer from an idle client, received live', async () => {
      const arrived = arrival(client, `${label} answered`);
      await watcher.messages.send(chatId, { text: `${label} answered` });
      await arrived;
    });
  } finally {
    client.realtime.disconnect();
  }
  return times;
}

/** Resolves when `client` receives a message with this text live. */
function arrival(client: KaifClient, text: string): Promise<void> {
  return new Promise((resolve) => {
    const off = client.on('message.new', (event) => {
      if (event.data.text !== text) return;
      off();
      resolve();
    });
  });
}

/** Connects and resolves once synced. */
export function online(client: KaifClient): Promise<void> {
  return new Promise((resolve) => {
    const off = client.on('online', () => {
      off();
      resolve();
    });
    client.realtime.connect();
  });
}
