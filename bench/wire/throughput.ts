import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { encodeMsgpackFrame, type Framing } from '@kaif/protocol';
import { KaifTcpClient } from '@kaif/client/node';
import { startCpuMeter } from '../support/cpu-meter.js';
import { writeChart } from '../support/svg-chart.js';
import { type Summary, round, summarize } from './stats.js';

/**
 * CosmicProto throughput against the original Messaging Layer design's
 * published figures: ~1,000 acknowledged messages/s per TCP connection with
 * 5–15 ms ack latency, 1,000+ concurrent connections, ~10,000 UDP packets/s.
 * Also the HTTP send path in the same run, as a measured baseline. The
 * server runs in its own process (bench-server.ts).
 *
 *   npx tsx bench/wire/throughput.ts [--seconds 5] [--connections 1000] [--window 256] [--only tcpPipelined,…] [--cpu-prof-dir DIR]
 *   DATABASE_URL=… KAIF_SECRET_KEY=… npx tsx bench/wire/throughput.ts --engine postgresql   (the server on PostgreSQL)
 */
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '1000' },
    window: { type: 'string', default: '256' },
    engine: { type: 'string', default: 'embedded' },
    only: { type: 'string' },
    'cpu-prof-dir': { type: 'string' },
  },
});
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
/** Sends one pipelined connection keeps in flight. */
const WINDOW = Number(values.window);
/** `--only tcpPipelined,udpPingJson`: run just these measurements. */
const ONLY = values.only?.split(',');
/** `--cpu-prof-dir DIR`: the server writes a V8 CPU profile there when it stops. */
const PROFILE_DIR = values['cpu-prof-dir'];
const USERS = 40;
const UDP_SOCKETS = 32;
const ORIGINAL = { msgsPerSecondPerConnection: 1_000, ackLatencyMs: [5, 15], udpPacketsPerSecond: 10_000 } as const;

interface Account {
  readonly id: string;
  readonly token: string;
  chatId: string;
}

async function main(): Promise<void> {
  const { server, url, ports } = await startServer();
  try {
    const sink = await register(url);
    const accounts: Account[] = [];
    for (let index = 0; index < USERS; index++) {
      const account = await register(url);
      account.chatId = await directChat(url, account.token, sink.id);
      accounts.push(account);
    }
    const host = '127.0.0.1';
    const tcp = ports.tcp!;
    const runs = {
      httpSequential: () => httpSequential(url, accounts[0]!),
      tcpSequentialMsgpack: () => tcpSequential(host, tcp, accounts[1]!, 'msgpack', 'send'),
      tcpSequentialJson: () => tcpSequential(host, tcp, accounts[2]!, 'json', 'send'),
      tcpPipelined: () => tcpPipelined(host, tcp, accounts[3]!, server.pid),
      tcpConcurrent: () => tcpConcurrent(host, tcp, accounts, 'send'),
      tcpPingMsgpack: () => tcpSequential(host, tcp, accounts[1]!, 'msgpack', 'ping'),
      tcpPingJson: () => tcpSequential(host, tcp, accounts[2]!, 'json', 'ping'),
      tcpConcurrentPing: () => tcpConcurrent(host, tcp, accounts, 'ping'),
      udpPingJson: () => udpPing(host, ports.udp!, accounts[0]!, 'json'),
      udpPingMsgpack: () => udpPing(host, ports.udp!, accounts[0]!, 'msgpack'),
    };
    const results: Record<string, unknown> = {};
    for (const [name, run] of Object.entries(runs)) {
      if (ONLY && !ONLY.includes(name)) continue;
      results[name] = await run();
    }
    if (ONLY) {
      // A partial run (profiling one path) prints its figures, and how full
      // the server's group commits were, and leaves the saved results alone.
      process.stdout.write(`${JSON.stringify({ ...results, batches: await batchesOf(`http://127.0.0.1:${ports.ops}`) }, null, 2)}\n`);
      return;
    }
    await report(results as { [K in keyof typeof runs]: Awaited<ReturnType<(typeof runs)[K]>> });
  } finally {
    server.kill('SIGTERM');
    await new Promise((resolve) => server.once('exit', resolve));
  }
}

async function startServer(): Promise<{ server: ChildProcess; url: string; ports: Record<string, number> }> {
  const entry = fileURLToPath(new URL('./bench-server.ts', import.meta.url));
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const server = spawn(process.execPath, [...profile, '--import', 'tsx', entry], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: server.stdout! });
  for await (const line of lines) {
    if (line.startsWith('{"url"')) return { server, ...(JSON.parse(line) as { url: string; ports: Record<string, number> }) };
  }
  throw new Error('the bench server exited before listening');
}

