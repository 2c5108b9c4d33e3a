import { MODULES } from '../../../packages/server/src/modules/index.js';
import { createWireModule } from '../../../packages/server/src/modules/wire/wire-module.js';
import type { WireLimits } from '../../../packages/server/src/modules/wire/wire-limits.js';
import { type TestServer, type TestServerOptions, startTestServer } from '../../support/test-server.js';

export interface WireServerOptions extends Omit<TestServerOptions, 'modules'> {
  readonly limits?: Partial<WireLimits>;
}

/** Every module of the product, with the wire module built from `limits`. */
export function modulesWithWire(limits: Partial<WireLimits> = {}) {
  return [...MODULES.filter((module) => module.name !== 'wire'), createWireModule({ limits })];
}

/** A real server with CosmicProto on random TCP and UDP ports. */
export async function startWireServer(options: WireServerOptions = {}): Promise<TestServer> {
  const { limits, ...rest } = options;
  return startTestServer({ ...rest, modules: modulesWithWire(limits) });
}

export function tcpPort(server: TestServer): number {
  const port = server.ports.tcp;
  if (port === undefined) throw new Error('the wire module announced no TCP port');
  return port;
}

export function udpPort(server: TestServer): number {
  const port = server.ports.udp;
  if (port === undefined) throw new Error('the wire module announced no UDP port');
  return port;
}

/** Whether this build runs the WebSocket gateway, for the cross-transport assertions that need it. */
export const HAS_REALTIME = MODULES.some((module) => module.name === 'realtime');
