import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { HDNodeWallet, JsonRpcProvider } from 'ethers';

const require = createRequire(import.meta.url);

/**
 * The anvil binary ships inside the platform package npm installs as an
 * optional dependency of @foundry-rs/anvil (e.g. @foundry-rs/anvil-linux-amd64),
 * so no install script has to run; we start it directly rather than through
 * the package's node wrapper, so a kill reaches anvil itself.
 */
function anvilBinary(): string {
  const arch = process.arch === 'x64' ? 'amd64' : process.arch;
  const platformPackage = `@foundry-rs/anvil-${process.platform}-${arch}`;
  const binary = process.platform === 'win32' ? 'anvil.exe' : 'anvil';
  return join(dirname(require.resolve(`${platformPackage}/package.json`)), 'bin', binary);
}

/** Anvil's default accounts (10,000 ETH each) come from this public test mnemonic. */
const ANVIL_MNEMONIC = 'test test test test test test test test test test test junk';

export interface LocalChain {
  readonly url: string;
  readonly chainId: number;
  readonly provider: JsonRpcProvider;
  /** A funded account outside the platform. */
  readonly funder: HDNodeWallet;
  /** Mines blocks at once (anvil_mine). */
  mine(blocks?: number): Promise<void>;
  rpc<T = unknown>(method: string, params?: unknown[]): Promise<T>;
  /** Sends value from the funded account and waits until it is mined; returns the hash. */
  send(to: string, value: bigint): Promise<string>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts anvil on a free port (one per test file), mining a block per transaction. */
export async function startAnvil(options: { chainId?: number } = {}): Promise<LocalChain> {
  const chainId = options.chainId ?? 31_337;
  const port = await freePort();
  const child: ChildProcess = spawn(anvilBinary(), ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Listening on')) resolve();
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`anvil exited with ${code}: ${output.slice(-500)}`)));
  });
  child.stdout!.resume();
  child.stderr!.resume();
  const url = `http://127.0.0.1:${port}`;
  const provider = new JsonRpcProvider(url, chainId, { staticNetwork: true, cacheTimeout: -1 });
  const funder = HDNodeWallet.fromPhrase(ANVIL_MNEMONIC, undefined, "m/44'/60'/0'/0/0").connect(provider);
  const rpc = <T>(method: string, params: unknown[] = []) => provider.send(method, params) as Promise<T>;
  return {
    url,
    chainId,
    provider,
    funder,
    rpc,
    async mine(blocks = 1) {
      await rpc('anvil_mine', [`0x${blocks.toString(16)}`]);
    },
    async send(to, value) {
      const nonce = await provider.getTransactionCount(funder.address, 'pending');
      const tx = await funder.sendTransaction({ to, value, nonce });
      await tx.wait();
      return tx.hash;
    },
    async stop() {
      provider.destroy();
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
