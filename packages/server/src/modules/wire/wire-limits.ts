/**
 * The bounds that keep one client from costing the server more than its
 * share. Defaults suit production; tests and benchmarks pass their own to
 * `createWireModule`.
 */
export interface WireLimits {
  /** Largest TCP packet, and so the most a connection's reader buffers. */
  readonly maxPacketBytes: number;
  /** Replies queued in the kernel and Node beyond this drop the connection: a slow reader is not buffered forever. */
  readonly maxWriteBufferBytes: number;
  /** Decoded packets waiting for their turn beyond this pause reading from the socket. */
  readonly maxQueuedPackets: number;
  /** Sends one connection may have waiting for their Acks; the next packet waits for the oldest. */
  readonly maxSendsInFlight: number;
  /** A connection with no packet for this long is closed. */
  readonly idleTimeoutMs: number;
  /** A connection must authenticate within this long of opening: an idle unauthenticated socket is cheap to open and costly to keep. */
  readonly authTimeoutMs: number;
  /** Open TCP connections one address may hold in this process (`KAIF_TCP_CONNECTIONS_PER_IP`); more are closed at once. */
  readonly maxConnectionsPerIp: number;
  /** Failed `Auth` packets a connection may send before it is closed. */
  readonly maxAuthAttempts: number;
  /** How long shutdown waits for in-flight acks before closing what is left. */
  readonly drainTimeoutMs: number;
  /** Larger datagrams are ignored; a reply never fragments at this size on loopback or a typical path. */
  readonly maxDatagramBytes: number;
  /** Sustained datagrams per second allowed from one source address. */
  readonly udpRatePerSecond: number;
  /** Datagrams one source address may send at once before the rate applies. */
  readonly udpBurst: number;
  /** Datagrams being handled at once; more are dropped. */
  readonly maxUdpInFlight: number;
  /** How long a verified UDP token is trusted without asking identity again: the revocation delay across nodes. */
  readonly udpTokenCacheMs: number;
}

/** The connection cap comes from the configuration. */
export const DEFAULT_WIRE_LIMITS: Omit<WireLimits, 'maxConnectionsPerIp'> = {
  maxPacketBytes: 1024 * 1024,
  maxWriteBufferBytes: 1024 * 1024,
  maxQueuedPackets: 64,
  maxSendsInFlight: 1024,
  idleTimeoutMs: 5 * 60_000,
  authTimeoutMs: 10_000,
  maxAuthAttempts: 3,
  drainTimeoutMs: 5_000,
  maxDatagramBytes: 8 * 1024,
  udpRatePerSecond: 50,
  udpBurst: 100,
  maxUdpInFlight: 1_000,
  udpTokenCacheMs: 5_000,
};
