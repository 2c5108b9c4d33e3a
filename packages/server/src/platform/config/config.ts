import { availableParallelism } from 'node:os';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

const Port = (fallback: number, description: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: fallback, description, errorMessage: 'must be a port number from 0 to 65535' });

const Url = (schemes: readonly string[], description: string) =>
  Type.Optional(
    Type.String({
      pattern: `^(${schemes.join('|')})://`,
      description,
      errorMessage: `must be a ${schemes.join(' or ')}:// URL`,
    }),
  );

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every environment variable Kaif Lake reads, with its default. This schema is
 * the single source for validation, for the typed config and for the README
 * table (`kaif config`). Empty strings count as unset.
 */
export const ConfigSchema = Type.Object({
  PORT: Port(3000, 'HTTP API and WebSocket port (0 = any free port)'),
  TCP_PORT: Port(8081, 'CosmicProto TCP port (0 = any free port)'),
  UDP_PORT: Port(8082, 'CosmicProto UDP port (0 = any free port)'),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0', description: 'Address every listener binds' }),
  KAIF_DATA_DIR: Type.String({
    minLength: 1,
    default: './data',
    description: 'Embedded database, blobs and generated keys',
  }),
  DATABASE_URL: Url(['postgres', 'postgresql'], 'PostgreSQL; unset = embedded PGlite in KAIF_DATA_DIR'),
  REDIS_URL: Url(['redis', 'rediss'], 'Redis for presence, rate limits and caches; unset = in-process'),
  KAIF_REDIS_PREFIX: Type.String({
    pattern: '^[A-Za-z0-9_:.-]{1,64}$',
    default: 'kaif:',
    description: 'Prefix of every Redis key, so deployments can share one Redis',
  }),
  NATS_URL: Url(['nats', 'tls'], 'NATS with JetStream for fan-out and durable events; unset = in-process'),
  LOG_LEVEL: Type.Union(
    LOG_LEVELS.map((level) => Type.Literal(level)),
    { default: 'info', description: 'pino log level', errorMessage: `must be one of ${LOG_LEVELS.join(', ')}` },
  ),
  KAIF_SECRET_KEY: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=(,[A-Za-z0-9_-]{1,32}:[A-Za-z0-9+/]{43}=)*$',
      description:
        'At-rest encryption keys as `kid:base64(32 bytes)`, comma-separated, first = current; unset = generated once in KAIF_DATA_DIR',
    }),
  ),
  KAIF_ALLOWED_ORIGINS: Type.Optional(
    Type.String({ description: 'Comma-separated browser origins allowed on /ws; unset = the server’s own origin' }),
  ),
  KAIF_WORKERS: Type.Integer({
    errorMessage: 'must be a whole number from 1 to 256',
    minimum: 1,
    maximum: 256,
    default: availableParallelism(),
    description: 'Worker processes sharing the realtime/wire ports (default: number of cores)',
  }),
  KAIF_BODY_LIMIT: Type.Integer({ minimum: 1024, default: 1_048_576, description: 'Largest HTTP body in bytes' }),
  KAIF_DB_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 500, default: 10, description: 'PostgreSQL pool size' }),
  KAIF_SHUTDOWN_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 8000,
    description: 'How long a graceful shutdown may drain before closing',
  }),
  KAIF_ACCESS_TOKEN_TTL: Type.Integer({
    minimum: 30,
    maximum: 900,
    default: 900,
    description: 'Access token lifetime in seconds (at most 15 minutes)',
  }),
  KAIF_RATE_LIMIT_PER_MINUTE: Type.Integer({
    minimum: 1,
    default: 600,
    description: 'Requests per minute per user on every transport (API requests, WebSocket sends, TCP/UDP packets), cluster-wide; 5x that per IP',
  }),
  KAIF_TCP_CONNECTIONS_PER_IP: Type.Integer({
    minimum: 1,
    default: 128,
    description: 'Open CosmicProto TCP connections one IP may hold per process; more are closed at once',
  }),
  KAIF_CONNECTION_FRAMES_PER_SECOND: Type.Integer({
    minimum: 1,
    maximum: 1_000_000,
    default: 30,
    description: 'Frames per second one WebSocket connection may send, burst twice that; raise for bots and bridges',
  }),
  KAIF_DEPENDENCY_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 10_000,
    description: 'Each call to PostgreSQL, Redis or NATS is abandoned after this long',
  }),
  KAIF_BREAKER_FAILURES: Type.Integer({
    minimum: 1,
    default: 10,
    description: 'Consecutive failures of a dependency that open its circuit breaker',
  }),
  KAIF_BREAKER_HALF_OPEN_MS: Type.Integer({
    minimum: 100,
    default: 5000,
    description: 'How long an open breaker fails fast before letting a trial call through',
  }),
  KAIF_TRUST_PROXY: Type.Boolean({
    default: false,
    description: 'Take the client IP from X-Forwarded-For (only behind a proxy that sets it)',
  }),
  KAIF_SEND_BATCH_MAX: Type.Integer({
    minimum: 1,
    maximum: 4096,
    default: 512,
    description: 'Most log appends (sends, edits, deletes, read markers, member changes) committed in one transaction (group commit)',
  }),
  KAIF_SEND_BATCH_WINDOW_MS: Type.Integer({
    minimum: 0,
    maximum: 100,
    default: 0,
    description: 'How long an idle batch lane waits for more log appends before committing (0 = next event-loop turn)',
  }),
  KAIF_SEND_MAX_DELIVERY_LAG_MS: Type.Integer({
    minimum: 50,
    default: 1000,
    description: 'New log appends are refused as at capacity while the outbox relay trails the commits by more than this (live delivery lag)',
  }),
  KAIF_PUBLIC_URL: Url(
    ['http', 'https'],
    'The address browsers reach this server at, for sign-in provider callbacks; unset = taken from each request',
  ),
  KAIF_OAUTH_PROVIDERS: Type.Optional(
    Type.String({
      description:
        'Sign-in providers as a JSON array of {id, name, kind: "oidc"|"github"|"vk", issuer (oidc), clientId, clientSecret}; unset = none (see the identity README)',
    }),
  ),
  KAIF_S3_URL: Url(['http', 'https'], 'S3-compatible object storage for media (path-style); unset = files in KAIF_DATA_DIR/blobs'),
  KAIF_S3_BUCKET: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$', default: 'kaif-media', description: 'Bucket for media (created at start if missing)' }),
  KAIF_S3_REGION: Type.String({ minLength: 1, default: 'us-east-1', description: 'Region to sign S3 requests for' }),
  KAIF_S3_ACCESS_KEY_ID: Type.Optional(Type.String({ minLength: 1, description: 'S3 access key id; required with KAIF_S3_URL' })),
  KAIF_S3_SECRET_ACCESS_KEY: Type.Optional(Type.String({ minLength: 1, description: 'S3 secret access key; required with KAIF_S3_URL' })),
  KAIF_MEDIA_MAX_BYTES: Type.Integer({
    minimum: 1024,
    default: 104_857_600,
    description: 'Largest media upload in bytes (photos are further held to 20 MiB)',
  }),
  KAIF_MEDIA_MAX_DURATION_SECONDS: Type.Integer({
    minimum: 1,
    default: 10_800,
    description: 'Longest video or audio upload in seconds',
  }),
  KAIF_MEDIA_QUOTA_BYTES: Type.Integer({
    minimum: 1024,
    default: 10_737_418_240,
    description: 'Media bytes one user may have stored at once',
  }),
  KAIF_MEDIA_UPLOADS_PER_MINUTE: Type.Integer({
    minimum: 1,
    default: 30,
    description: 'Media uploads one user may start per minute, cluster-wide',
  }),
  KAIF_WEB_DIR: Type.Optional(Type.String({ description: 'Built web client to serve at /; unset = apps/web/dist' })),
  KAIF_OPS_PORT: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 65535,
      description: 'Operations port serving /metrics and the detailed /health without login; unset = no such listener',
      errorMessage: 'must be a port number from 0 to 65535',
    }),
  ),
  KAIF_OPS_HOST: Type.String({
    minLength: 1,
    default: '127.0.0.1',
    description: 'Address the operations port binds (keep it private: it needs no login)',
  }),
  KAIF_VAPID_PUBLIC_KEY: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]{87}$',
      description: 'Web Push VAPID public key (base64url P-256 point); unset = generated once and kept sealed in the database',
      errorMessage: 'must be a base64url P-256 public key (87 characters)',
    }),
  ),
  KAIF_VAPID_PRIVATE_KEY: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z0-9_-]{43}$',
      description: 'Web Push VAPID private key (base64url, 32 bytes), set together with KAIF_VAPID_PUBLIC_KEY',
      errorMessage: 'must be a base64url P-256 private key (43 characters)',
    }),
  ),
  KAIF_VAPID_SUBJECT: Type.String({
    pattern: '^(mailto:|https://)',
    default: 'mailto:push@kaif-lake.invalid',
    description: 'Contact push services see in the VAPID token (mailto: or https:); set it to yours',
    errorMessage: 'must start with mailto: or https://',
  }),
  KAIF_PUSH_ALLOW_PRIVATE_HOSTS: Type.Boolean({
    default: false,
    description: 'Accept push endpoints on private, loopback and link-local hosts and over http (development and tests only)',
  }),
  KAIF_PUSH_ALLOW_ORIGINS: Type.Optional(
    Type.String({
      pattern: '^https?://[^,\\s/]+(,https?://[^,\\s/]+)*$',
      description: 'Comma-separated push-service origins accepted whatever their address (a local push service for development); every other endpoint stays under the rules',
      errorMessage: 'must be comma-separated origins such as http://127.0.0.1:8090',
    }),
  ),
  KAIF_PUSH_SENDER_THREADS: Type.Integer({
    minimum: 0,
    maximum: 16,
    default: 1,
    description: 'Threads that encrypt and send Web Push (niced, off the event loop that accepts sends); 0 = on the event loop',
    errorMessage: 'must be a whole number from 0 to 16',
  }),
  KAIF_PUSH_MAX_PER_SECOND: Type.Integer({
    minimum: 0,
    maximum: 100000,
    default: 0,
    description: 'Web Push notifications one node sends per second at most, so push work yields the CPU to sends (busy chats then fold more into each notification and reach their last device later than 2 s); 0 = no cap',
    errorMessage: 'must be a whole number from 0 to 100000',
  }),
  KAIF_WALLET_ASSETS: Type.String({
    pattern: '^[A-Z][A-Z0-9]{1,11}(,[A-Z][A-Z0-9]{1,11})*$',
    default: 'ETH,TON',
    description: 'Wallet assets users hold, comma-separated codes: ETH, BNB (BSC, chain id 56), TON, or an EVM asset from KAIF_WALLET_EVM_ASSETS',
    errorMessage: 'must be comma-separated asset codes such as ETH,TON',
  }),
  KAIF_WALLET_EVM_ASSETS: Type.Optional(
    Type.String({
      description:
        'More EVM chains (or another chain id for ETH/BNB, e.g. a local node) as a JSON array of {asset, chainId, decimals?, name?}; unset = ETH on chain 1, BNB on chain 56',
    }),
  ),
  KAIF_WALLET_TRADE_TIMEOUT_SECONDS: Type.Integer({
    minimum: 1,
    default: 86_400,
    description: 'How long a taken P2P trade may wait for the seller to confirm payment before its escrow is refunded to the seller',
  }),
  KAIF_WALLET_RPC_URLS: Type.Optional(
    Type.String({
      pattern: '^[A-Z][A-Z0-9]{1,11}=https?://[^,\\s]+(,[A-Z][A-Z0-9]{1,11}=https?://[^,\\s]+)*$',
      description:
        'Chain endpoints per asset as ASSET=url, comma-separated: EVM JSON-RPC (ETH=https://…, BNB=https://bsc-dataseed.bnbchain.org), TON toncenter v2 (TON=https://toncenter.com/api/v2/jsonRPC); an asset without one has no deposits or withdrawals',
      errorMessage: 'must be ASSET=http(s)://url pairs, comma-separated',
    }),
  ),
  KAIF_WALLET_CONFIRMATIONS: Type.String({
    pattern: '^[0-9]{1,4}(,[A-Z][A-Z0-9]{1,11}=[0-9]{1,4})*$',
    default: '12',
    description: 'Blocks (the deposit’s included) before a deposit is credited and a withdrawal settled: a default, then ASSET=n overrides (e.g. 12,BNB=15,TON=1)',
    errorMessage: 'must be a number, then optional ASSET=number overrides, comma-separated',
  }),
  KAIF_WALLET_CHAIN_POLL_MS: Type.Integer({
    minimum: 50,
    default: 4000,
    description: 'How often the worker scans each chain for deposits and advances withdrawals',
  }),
  KAIF_WALLET_STUCK_AFTER_MS: Type.Integer({
    minimum: 100,
    default: 180_000,
    description: 'A withdrawal transaction not mined after this long is replaced (same nonce, higher fee, up to the fee the user was charged)',
  }),
  KAIF_WALLET_WITHDRAWAL_DAILY_LIMITS: Type.Optional(
    Type.String({
      pattern: '^[A-Z][A-Z0-9]{1,11}=[0-9]{1,78}(,[A-Z][A-Z0-9]{1,11}=[0-9]{1,78})*$',
      description: 'Most one user may withdraw per asset in 24 hours, in smallest units, as ASSET=amount pairs (e.g. ETH=5000000000000000000); an asset not listed has no limit',
      errorMessage: 'must be ASSET=amount pairs in smallest units, comma-separated',
    }),
  ),
  KAIF_MARKET_SHIP_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 7 * 24 * 3600_000,
    description: 'How long a seller has to ship a paid order before the buyer is refunded (milliseconds)',
  }),
  KAIF_MARKET_RECEIPT_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 14 * 24 * 3600_000,
    description: 'How long a buyer has to confirm receipt of a shipped order before the seller is paid anyway (milliseconds)',
  }),
  KAIF_MARKET_SAGA_POLL_MS: Type.Integer({
    minimum: 10,
    default: 1000,
    description: 'How often the worker role looks for orders whose saga has work due (milliseconds)',
  }),
  KAIF_MARKET_SAGA_LEASE_MS: Type.Integer({
    minimum: 10,
    default: 30_000,
    description: 'How long one process drives an order before another may take over from it (milliseconds)',
  }),
  KAIF_MARKET_GRAPHQL_MAX_DEPTH: Type.Integer({
    minimum: 2,
    default: 8,
    description: 'Deepest GraphQL query /api/graphql runs',
  }),
  KAIF_MARKET_GRAPHQL_MAX_COMPLEXITY: Type.Integer({
    minimum: 10,
    default: 5000,
    description: 'Most fields (counted over list sizes) one GraphQL query may resolve',
  }),
  KAIF_MARKET_IPFS_GATEWAY: Type.String({
    pattern: '^https?://[^\\s]+/$',
    default: 'https://ipfs.io/ipfs/',
    description: 'HTTP gateway that NFT metadata and images at ipfs:// addresses are fetched through (the CID and path are appended)',
  }),
  KAIF_MARKET_NFT_ALLOW_PRIVATE_HOSTS: Type.Boolean({
    default: false,
    description: 'Fetch NFT metadata and images from private, loopback and link-local hosts and over http (development and tests only)',
  }),
  KAIF_MARKET_NFT_FETCH_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 5000,
    description: 'How long one fetch of NFT metadata or an NFT image may take (milliseconds)',
  }),
});

