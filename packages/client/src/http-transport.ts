import type { ErrorCode } from '@kaif/protocol';
import { KaifApiError } from './kaif-api-error.js';
import type { SessionTokens } from './session-tokens.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface RequestOptions {
  readonly body?: unknown;
  readonly query?: Readonly<Record<string, string | number | undefined>>;
  /** Send the access token (default true). */
  readonly auth?: boolean;
}

/**
 * JSON over HTTP with the API's conventions: bearer token, the error shape
 * `{"error": {code, message}}` turned into KaifApiError, and one retry after
 * refreshing when the server says TOKEN_INVALID (the token expired between
 * our check and its).
 */
export class HttpTransport {
  constructor(
    private readonly baseUrl: string,
    private readonly fetcher: FetchLike,
    private readonly tokens: SessionTokens,
  ) {}

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const auth = options.auth ?? true;
    const first = await this.send(method, path, options, auth ? await this.tokens.accessToken() : null);
    if (auth && first.status === 401 && (await this.peekCode(first)) === 'TOKEN_INVALID' && (await this.tokens.tokens())) {
      const refreshed = await this.tokens.refresh().catch(() => null);
      if (refreshed) return this.parse<T>(await this.send(method, path, options, refreshed));
    }
    return this.parse<T>(first);
  }

  private async send(method: string, path: string, options: RequestOptions, token: string | null): Promise<Response> {
    const url = new URL(path, this.baseUrl);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    try {
      return await this.fetcher(url.toString(), {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
    } catch (error) {
      throw new KaifApiError('NETWORK_ERROR', (error as Error).message, 0);
    }
  }

  private async peekCode(response: Response): Promise<string | undefined> {
    try {
      return ((await response.clone().json()) as { error?: { code?: string } }).error?.code;
    } catch {
      return undefined;
    }
  }

  private async parse<T>(response: Response): Promise<T> {
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    if (response.ok) return body as T;
    const error = (body as { error?: { code?: ErrorCode; message?: string; retryAfter?: number; field?: string } } | undefined)?.error;
    const retryHeader = Number(response.headers.get('retry-after'));
    throw new KaifApiError(error?.code ?? 'INTERNAL', error?.message ?? response.statusText, response.status, {
      ...(error?.retryAfter !== undefined ? { retryAfter: error.retryAfter } : Number.isFinite(retryHeader) && retryHeader > 0 ? { retryAfter: retryHeader } : {}),
      ...(error?.field ? { field: error.field } : {}),
    });
  }
}
