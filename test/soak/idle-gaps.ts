/**
 * Soak with idle gaps (issue 11, defect 1): the embedded server (PGlite in a
 * temporary data directory, in-process bus and store) with every cache
 * lifetime set short; in a loop, stay idle longer than every lifetime, then
 * check /health, sign in, refresh, send and receive over HTTP and the
 * WebSocket. Every step must answer within a second.
 *
 *   npm run soak                      # 10 minutes, as CI runs it
 *   npm run soak -- --seconds 60      # a quick local run
 *
 * Exits 1 on the first slow, failed or hung step, naming it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../packages/server/src/platform/config/config.js';
import { startServer } from '../../packages/server/src/server.js';
import { registerUser } from '../support/accounts.js';
import { activeRound, online } from '../support/active-round.js';
import { sdkClient } from '../support/sdk-clients.js';
import { longestTtlMs, shortTtlModules } from '../support/short-ttls.js';

const ANSWER_WITHIN_MS = 1000;

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '600' }, 'ttl-ms': { type: 'string', default: '2000' } } });
const seconds = Number(values.seconds);
const ttlMs = Number(values['ttl-ms']);
if (!(seconds > 0) || !Number.isInteger(ttlMs) || ttlMs < 100) {
  console.error('usage: idle-gaps.ts [--seconds <positive number>] [--ttl-ms <integer ≥ 100>]');
  process.exit(2);
}
const idleGapMs = longestTtlMs(ttlMs) + 1000;

const dataDir = await mkdtemp(join(tmpdir(), 'kaif-soak-'));
const loaded = loadConfig({
  PORT: '0',
  TCP_PORT: '0',
  UDP_PORT: '0',
  HOST: '127.0.0.1',
  KAIF_DATA_DIR: dataDir,
  KAIF_WEB_DIR: join(dataDir, 'no-web-client'),
  LOG_LEVEL: 'error',
});
if (!loaded.ok) throw new Error(loaded.errors.join('\n'));
const server = await startServer({ config: loaded.config, modules: shortTtlModules(ttlMs) });

let failed = false;
try {
  const returning = await registerUser(server);
  const watching = await registerUser(server);
  const watcher = sdkClient(server.url, { accessToken: watching.accessToken, refreshToken: watching.refreshToken });
  const chatId = (await watcher.chats.create({ type: 'direct', memberIds: [returning.user.id] })).id;
  await online(watcher);
  console.log(`soak: ${seconds} s on the embedded server, cache lifetimes ${ttlMs} ms, idle gaps ${idleGapMs} ms`);

  const deadline = Date.now() + seconds * 1000;
  let round = 0;
  let slowest = 0;
  while (Date.now() + idleGapMs < deadline) {
    round += 1;
    await sleep(idleGapMs);
    const times = await activeRound(server.url, { username: returning.user.username, password: returning.password }, watcher, chatId, `round ${round}`);
    const slow = times.filter((time) => time.ms > ANSWER_WITHIN_MS);
    slowest = Math.max(slowest, ...times.map((time) => time.ms));
    if (slow.length > 0) {
      throw new Error(`round ${round}: ${slow.map((time) => `${time.step} took ${Math.round(time.ms)} ms`).join(', ')} (limit ${ANSWER_WITHIN_MS} ms)`);
    }
    console.log(`round ${round}: ${times.map((time) => `${time.step} ${Math.round(time.ms)} ms`).join(', ')}`);
  }
  watcher.realtime.disconnect();
  console.log(`soak passed: ${round} rounds after idle gaps, slowest step ${Math.round(slowest)} ms`);
} catch (error) {
  failed = true;
  console.error(`soak FAILED: ${(error as Error).message}`);
} finally {
  await server.stop();
  await rm(dataDir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