export type Config = Static<typeof ConfigSchema>;

export type ConfigResult = { readonly ok: true; readonly config: Config } | { readonly ok: false; readonly errors: readonly string[] };

/** Validates the environment and reports every bad variable at once. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ConfigResult {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== '') raw[key] = value.trim();
  }
  const withDefaults = Value.Default(ConfigSchema, raw);
  const converted = Value.Convert(ConfigSchema, withDefaults);
  const errors = [...Value.Errors(ConfigSchema, converted)].map((error) => {
    const name = error.path.replace(/^\//, '');
    const given = raw[name] === undefined ? '' : ` (got ${JSON.stringify(redactIfSecret(name, raw[name]))})`;
    const hint = (error.schema as { errorMessage?: string }).errorMessage ?? describe(error.message);
    return `CONFIG ERROR: ${name} ${hint}${given}`;
  });
  errors.push(...combinationErrors(raw));
  if (errors.length > 0) return { ok: false, errors: [...new Set(errors)] };
  return { ok: true, config: converted as Config };
}

/**
 * Rules across variables. Every node on one PostgreSQL database must open
 * what the others sealed, so a generated per-node key (the embedded default)
 * cannot work there. S3 needs credentials: the SDK's own fallbacks (instance
 * metadata, ~/.aws) would make a node's behaviour depend on its host.
 */
