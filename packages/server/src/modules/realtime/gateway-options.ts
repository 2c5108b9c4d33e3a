import { MAX_CLIENT_FRAME_BYTES, TYPING_EXPIRES_MS, TYPING_THROTTLE_MS } from '@kaif/protocol';

/** The gateway's limits and timings; tests shorten them. */
export interface GatewayOptions {
  /** WebSocket ping interval; a peer that has not answered the previous ping is dropped. */
  readonly heartbeatMs: number;
  /** How long a new socket may take to send its auth frame. */
  readonly authTimeoutMs: number;
  readonly maxFrameBytes: number;
  /** Above this many unsent bytes the client is a slow consumer and is disconnected (1013). */
  readonly maxBufferedBytes: number;
  /** Token bucket per connection: sustained frames per second and burst (KAIF_CONNECTION_FRAMES_PER_SECOND, twice that). */
  readonly framesPerSecond: number;
  readonly frameBurst: number;
  /** At most one typing announcement per user and chat in this window. */
  readonly typingThrottleMs: number;
  /** How long a client shows a typing indicator unless renewed. */
  readonly typingExpiresMs: number;
  /** A user counts as online while some node refreshed their key within this time. */
  readonly presenceTtlMs: number;
  /** Events per changesSince call while replaying. */
  readonly replayPageSize: number;
}

export const DEFAULT_GATEWAY_OPTIONS: GatewayOptions = {
  heartbeatMs: 25_000,
  authTimeoutMs: 10_000,
  maxFrameBytes: MAX_CLIENT_FRAME_BYTES,
  maxBufferedBytes: 1024 * 1024,
  framesPerSecond: 30,
  frameBurst: 60,
  typingThrottleMs: TYPING_THROTTLE_MS,
  typingExpiresMs: TYPING_EXPIRES_MS,
  presenceTtlMs: 60_000,
  replayPageSize: 200,
};
