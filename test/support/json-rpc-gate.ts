import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';

/**
 * What the gate does with `eth_sendRawTransaction`: pass it through; swallow
 * it (the node never sees it, the caller never hears back); or send it on
 * to the node but never answer (broadcast done, the caller never knows).
 * Every other call passes through.
 */
export type GateMode = 'pass' | 'swallow-send' | 'send-then-hang';

export interface JsonRpcGate {
  readonly url: string;
  mode: GateMode;
  /** Raw transactions the gate saw, in order. */
  readonly sent: readonly string[];
  /** Resolves with the next raw transaction the gate sees. */
  nextSend(): Promise<string>;
  stop(): Promise<void>;
}

/** An HTTP JSON-RPC proxy in front of a node, to hold a broadcast where a test wants the caller to die. */
export async function startJsonRpcGate(target: string): Promise<JsonRpcGate> {
  const sent: string[] = [];
  let waiters: ((raw: string) => void)[] = [];
  const forward = async (body: string) => {
    const response = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: response.status, text: await response.text() };
  };
  const gate = {
    url: '',
    mode: 'pass' as GateMode,
    sent,
    nextSend: () => new Promise<string>((resolve) => waiters.push(resolve)),
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server: Server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const call = JSON.parse(body) as { method?: string; params?: unknown[] };
      if (call.method === 'eth_sendRawTransaction' && gate.mode !== 'pass') {
        const raw = String(call.params?.[0]);
        sent.push(raw);
        if (gate.mode === 'send-then-hang') await forward(body);
        for (const wake of waiters) wake(raw);
        waiters = [];
        return; // never answered
      }
      if (call.method === 'eth_sendRawTransaction') sent.push(String(call.params?.[0]));
      try {
        const answer = await forward(body);
        response.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.text);
      } catch {
        response.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gate.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return gate;
}
