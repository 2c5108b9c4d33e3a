import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { writeChart } from '../support/svg-chart.js';
import { quantile } from '../wire/stats.js';

/**
 * Media uploads end to end: POST /api/v1/media (multipart) on the embedded
 * server in its own process (API and worker roles), blobs on disk. For a
 * 1 MP and a 12 MP JPEG photo: upload MB/s and latency p50/p99 of the
 * request — receive, detect the type, read the header (pixel limit),
 * polyglot check, store the upload, commit with its job — and the latency
 * until the photo is ready (upload start to the worker's done: decode,
 * re-encode without EXIF, WebP thumbnail and placeholder), polled on
 * GET /api/v1/media/:id/info every 10 ms. For a 32 MB file (no
 * processing): upload MB/s. **Baseline**, same run, same bytes: writing
 * them to a file on the same disk and fsyncing it. Also the server's peak
 * resident memory (VmHWM) after each workload.
 *
 *   npx tsx bench/media/uploads.ts [--rounds 8]
 */
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1] || 8);

interface Workload {
  readonly name: string;
  readonly bytes: Buffer;
  readonly fileName: string;
  readonly type: string;
}

interface Row {
  readonly workload: string;
  readonly sizeMB: number;
  readonly uploadMBps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Upload start to ready (thumbnail made), photos only. */
  readonly readyP50Ms: number | null;
  readonly readyP99Ms: number | null;
  readonly copyMBps: number;
  readonly copyP50Ms: number;
  readonly ratio: number;
  readonly serverPeakRssMB: number;
}

const f = (value: number, digits = 1) => value.toFixed(digits);

