import { MODULES } from '../../packages/server/src/modules/index.js';
import { createWireModule } from '../../packages/server/src/modules/wire/wire-module.js';
import { runBenchServer } from '../support/bench-server-process.js';

/**
 * The wire bench's server (see runBenchServer). The UDP per-address limit
 * and the TCP connections-per-IP cap are lifted: every bench datagram and
 * connection comes from 127.0.0.1.
 */
const wire = createWireModule({ limits: { udpRatePerSecond: 1_000_000_000, udpBurst: 1_000_000_000, maxUdpInFlight: 100_000 } });
await runBenchServer('wire', [...MODULES.filter((module) => module.name !== 'wire'), wire], { KAIF_TCP_CONNECTIONS_PER_IP: '100000', KAIF_OPS_PORT: '0' });