/** The server's group-commit histograms (kaif_messaging_batch_*) as batches, mean size and mean transaction time. */
async function batchesOf(opsUrl: string): Promise<{ batches: number; meanOperations: number; meanMs: number }> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const batches = value('kaif_messaging_batch_operations_count');
  return {
    batches,
    meanOperations: round(value('kaif_messaging_batch_operations_sum') / batches),
    meanMs: round((value('kaif_messaging_batch_seconds_sum') / batches) * 1000),
  };
}

async function register(url: string): Promise<Account> {
  const name = `bench_${process.pid.toString(36)}_${Math.random().toString(36).slice(2, 10)}`;
  const response = await fetch(`${url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: name, email: `${name}@example.test`, password: `pw-${randomBytes(9).toString('base64url')}-Lake!` }),
  });
  if (response.status !== 201) throw new Error(`register: ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { user: { id: string }; accessToken: string };
  return { id: body.user.id, token: body.accessToken, chatId: '' };
}

async function directChat(url: string, token: string, peerId: string): Promise<string> {
  const response = await fetch(`${url}/api/v1/chats`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ type: 'direct', memberIds: [peerId] }),
  });
  return ((await response.json()) as { id: string }).id;
}

/** One client sending one message at a time over HTTP: the in-run baseline for the TCP figures. */
async function httpSequential(url: string, account: Account): Promise<Summary> {
  const latencies: number[] = [];
  const phaseStarted = performance.now();
  const deadline = phaseStarted + SECONDS * 1000;
  for (let index = 0; performance.now() < deadline; index++) {
    const started = performance.now();
    const response = await fetch(`${url}/api/v1/chats/${account.chatId}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${account.token}` },
      body: JSON.stringify({ clientMsgId: `http-${index}`, text: `bench message ${index}` }),
    });
    await response.arrayBuffer();
    latencies.push(performance.now() - started);
  }
  return summarize(latencies, (performance.now() - phaseStarted) / 1000);
}

/** One connection, send → ack → send: the original design's per-connection figure. */
async function tcpSequential(host: string, port: number, account: Account, framing: Framing, operation: Operation): Promise<Summary> {
  const client = await KaifTcpClient.connect({ host, port, framing });
  await client.auth(account.token);
  const started = performance.now();
  const latencies = await repeatUntil(client, account, started + SECONDS * 1000, operation, framing);
  const elapsed = (performance.now() - started) / 1000;
  await client.close();
  return summarize(latencies, elapsed);
}

type Operation = 'send' | 'ping';

/**
 * CPU time per acked send, in µs: the server process and the local
 * PostgreSQL's processes (null where /proc or the server is not there).
 * Steadier than the rate, which drifts with the host from run to run.
 */
interface CpuPerSend {
  readonly server: number | null;
  readonly postgres: number | null;
}

