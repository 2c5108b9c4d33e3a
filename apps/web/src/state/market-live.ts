import { type Client, createClient } from 'graphql-ws';
import { MarketError } from './market-api.js';

/** What a live marketplace subscription calls. */
export interface LiveHandlers<T> {
  /** One event's data. */
  next(data: T): void;
  /** After each (re)connect: events may have been missed while the socket was down, so re-read what the page shows. */
  resync(): void;
  /** The server refused the subscription or the socket for good (signed out, forbidden): nothing more will come. */
  error(failure: MarketError): void;
}

/**
 * The marketplace's GraphQL subscriptions over one WebSocket to
 * /api/graphql (graphql-transport-ws, the graphql-ws client). The access
 * token goes in `connection_init`, read again at every connect, so a
 * reconnect after the token was refreshed uses the new one. A dropped
 * socket reconnects by itself with randomised exponential backoff; a
 * refusal (4401 signed out, 1008 past a budget) ends the subscriptions
 * with MarketError.
 */
export class MarketLive {
  private client: Client | undefined;
  private readonly resyncs = new Set<() => void>();

  constructor(
    private readonly baseUrl: string,
    private readonly accessToken: () => Promise<string | null>,
  ) {}

  subscribe<T>(query: string, variables: Readonly<Record<string, unknown>>, handlers: LiveHandlers<T>): () => void {
    const resync = () => handlers.resync();
    this.resyncs.add(resync);
    const stop = this.live().subscribe<T>(
      { query, variables: { ...variables } },
      {
        next: (result) => {
          const first = result.errors?.[0];
          if (first) handlers.error(new MarketError(String(first.extensions?.code ?? 'INTERNAL'), first.message));
          else if (result.data) handlers.next(result.data as T);
        },
        error: (failure) => handlers.error(toMarketError(failure)),
        complete: () => undefined,
      },
    );
    return () => {
      this.resyncs.delete(resync);
      stop();
    };
  }

  /** Signed out: the socket closes and nothing reconnects until the next subscription. */
  close(): void {
    void this.client?.dispose();
    this.client = undefined;
  }

  private live(): Client {
    this.client ??= createClient({
      url: new URL('/api/graphql', this.baseUrl.replace(/^http/, 'ws')).toString(),
      connectionParams: async () => {
        const token = await this.accessToken();
        return token ? { authorization: `Bearer ${token}` } : {};
      },
      retryAttempts: Number.POSITIVE_INFINITY,
      on: {
        connected: () => {
          for (const resync of this.resyncs) resync();
        },
      },
    });
    return this.client;
  }
}

function toMarketError(failure: unknown): MarketError {
  if (Array.isArray(failure) && failure.length > 0) {
    const first = failure[0] as { message?: string; extensions?: { code?: string } };
    return new MarketError(first.extensions?.code ?? 'INTERNAL', first.message ?? 'The subscription failed');
  }
  // A close: its reason is the error code the server gave (TOKEN_INVALID, FLOOD_WAIT …).
  const reason = (failure as { reason?: unknown } | null)?.reason;
  return new MarketError(typeof reason === 'string' && /^[A-Z_]+$/.test(reason) ? reason : 'NETWORK_ERROR', 'The live connection to the marketplace closed');
}
