import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/**
 * The frame budget of every connection on this node, in one shared
 * rate-limiter-flexible limiter keyed by connection: `burst` frames per
 * window of `burst / ratePerSecond` seconds, so `ratePerSecond` on average
 * with room for a burst (a fixed window: across a window's edge a client may
 * send up to two bursts). A connection that sent nothing for a window holds
 * no state here, so an idle connection costs nothing. Local to the node: a
 * connection lives on one node, and every frame passes here (no round trip).
 */
export class FrameBudget {
  private readonly limiter: RateLimiterMemory;

  constructor(ratePerSecond: number, burst: number) {
    this.limiter = new RateLimiterMemory({ keyPrefix: 'frames', points: burst, duration: burst / ratePerSecond });
  }

  /** Takes one frame from `connection`'s budget: resolves 0 when allowed, else the seconds until the window resets. */
  take(connection: number): Promise<number> {
    return this.limiter.consume(connection).then(allowed, refused);
  }
}

const allowed = (): number => 0;

function refused(rejection: unknown): number {
  if (rejection instanceof RateLimiterRes) return Math.max(rejection.msBeforeNext, 1) / 1000;
  throw rejection;
}
