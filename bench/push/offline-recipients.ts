/**
 * Does Web Push slow sends? Sends per second into a group of 1,000 whose 999
 * other members are offline and each have a push subscription, against the
 * same group shape with no subscriptions (same server, interleaved rounds),
 * and against a server without the push module (same setup, run after).
 * Also reports the pushes per second a local receiver got and the push lag
 * (message stored → push service accepted, from the delivery ledger).
 *
 *   npx tsx bench/push/offline-recipients.ts
 *   BENCH_SECONDS=4 BENCH_ROUNDS=3 BENCH_CONCURRENCY=64 to tune
 *
 * Embedded engines (PGlite on disk in a temporary directory, in-process bus
 * and store), the shape `npx kaif start` runs. Setup writes the recipients,
 * their memberships and subscriptions straight into the tables (1,998
 * sign-ups through argon2 would take minutes); every send then goes through
 * the HTTP API and every push through the real worker path: durable
 * consumer, per-chat coalescing, RFC 8291 encryption, VAPID, the `push`
 * policy, to a loopback receiver that answers 201 (it does not decrypt, so
 * the host's two cores go to the server).
 */
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { loadConfig } from '../../packages/server/src/platform/config/config.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { type RunningServer, startServer } from '../../packages/server/src/server.js';
import { quantile, round, summarize } from '../wire/stats.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const RECIPIENTS = 999;

interface Receiver {
  readonly url: string;
  readonly arrivals: number[];
  close(): Promise<void>;
}

/** A push service on loopback that accepts everything and records when each push arrived. */
async function startReceiver(): Promise<Receiver> {
  const arrivals: number[] = [];
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      arrivals.push(performance.now());
      response.writeHead(201).end();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function startKaif(dataDir: string, withPush: boolean): Promise<RunningServer> {
  const result = loadConfig({
    PORT: '0',
    TCP_PORT: '0',
    UDP_PORT: '0',
    HOST: '127.0.0.1',
    KAIF_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    KAIF_PUSH_ALLOW_PRIVATE_HOSTS: 'true',
    KAIF_RATE_LIMIT_PER_MINUTE: '100000000',
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return startServer({
    config: result.config,
    logger: createLogger('warn'),
    modules: withPush ? MODULES : MODULES.filter((module) => module.name !== 'push'),
  });
}

async function api<T>(server: RunningServer, method: string, path: string, token: string | null, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** A group of 1,000: the sender and 999 members written straight into the tables, with a push subscription each when `receiver` is given. */
async function groupOfThousand(server: RunningServer, token: string, receiver: Receiver | null): Promise<string> {
  const chat = await api<{ id: string }>(server, 'POST', '/api/v1/chats', token, { type: 'group', title: `bench ${randomUUID().slice(0, 8)}` });
  const db = server.adapters.db.kysely<unknown>();
  const ids = Array.from({ length: RECIPIENTS }, () => randomUUID());
  const tag = randomBytes(4).toString('hex');
  await sql`
    insert into identity.users (id, username, email, display_name, role, password_hash)
    select id, 'b' || ${tag} || n, 'b' || ${tag} || n || '@bench.test', 'Recipient ' || n, 'user', 'not-a-hash'
    from unnest(${ids}::uuid[]) with ordinality as u(id, n)`.execute(db);
  await sql`
    insert into messaging.members (chat_id, user_id, role, read_seq, joined_at)
    select ${chat.id}::uuid, id, 'member', 0, now() from unnest(${ids}::text[]) as u(id)`.execute(db);
  await sql`update messaging.chats set member_count = member_count + ${RECIPIENTS} where id = ${chat.id}::uuid`.execute(db);
  if (receiver) {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const p256dh = ecdh.getPublicKey().toString('base64url');
    const auth = randomBytes(16).toString('base64url');
    await sql`
      insert into push.subscriptions (id, user_id, session_id, endpoint, p256dh, auth)
      select gen_random_uuid(), id, gen_random_uuid(), ${`${receiver.url}/push/`} || id, ${p256dh}, ${auth}
      from unnest(${ids}::uuid[]) as u(id)`.execute(db);
  }
  return chat.id;
}

/** Closed loop: CONCURRENCY senders post into `chatId` for `seconds`. */
async function sendLoop(server: RunningServer, token: string, chatId: string, seconds = SECONDS) {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const sentAt = performance.now();
        await api(server, 'POST', `/api/v1/chats/${chatId}/messages`, token, { clientMsgId: randomUUID(), text: 'hello from the bench' });
        latencies.push(performance.now() - sentAt);
      }
    }),
  );
  return summarize(latencies, (performance.now() - started) / 1000);
}

interface PhaseRow {
  readonly workload: string;
  readonly round: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly pushes: number;
}