function combinationErrors(raw: Readonly<Record<string, unknown>>): string[] {
  const errors: string[] = [];
  if (raw.DATABASE_URL !== undefined && raw.KAIF_SECRET_KEY === undefined) {
    errors.push('CONFIG ERROR: KAIF_SECRET_KEY must be set when DATABASE_URL is: every node on one database needs the same key');
  }
  if ((raw.KAIF_VAPID_PUBLIC_KEY === undefined) !== (raw.KAIF_VAPID_PRIVATE_KEY === undefined)) {
    errors.push('CONFIG ERROR: KAIF_VAPID_PUBLIC_KEY and KAIF_VAPID_PRIVATE_KEY must be set together');
  }
  if (raw.KAIF_S3_URL !== undefined && (raw.KAIF_S3_ACCESS_KEY_ID === undefined || raw.KAIF_S3_SECRET_ACCESS_KEY === undefined)) {
    errors.push('CONFIG ERROR: KAIF_S3_ACCESS_KEY_ID and KAIF_S3_SECRET_ACCESS_KEY must be set when KAIF_S3_URL is');
  }
  return errors;
}

/**
 * A start-up check found the deployment unfit (a key or a bus missing for
 * what the database holds). `kaif start` prints its lines and exits 78, like
 * a bad variable.
 */
export class ConfigError extends Error {
  constructor(readonly lines: readonly string[]) {
    super(lines.join('\n'));
    this.name = 'ConfigError';
  }
}

function redactIfSecret(name: string, value: unknown): unknown {
  // Provider settings carry client secrets.
  return /SECRET|PASSWORD|TOKEN|KEY|PROVIDERS/.test(name) ? '<redacted>' : value;
}

function describe(message: string): string {
  return message.replace(/^Expected /, 'must be ').toLowerCase();
}
