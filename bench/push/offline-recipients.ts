/**
 * Does Web Push slow sends? Sends per second into a group of 1,000 whose 999
 * other members are offline and each have a push subscription, against the
 * same group shape with no subscriptions (same server, interleaved rounds).
 * Servers run side by side and take turns. By default two, both with the
 * default sender thread (niced +5) and no cap on pushes per second: one as
 * shipped, whose busy chat's turns grow from 2 s to 30 s, and one whose
 * turns stay at 2 s (the behaviour before the growing turns). Phases should
 * last several chat turns (BENCH_SECONDS=15); after each subscribed phase
 * the run waits until no folded message waits in a server and the receiver
 * fell quiet, so no phase pays for another's pushes. Also reports the
 * pushes per second a local receiver got and the push lag (message stored →
 * push service accepted, from the delivery ledger), per server, and each
 * round's ratio subscribed / no subscriptions (adjacent phases of one
 * server) with their median.
 *
 *   npx tsx bench/push/offline-recipients.ts
 *   BENCH_SECONDS=4 BENCH_ROUNDS=3 BENCH_CONCURRENCY=64 to tune
 *   BENCH_SENDERS=5/0,5/0/2000 (the default): the servers, `main` for the main loop
 *     (KAIF_PUSH_SENDER_THREADS=0), a number for a sender thread at that nice
 *     increment, `/N` for a cap of N pushes a second (`/0`: none; without it,
 *     the default cap, KAIF_PUSH_MAX_PER_SECOND), then `/M` for the longest
 *     turn of a busy chat in ms (without it, the default)
 *   BENCH_SENDERS=5 node --cpu-prof --import tsx …: one server, profiled
 *
 * Embedded engines (PGlite on disk in a temporary directory, in-process bus
 * and store), the shape `npx kaif start` runs. Setup writes the recipients,
 * their memberships and subscriptions straight into the tables (1,998
 * sign-ups through argon2 would take minutes); every send then goes through
 * the HTTP API and every push through the real worker path: durable
 * consumer, per-chat coalescing, RFC 8291 encryption, VAPID, the `push`
 * policy, to a loopback receiver that answers 201 (it does not decrypt, so
 * the host's two cores go to the server), in a child process, off the
 * server's event loop, as a remote push service would be.
 */