async function main(): Promise<void> {
  const dataDirs = [await mkdtemp(join(tmpdir(), 'kaif-push-bench-')), await mkdtemp(join(tmpdir(), 'kaif-push-bench-'))];
  const receiver = await startReceiver();
  const rows: PhaseRow[] = [];
  let lag: { p50: number; p99: number; accepted: number } | undefined;
  let pushWindow = { pushes: 0, seconds: 0 };
  try {
    const server = await startKaif(dataDirs[0]!, true);
    try {
      const sender = await api<{ accessToken: string }>(server, 'POST', '/api/v1/auth/register', null, {
        username: `sender${randomBytes(3).toString('hex')}`,
        email: `sender${randomBytes(3).toString('hex')}@bench.test`,
        password: 'bench-password-long-enough',
      });
      const subscribed = await groupOfThousand(server, sender.accessToken, receiver);
      const plain = await groupOfThousand(server, sender.accessToken, null);
      // Warm-up, not counted: JIT, pools, the first fan-out's reads.
      await sendLoop(server, sender.accessToken, plain, 1);
      await sendLoop(server, sender.accessToken, subscribed, 1);
      await new Promise((resolve) => setTimeout(resolve, 2500));
      for (let round = 1; round <= ROUNDS; round++) {
        // Alternate which goes first, so drift on a shared host does not favour one.
        const order = round % 2 === 1 ? (['subscribed', 'no subscriptions'] as const) : (['no subscriptions', 'subscribed'] as const);
        for (const workload of order) {
          const before = receiver.arrivals.length;
          const phaseStart = performance.now();
          const figures = await sendLoop(server, sender.accessToken, workload === 'subscribed' ? subscribed : plain);
          // Let the phase's last notifications (the folded messages' and the dispatcher's queue) go before the next one starts.
          await new Promise((resolve) => setTimeout(resolve, 2500));
          const pushes = receiver.arrivals.length - before;
          if (workload === 'subscribed') {
            pushWindow = { pushes: pushWindow.pushes + pushes, seconds: pushWindow.seconds + (performance.now() - phaseStart) / 1000 };
          }
          rows.push({ workload, round, perSecond: figures.perSecond, p50Ms: figures.p50Ms, p99Ms: figures.p99Ms, pushes });
          console.log(`${workload} round ${round}: ${figures.perSecond} sends/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ${pushes} pushes`);
        }
      }
      const { rows: lags } = await sql<{ seconds: number }>`
        select extract(epoch from l.updated_at - m.created_at)::float8 as seconds
        from push.ledger l join messaging.messages m on m.chat_id = l.chat_id and m.seq = l.seq
        where l.state = 'accepted'`.execute(server.adapters.db.kysely<unknown>());
      const sorted = lags.map((row) => Number(row.seconds) * 1000).sort((a, b) => a - b);
      lag = { p50: round(quantile(sorted, 0.5)), p99: round(quantile(sorted, 0.99)), accepted: sorted.length };
    } finally {
      await server.stop();
    }

    const bare = await startKaif(dataDirs[1]!, false);
    try {
      const sender = await api<{ accessToken: string }>(bare, 'POST', '/api/v1/auth/register', null, {
        username: `sender${randomBytes(3).toString('hex')}`,
        email: `sender${randomBytes(3).toString('hex')}@bench.test`,
        password: 'bench-password-long-enough',
      });
      const plain = await groupOfThousand(bare, sender.accessToken, null);
      await sendLoop(bare, sender.accessToken, plain, 1);
      for (let round = 1; round <= ROUNDS; round++) {
        const figures = await sendLoop(bare, sender.accessToken, plain);
        rows.push({ workload: 'no push module', round, perSecond: figures.perSecond, p50Ms: figures.p50Ms, p99Ms: figures.p99Ms, pushes: 0 });
        console.log(`no push module round ${round}: ${figures.perSecond} sends/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms`);
      }
    } finally {
      await bare.stop();
    }
  } finally {
    await receiver.close();
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  }

  const mean = (workload: string, key: 'perSecond' | 'p50Ms' | 'p99Ms') => {
    const values = rows.filter((row) => row.workload === workload).map((row) => row[key]);
    return round(values.reduce((sum, value) => sum + value, 0) / values.length, 1);
  };
  const baseline = mean('no subscriptions', 'perSecond');
  console.log(`\n| workload (group of 1,000, ${CONCURRENCY} senders, ${ROUNDS} × ${SECONDS} s) | sends/s | × no subscriptions | p50 / p99 ms |`);
  console.log('|---|---:|---:|---|');
  for (const workload of ['subscribed', 'no subscriptions', 'no push module']) {
    console.log(`| ${workload} | ${mean(workload, 'perSecond')} | ${round(mean(workload, 'perSecond') / baseline)} | ${mean(workload, 'p50Ms')} / ${mean(workload, 'p99Ms')} |`);
  }
  const pushesPerSecond = round(pushWindow.pushes / pushWindow.seconds, 0);
  console.log(`\npushes: ${pushWindow.pushes} in ${round(pushWindow.seconds, 1)} s of subscribed phases (${pushesPerSecond}/s); lag stored → accepted p50 ${lag?.p50} ms, p99 ${lag?.p99} ms over ${lag?.accepted} accepted pushes`);
  await writeFile(
    join(import.meta.dirname, '../results/push-offline-recipients.json'),
    `${JSON.stringify({ seconds: SECONDS, rounds: ROUNDS, concurrency: CONCURRENCY, rows, pushes: pushWindow, pushesPerSecond, lag }, null, 2)}\n`,
  );
}

await main();