/** One connection with WINDOW sends in flight: Acks come back in order, the batcher commits many per transaction. */
async function tcpPipelined(host: string, port: number, account: Account, serverPid: number | undefined): Promise<Summary & { cpuUs: CpuPerSend }> {
  const client = await KaifTcpClient.connect({ host, port, framing: 'msgpack', requestTimeoutMs: 60_000 });
  await client.auth(account.token);
  const stopMeter = await startCpuMeter(serverPid);
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  const latencies: number[] = [];
  let index = 0;
  await Promise.all(
    Array.from({ length: WINDOW }, async () => {
      while (performance.now() < deadline) {
        const begin = performance.now();
        await client.sendMessage({ chatId: account.chatId, text: `bench pipelined ${index++}` });
        latencies.push(performance.now() - begin);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const spent = await stopMeter();
  await client.close();
  const perSend = (ms: number | null) => (ms === null || Number.isNaN(ms) || latencies.length === 0 ? null : Math.round((ms * 1000) / latencies.length));
  return { ...summarize(latencies, elapsed), cpuUs: { server: serverPid === undefined ? null : perSend(spent.processMs), postgres: perSend(spent.postgresMs) } };
}

async function repeatUntil(client: KaifTcpClient, account: Account, deadline: number, operation: Operation, tag: string): Promise<number[]> {
  const latencies: number[] = [];
  for (let index = 0; performance.now() < deadline; index++) {
    const started = performance.now();
    if (operation === 'send') await client.sendMessage({ chatId: account.chatId, text: `bench ${tag} ${index}` });
    else await client.ping();
    latencies.push(performance.now() - started);
  }
  return latencies;
}

/**
 * CONNECTIONS connections at once, each sending sequentially: USERS users
 * with CONNECTIONS / USERS connections each, every user in a direct chat
 * with one silent peer, so each message is also pushed to its sender's
 * other connections (as to a user's other devices).
 */
async function tcpConcurrent(
  host: string,
  port: number,
  accounts: readonly Account[],
  operation: Operation,
): Promise<Summary & { connections: number; perConnectionPerSecond: number }> {
  const clients: { client: KaifTcpClient; account: Account }[] = [];
  for (let index = 0; index < CONNECTIONS; index += 50) {
    const batch = Array.from({ length: Math.min(50, CONNECTIONS - index) }, async (_, offset) => {
      const account = accounts[(index + offset) % accounts.length]!;
      const client = await KaifTcpClient.connect({ host, port, framing: 'msgpack', requestTimeoutMs: 60_000 });
      await client.auth(account.token);
      return { client, account };
    });
    clients.push(...(await Promise.all(batch)));
  }
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  const perClient = await Promise.all(
    clients.map(({ client, account }, index) => repeatUntil(client, account, deadline, operation, `c${index}`)),
  );
  const elapsed = (performance.now() - started) / 1000;
  await Promise.all(clients.map(({ client }) => client.close()));
  const summary = summarize(perClient.flat(), elapsed);
  return { ...summary, connections: clients.length, perConnectionPerSecond: round(summary.perSecond / clients.length) };
}

/** UDP_SOCKETS sockets, each Ping → Pong → Ping, every datagram carrying its token. */
async function udpPing(host: string, port: number, account: Account, framing: Framing): Promise<Summary & { lost: number }> {
  const ping = { packet_type: 'Ping', token: account.token };
  const datagram = framing === 'json' ? Buffer.from(JSON.stringify(ping)) : Buffer.from(encodeMsgpackFrame(ping).subarray(4));
  const phaseStarted = performance.now();
  const deadline = phaseStarted + SECONDS * 1000;
  let lost = 0;
  const perSocket = await Promise.all(
    Array.from({ length: UDP_SOCKETS }, async () => {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
      const latencies: number[] = [];
      while (performance.now() < deadline) {
        const started = performance.now();
        const answered = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(false), 500);
          socket.once('message', () => {
            clearTimeout(timer);
            resolve(true);
          });
          socket.send(datagram, port, host);
        });
        if (answered) latencies.push(performance.now() - started);
        else {
          lost++;
          socket.removeAllListeners('message');
        }
      }
      socket.close();
      return latencies;
    }),
  );
  return { ...summarize(perSocket.flat(), (performance.now() - phaseStarted) / 1000), lost };
}

async function report(results: {
  httpSequential: Summary;
  tcpSequentialMsgpack: Summary;
  tcpSequentialJson: Summary;
  tcpPipelined: Summary & { cpuUs: CpuPerSend };
  tcpConcurrent: Summary & { connections: number; perConnectionPerSecond: number };
  tcpPingMsgpack: Summary;
  tcpPingJson: Summary;
  tcpConcurrentPing: Summary & { connections: number; perConnectionPerSecond: number };
  udpPingJson: Summary & { lost: number };
  udpPingMsgpack: Summary & { lost: number };
}): Promise<void> {
  const [low, high] = ORIGINAL.ackLatencyMs;
  const row = (name: string, summary: Summary, baseline: string, ratio: string) =>
    `| ${name} | ${summary.perSecond.toLocaleString('en')} | ${summary.p50Ms} | ${summary.p99Ms} | ${baseline} | ${ratio} |`;
  const vsConnection = (summary: Summary) => `${round(summary.perSecond / ORIGINAL.msgsPerSecondPerConnection)}×`;
  const vsUdp = (summary: Summary) => `${round(summary.perSecond / ORIGINAL.udpPacketsPerSecond)}×`;
  const vsHttp = (summary: Summary) => `${round(summary.perSecond / results.httpSequential.perSecond)}× HTTP`;
  const lines = [
    `CosmicProto throughput (${values.engine} engines), ${SECONDS} s per phase, ${cpus().length} cores, client and server on one host`,
    '',
    '| phase | per second | p50 ms | p99 ms | original design | ratio |',
    '|---|---:|---:|---:|---|---:|',
    row('HTTP POST, 1 client, sequential (in-run baseline)', results.httpSequential, '—', '1×'),
    row('TCP MessagePack, 1 connection, send→ack', results.tcpSequentialMsgpack, `${ORIGINAL.msgsPerSecondPerConnection}/s, ${low}–${high} ms`, `${vsConnection(results.tcpSequentialMsgpack)}, ${vsHttp(results.tcpSequentialMsgpack)}`),
    row('TCP JSON, 1 connection, send→ack', results.tcpSequentialJson, `${ORIGINAL.msgsPerSecondPerConnection}/s, ${low}–${high} ms`, `${vsConnection(results.tcpSequentialJson)}, ${vsHttp(results.tcpSequentialJson)}`),
    row(`TCP MessagePack, 1 connection, ${WINDOW} sends in flight`, results.tcpPipelined, `${ORIGINAL.msgsPerSecondPerConnection}/s`, `${vsConnection(results.tcpPipelined)}, ${vsHttp(results.tcpPipelined)}`),
    row(`TCP MessagePack, ${results.tcpConcurrent.connections} connections, total acks`, results.tcpConcurrent, '1,000+ connections', `${results.tcpConcurrent.perConnectionPerSecond}/s per connection`),
    row('TCP MessagePack, 1 connection, Ping→Pong (no commit)', results.tcpPingMsgpack, '—', vsConnection(results.tcpPingMsgpack)),
    row('TCP JSON, 1 connection, Ping→Pong (no commit)', results.tcpPingJson, '—', vsConnection(results.tcpPingJson)),
    row(`TCP MessagePack, ${results.tcpConcurrentPing.connections} connections, Ping→Pong`, results.tcpConcurrentPing, '—', `${results.tcpConcurrentPing.perConnectionPerSecond}/s per connection`),
    row(`UDP JSON Ping→Pong, ${UDP_SOCKETS} sockets (lost ${results.udpPingJson.lost})`, results.udpPingJson, `${ORIGINAL.udpPacketsPerSecond.toLocaleString('en')}/s`, vsUdp(results.udpPingJson)),
    row(`UDP MessagePack Ping→Pong, ${UDP_SOCKETS} sockets (lost ${results.udpPingMsgpack.lost})`, results.udpPingMsgpack, `${ORIGINAL.udpPacketsPerSecond.toLocaleString('en')}/s`, vsUdp(results.udpPingMsgpack)),
    '',
    `CPU per acked send with ${WINDOW} in flight: server ${results.tcpPipelined.cpuUs.server ?? '—'} µs, PostgreSQL ${results.tcpPipelined.cpuUs.postgres ?? '—'} µs`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const output = fileURLToPath(new URL(`../results/wire-${values.engine}.json`, import.meta.url));
  mkdirSync(fileURLToPath(new URL('../results/', import.meta.url)), { recursive: true });
  writeFileSync(
    output,
    `${JSON.stringify({ at: new Date().toISOString(), engine: values.engine, seconds: SECONDS, cores: cpus().length, original: ORIGINAL, results }, null, 2)}\n`,
  );
  const chart = fileURLToPath(new URL(`../results/wire-${values.engine}.svg`, import.meta.url));
  const acked: [string, Summary][] = [
    ['HTTP, sequential', results.httpSequential],
    ['TCP, send→ack', results.tcpSequentialMsgpack],
    [`TCP, ${WINDOW} in flight`, results.tcpPipelined],
    [`TCP, ${results.tcpConcurrent.connections} conns`, results.tcpConcurrent],
  ];
  await writeChart(chart, {
    title: `Acknowledged sends per second (${values.engine} engines)`,
    xLabel: 'phase',
    yLabel: 'acks per second',
    kind: 'bar',
    series: acked.map(([name, summary], index) => ({ name, points: [{ x: index + 1, y: summary.perSecond }] })),
  });
  process.stdout.write(`\nwrote ${output}\nwrote ${chart}\n`);
}

await main();