import { createECDH, randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { MODULES } from '../../packages/server/src/modules/index.js';
import { createPushModule } from '../../packages/server/src/modules/push/push-module.js';
import { DEFAULT_PUSH_OPTIONS } from '../../packages/server/src/modules/push/push-services.js';
import { loadConfig } from '../../packages/server/src/platform/config/config.js';
import { createLogger } from '../../packages/server/src/platform/logging/logger.js';
import { type RunningServer, startServer } from '../../packages/server/src/server.js';
import { writeChart } from '../support/svg-chart.js';
import { quantile, round, summarize } from '../wire/stats.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const RECIPIENTS = 999;

interface Receiver {
  readonly url: string;
  /** Pushes it answered so far. */
  count(): Promise<number>;
  close(): Promise<void>;
}

/** The push service stand-in (push-receiver.ts), in a child process. */
async function startReceiver(): Promise<Receiver> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'push-receiver.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', (code) => reject(new Error(`the receiver exited with ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    count: async () => Number(await (await fetch(`${url}/count`)).text()),
    close: async () => {
      child.kill();
    },
  };
}

async function startKaif(dataDir: string, spec: SenderSpec): Promise<RunningServer> {
  const { threads: senderThreads, nice: senderNice, cap: maxPerSecond, maxIntervalMs } = spec;
  const result = loadConfig({
    PORT: '0',
    TCP_PORT: '0',
    UDP_PORT: '0',
    HOST: '127.0.0.1',
    KAIF_DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    KAIF_PUSH_ALLOW_PRIVATE_HOSTS: 'true',
    KAIF_PUSH_SENDER_THREADS: String(senderThreads),
    KAIF_RATE_LIMIT_PER_MINUTE: '100000000',
    ...(maxPerSecond === undefined ? {} : { KAIF_PUSH_MAX_PER_SECOND: String(maxPerSecond) }),
  });
  if (!result.ok) throw new Error(result.errors.join('\n'));
  return startServer({
    config: result.config,
    logger: createLogger('warn'),
    modules: MODULES.map((module) =>
      module.name === 'push'
        ? createPushModule({
            senderNice,
            ...(maxIntervalMs === undefined ? {} : { dispatch: { ...DEFAULT_PUSH_OPTIONS.dispatch, maxIntervalMs } }),
          })
        : module,
    ),
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
  readonly sends: number;
  /** CPU the main thread (the event loop that accepts sends) used in the phase, its pushes' tail included: ms. */
  readonly mainCpuMs: number;
  /** CPU of the whole process (every thread: sender threads, PGlite): ms. */
  readonly processCpuMs: number;
}

/**
 * CPU time the main thread has used (Linux: /proc/self/task/<pid>/stat,
 * utime + stime in clock ticks of 10 ms). Unlike sends per second, it does
 * not depend on how much of the host other work takes.
 */
async function mainThreadCpuMs(): Promise<number> {
  const stat = await readFile(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Chats whose folded messages still wait for their turn in the server (a busy chat's turn lasts up to 30 s). */
async function chatsWaiting(server: RunningServer): Promise<number> {
  const gauge = server.registry.getSingleMetric('kaif_push_chats_waiting');
  return gauge ? ((await gauge.get()).values[0]?.value ?? 0) : 0;
}

/**
 * Resolves once no chat of `servers` has folded messages waiting for a turn
 * and the receiver then got nothing for 2.5 s — longer than a quiet chat's
 * turn, so a capped server's last turn has started — or 90 s passed.
 */
async function quiet(receiver: Receiver, servers: readonly RunningServer[]): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 2100));
  const giveUp = performance.now() + 90_000;
  let seen = await receiver.count();
  let still = performance.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const now = await receiver.count();
    const waiting = (await Promise.all(servers.map(chatsWaiting))).reduce((sum, chats) => sum + chats, 0);
    if (now !== seen || waiting > 0) {
      seen = now;
      still = performance.now();
    } else if (performance.now() - still >= 2500) return;
    if (performance.now() > giveUp) return;
  }
}

/** A started server with its sender and groups of 1,000. */
interface Setup {
  readonly server: RunningServer;
  readonly token: string;
  readonly chats: Partial<Record<Workload, string>>;
}

/** Where pushes run and their cap: `main loop` or `thread nice N`, then `, no cap`, `, cap N/s` or `, default cap`. */
type Sender = string;
type Workload = `${Sender}: ${'subscribed' | 'no subscriptions'}`;
interface SenderSpec {
  readonly name: Sender;
  readonly threads: number;
  readonly nice: number;
  /** Pushes per second at most; undefined: the default (KAIF_PUSH_MAX_PER_SECOND unset). */
  readonly cap: number | undefined;
  /** The longest a busy chat's turn grows to (ChatCoalescer); undefined: the default, 30 s. */
  readonly maxIntervalMs: number | undefined;
}
const SPECS: readonly SenderSpec[] = (process.env.BENCH_SENDERS ?? '5/0,5/0/2000').split(',').map((spec) => {
  const [where, capText, maxText] = spec.split('/') as [string, string | undefined, string | undefined];
  const cap = capText === undefined ? undefined : Number(capText);
  const maxIntervalMs = maxText === undefined ? undefined : Number(maxText);
  const capName = cap === undefined ? 'default cap' : cap === 0 ? 'no cap' : `cap ${cap}/s`;
  const turns = maxIntervalMs === undefined ? '' : `, turns ≤ ${maxIntervalMs / 1000} s`;
  return where === 'main'
    ? { name: `main loop, ${capName}${turns}`, threads: 0, nice: 0, cap, maxIntervalMs }
    : { name: `thread nice ${Number(where)}, ${capName}${turns}`, threads: 1, nice: Number(where), cap, maxIntervalMs };
});
const SENDERS: readonly Sender[] = SPECS.map((spec) => spec.name);
/** The default comparison is the one recorded in results/. */
const ONLY = process.env.BENCH_SENDERS !== undefined;
const WORKLOADS: readonly Workload[] = SENDERS.flatMap((sender) => [`${sender}: subscribed`, `${sender}: no subscriptions`] as const);

async function setUp(dataDir: string, spec: SenderSpec, receiver: Receiver): Promise<Setup> {
  const sender = spec.name;
  const server = await startKaif(dataDir, spec);
  const name = `sender${randomBytes(3).toString('hex')}`;
  const { accessToken: token } = await api<{ accessToken: string }>(server, 'POST', '/api/v1/auth/register', null, {
    username: name,
    email: `${name}@bench.test`,
    password: 'bench-password-long-enough',
  });
  const chats: Partial<Record<Workload, string>> = {
    [`${sender}: subscribed`]: await groupOfThousand(server, token, receiver),
    [`${sender}: no subscriptions`]: await groupOfThousand(server, token, null),
  };
  // Warm-up, not counted: JIT, pools, the first fan-out's reads.
  for (const chatId of Object.values(chats)) await sendLoop(server, token, chatId!, 1);
  return { server, token, chats };
}

async function main(): Promise<void> {
  const dataDirs = await Promise.all(SENDERS.map(() => mkdtemp(join(tmpdir(), 'kaif-push-bench-'))));
  const receiver = await startReceiver();
  const rows: PhaseRow[] = [];
  const lag: Partial<Record<Sender, { p50: number; p99: number; accepted: number }>> = {};
  const pushWindow = Object.fromEntries(SENDERS.map((sender) => [sender, { pushes: 0, seconds: 0 }])) as Record<Sender, { pushes: number; seconds: number }>;
  const setups: Setup[] = [];
  try {
    // Both servers run side by side and take turns, so drift on a shared host favours none.
    for (const [index, spec] of SPECS.entries()) setups.push(await setUp(dataDirs[index]!, spec, receiver));
    await quiet(receiver, setups.map((setup) => setup.server));
    const turns = setups.flatMap((setup) => Object.entries(setup.chats).map(([workload, chatId]) => ({ setup, workload: workload as Workload, chatId: chatId! })));
    for (let round = 1; round <= ROUNDS; round++) {
      const order = turns.map((_, index) => turns[(index + round) % turns.length]!);
      for (const { setup, workload, chatId } of order) {
        const before = await receiver.count();
        const phaseStart = performance.now();
        const [mainBefore, processBefore] = [await mainThreadCpuMs(), process.cpuUsage()];
        const figures = await sendLoop(setup.server, setup.token, chatId);
        if (workload.endsWith(': subscribed')) {
          // The phase's notifications (its folded messages', the dispatcher's queue) all go before the next phase starts.
          await quiet(receiver, setups.map((setup) => setup.server));
          const window = pushWindow[senderOf(workload)]!;
          window.pushes += (await receiver.count()) - before;
          window.seconds += (performance.now() - phaseStart) / 1000;
        }
        const mainCpuMs = (await mainThreadCpuMs()) - mainBefore;
        const used = process.cpuUsage(processBefore);
        const processCpuMs = Math.round((used.user + used.system) / 1000);
        const pushes = (await receiver.count()) - before;
        rows.push({ workload, round, perSecond: figures.perSecond, p50Ms: figures.p50Ms, p99Ms: figures.p99Ms, pushes, sends: figures.count, mainCpuMs, processCpuMs });
        console.log(
          `${workload} round ${round}: ${figures.perSecond} sends/s, p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, ${pushes} pushes, main thread ${mainCpuMs} ms CPU, process ${processCpuMs} ms`,
        );
      }
    }
    for (const [index, sender] of SENDERS.entries()) {
      const { rows: lags } = await sql<{ seconds: number }>`
        select extract(epoch from l.updated_at - m.created_at)::float8 as seconds
        from push.ledger l join messaging.messages m on m.chat_id = l.chat_id and m.seq = l.seq
        where l.state = 'accepted'`.execute(setups[index]!.server.adapters.db.kysely<unknown>());
      const sorted = lags.map((row) => Number(row.seconds) * 1000).sort((a, b) => a - b);
      lag[sender] = { p50: round(quantile(sorted, 0.5)), p99: round(quantile(sorted, 0.99)), accepted: sorted.length };
    }
  } finally {
    for (const setup of setups) await setup.server.stop();
    await receiver.close();
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  }

  const median = (values: readonly number[]) => quantile([...values].sort((a, b) => a - b), 0.5);
  // Each round's subscribed phase over the same server's no-subscription phase of that round: drift between rounds cancels.
  const roundRatios = (sender: Sender) =>
    Array.from({ length: ROUNDS }, (_, index) => {
      const of = (workload: Workload) => rows.find((row) => row.workload === workload && row.round === index + 1)!.perSecond;
      return round(of(`${sender}: subscribed`) / of(`${sender}: no subscriptions`));
    });
  const mean = (workload: string, key: 'perSecond' | 'p50Ms' | 'p99Ms') => {
    const values = rows.filter((row) => row.workload === workload).map((row) => row[key]);
    return round(values.reduce((sum, value) => sum + value, 0) / values.length, 1);
  };
  // Without subscriptions the two servers do the same work: their mean is the baseline of both.
  const pooled = SENDERS.reduce((sum, sender) => sum + mean(`${sender}: no subscriptions`, 'perSecond'), 0) / SENDERS.length;
  console.log(`\n| workload (group of 1,000, ${CONCURRENCY} senders, ${ROUNDS} × ${SECONDS} s) | sends/s by round | mean | × same server, no subscriptions | × both no-subscription means | p50 / p99 ms |`);
  console.log('|---|---|---:|---:|---:|---|');
  for (const workload of WORKLOADS) {
    const own = mean(`${senderOf(workload)}: no subscriptions`, 'perSecond');
    const byRound = rows.filter((row) => row.workload === workload).map((row) => Math.round(row.perSecond)).join(' / ');
    console.log(
      `| ${workload} | ${byRound} | ${mean(workload, 'perSecond')} | ${round(mean(workload, 'perSecond') / own)} | ${round(mean(workload, 'perSecond') / pooled)} | ${mean(workload, 'p50Ms')} / ${mean(workload, 'p99Ms')} |`,
    );
  }
  // Main-thread CPU per message sent, with and without the pushes it caused: the difference, per push, is what pushing costs the event loop that accepts sends.
  const sum = (workload: string, key: 'sends' | 'mainCpuMs' | 'processCpuMs' | 'pushes') =>
    rows.filter((row) => row.workload === workload).reduce((total, row) => total + row[key], 0);
  console.log(
    '\n| sender | main-thread CPU per send, no subscriptions | per send, subscribed (its pushes included) | main-thread CPU per push | process CPU per push | pushes per send | **process CPU per send, subscribed ÷ no subscriptions** |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  const cpu: Record<
    string,
    { mainPerSendMs: number; mainPerSendSubscribedMs: number; mainPerPushMs: number; processPerPushMs: number; pushesPerSend: number; processPerSendRatio: number }
  > = {};
  for (const sender of SENDERS) {
    const [plain, subscribed] = [`${sender}: no subscriptions`, `${sender}: subscribed`];
    const mainPerSend = sum(plain, 'mainCpuMs') / sum(plain, 'sends');
    const processPerSend = sum(plain, 'processCpuMs') / sum(plain, 'sends');
    const mainPerSendSubscribed = sum(subscribed, 'mainCpuMs') / sum(subscribed, 'sends');
    const pushesPerSend = sum(subscribed, 'pushes') / sum(subscribed, 'sends');
    const mainPerPush = (mainPerSendSubscribed - mainPerSend) / pushesPerSend;
    const processPerPush = (sum(subscribed, 'processCpuMs') / sum(subscribed, 'sends') - processPerSend) / pushesPerSend;
    // The whole process's CPU for a message sent into the subscribed group, its pushes included, over one sent into the group without: what a send costs the host with push on. Independent of how much of the host other work takes.
    const processPerSendRatio = sum(subscribed, 'processCpuMs') / sum(subscribed, 'sends') / processPerSend;
    cpu[sender] = {
      mainPerSendMs: round(mainPerSend, 3),
      mainPerSendSubscribedMs: round(mainPerSendSubscribed, 3),
      mainPerPushMs: round(mainPerPush, 3),
      processPerPushMs: round(processPerPush, 3),
      pushesPerSend: round(pushesPerSend, 3),
      processPerSendRatio: round(processPerSendRatio, 3),
    };
    console.log(
      `| ${sender} | ${round(mainPerSend, 2)} ms | ${round(mainPerSendSubscribed, 2)} ms | ${round(mainPerPush, 3)} ms | ${round(processPerPush, 3)} ms | ${round(pushesPerSend, 2)} | **${round(processPerSendRatio, 2)}** |`,
    );
  }
  const ratios = Object.fromEntries(SENDERS.map((sender) => [sender, { byRound: roundRatios(sender), median: round(median(roundRatios(sender))) }]));
  console.log('\n| sender | subscribed ÷ no subscriptions, by round | **median** |');
  console.log('|---|---|---:|');
  for (const sender of SENDERS) console.log(`| ${sender} | ${ratios[sender]!.byRound.join(' / ')} | **${ratios[sender]!.median}** |`);
  const pushesPerSecond = Object.fromEntries(Object.entries(pushWindow).map(([sender, window]) => [sender, round(window.pushes / window.seconds, 0)]));
  for (const sender of SENDERS) {
    const window = pushWindow[sender]!;
    const senderLag = lag[sender];
    console.log(
      `${sender}: ${window.pushes} pushes in ${round(window.seconds, 1)} s of subscribed phases until the receiver fell quiet (${pushesPerSecond[sender]}/s); lag stored → accepted p50 ${senderLag?.p50} ms, p99 ${senderLag?.p99} ms over ${senderLag?.accepted} accepted pushes`,
    );
  }
  // Another set of servers (a profile, another nice) leaves the recorded comparison alone.
  if (ONLY) return;
  const out = join(import.meta.dirname, '../results/push-offline-recipients');
  await writeChart(`${out}.svg`, {
    title: 'Sends into a group of 1,000 pushing to 999 offline devices ÷ the same server without subscriptions, by round',
    xLabel: 'round',
    yLabel: 'sends/s, subscribed ÷ no subscriptions',
    kind: 'bar',
    series: SENDERS.map((sender) => ({ name: sender, points: ratios[sender]!.byRound.map((ratio, index) => ({ x: index + 1, y: ratio })) })),
  });
  await writeFile(
    `${out}.json`,
    `${JSON.stringify({ seconds: SECONDS, rounds: ROUNDS, concurrency: CONCURRENCY, rows, ratios, pushes: pushWindow, pushesPerSecond, lag, cpu }, null, 2)}\n`,
  );
}

function senderOf(workload: Workload): Sender {
  return workload.slice(0, workload.lastIndexOf(':'));
}

await main();