async function photo(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#6a8caf', noise: { type: 'gaussian', mean: 120, sigma: 30 } } })
    .withExif({ IFD0: { Artist: 'bench' } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

async function startBenchServer(): Promise<{ server: ChildProcess; url: string; pid: number }> {
  const entry = fileURLToPath(new URL('./bench-server.ts', import.meta.url));
  const server = spawn(process.execPath, ['--import', 'tsx', entry], { stdio: ['ignore', 'pipe', 'inherit'] });
  for await (const line of createInterface({ input: server.stdout! })) {
    if (line.startsWith('{"url"')) return { server, ...(JSON.parse(line) as { url: string; pid: number }) };
  }
  throw new Error('the bench server exited before listening');
}

async function register(url: string): Promise<string> {
  const name = `bench_${randomBytes(5).toString('hex')}`;
  const response = await fetch(`${url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: name, email: `${name}@example.test`, password: `pw-${randomBytes(9).toString('base64url')}-Lake!` }),
  });
  if (response.status !== 201) throw new Error(`register: ${response.status}`);
  return ((await response.json()) as { accessToken: string }).accessToken;
}

/** The request's latency, and for a photo the time from its start until the worker has made it ready. */
async function upload(url: string, token: string, work: Workload): Promise<{ readonly ms: number; readonly readyMs: number | null }> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(work.bytes)], { type: work.type }), work.fileName);
  const started = performance.now();
  const response = await fetch(`${url}/api/v1/media`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
  const media = (await response.json()) as { id: string; status?: string };
  if (response.status !== 201) throw new Error(`upload ${work.name}: ${response.status}`);
  const ms = performance.now() - started;
  if (media.status !== 'processing') return { ms, readyMs: null };
  for (;;) {
    const info = (await (await fetch(`${url}/api/v1/media/${media.id}/info`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status?: string };
    if (info.status === undefined) return { ms, readyMs: performance.now() - started };
    if (info.status !== 'processing') throw new Error(`${work.name}: ${info.status}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function copyToDisk(dir: string, bytes: Buffer): Promise<number> {
  const started = performance.now();
  const path = join(dir, randomBytes(6).toString('hex'));
  await writeFile(path, bytes);
  const handle = await open(path, 'r+');
  await handle.sync();
  await handle.close();
  const ms = performance.now() - started;
  await rm(path);
  return ms;
}

async function peakRssMB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

const workloads: Workload[] = [
  { name: '1 MP photo (1152×864 JPEG)', bytes: await photo(1152, 864), fileName: 'one.jpg', type: 'image/jpeg' },
  { name: '12 MP photo (4000×3000 JPEG)', bytes: await photo(4000, 3000), fileName: 'twelve.jpg', type: 'image/jpeg' },
  { name: '32 MB file (no processing)', bytes: randomBytes(32 * 1024 * 1024), fileName: 'archive.bin', type: 'application/octet-stream' },
];

const { server, url, pid } = await startBenchServer();
const scratch = await mkdtemp(join(tmpdir(), 'kaif-bench-copy-'));
const rows: Row[] = [];
let idleRssMB = 0;
try {
  const token = await register(url);
  idleRssMB = await peakRssMB(pid);
  for (const work of workloads) {
    await upload(url, token, work);
    await copyToDisk(scratch, work.bytes);
    const uploads: number[] = [];
    const ready: number[] = [];
    const copies: number[] = [];
    // Interleaved, so both see the same moments of a busy host.
    for (let round = 0; round < rounds; round++) {
      const answer = await upload(url, token, work);
      uploads.push(answer.ms);
      if (answer.readyMs !== null) ready.push(answer.readyMs);
      copies.push(await copyToDisk(scratch, work.bytes));
    }
    uploads.sort((a, b) => a - b);
    ready.sort((a, b) => a - b);
    copies.sort((a, b) => a - b);
    const sizeMB = work.bytes.length / 1024 / 1024;
    const mbps = (latencies: number[]) => (sizeMB * latencies.length) / (latencies.reduce((sum, ms) => sum + ms, 0) / 1000);
    rows.push({
      workload: work.name,
      sizeMB,
      uploadMBps: mbps(uploads),
      p50Ms: quantile(uploads, 0.5),
      p99Ms: quantile(uploads, 0.99),
      readyP50Ms: ready.length > 0 ? quantile(ready, 0.5) : null,
      readyP99Ms: ready.length > 0 ? quantile(ready, 0.99) : null,
      copyMBps: mbps(copies),
      copyP50Ms: quantile(copies, 0.5),
      ratio: mbps(uploads) / mbps(copies),
      serverPeakRssMB: await peakRssMB(pid),
    });
  }
} finally {
  server.kill('SIGTERM');
  await rm(scratch, { recursive: true, force: true });
}

console.log(`\n${rounds} uploads per workload, one at a time; baseline: the same bytes written to a file and fsynced, interleaved`);
console.log(`server peak RSS before any upload (started, one sign-up): ${f(idleRssMB, 0)} MB\n`);
console.log('| workload | size MB | upload MB/s | upload p50 / p99 ms | ready (thumbnail) p50 / p99 ms | copy-to-disk MB/s | copy p50 ms | × copy | server peak RSS MB |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const row of rows) {
  console.log(`| ${row.workload} | ${f(row.sizeMB, 2)} | ${f(row.uploadMBps)} | ${f(row.p50Ms, 0)} / ${f(row.p99Ms, 0)} | ${row.readyP50Ms === null ? '—' : `${f(row.readyP50Ms, 0)} / ${f(row.readyP99Ms!, 0)}`} | ${f(row.copyMBps)} | ${f(row.copyP50Ms, 1)} | ${f(row.ratio, 3)} | ${f(row.serverPeakRssMB, 0)} |`);
}
const results = fileURLToPath(new URL('../results/', import.meta.url));
await writeFile(join(results, 'media-uploads.json'), `${JSON.stringify({ rounds, idleRssMB, rows }, null, 2)}\n`);
await writeChart(join(results, 'media-uploads.svg'), {
  title: 'Media upload vs copy to disk (MB/s)',
  xLabel: 'workload (1 = 1 MP, 2 = 12 MP, 3 = 32 MB file)',
  yLabel: 'MB/s',
  kind: 'bar',
  series: [
    { name: 'upload (POST /api/v1/media)', points: rows.map((row, index) => ({ x: index + 1, y: row.uploadMBps })) },
    { name: 'copy to disk + fsync', points: rows.map((row, index) => ({ x: index + 1, y: row.copyMBps })) },
  ],
});
