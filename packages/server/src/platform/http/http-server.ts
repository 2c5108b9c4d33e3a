import { randomUUID } from 'node:crypto';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { SAFE_TEXT_FORMAT, UNSAFE_TEXT_REASON, isSafeText } from '@kaif/protocol';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, LogController } from 'fastify';
import { Histogram, type Registry } from 'prom-client';
import type { Logger } from '../logging/logger.js';
import { KaifError } from './kaif-error.js';
import { allowInlineStyles, registerSecurityHeaders } from './security-headers.js';

export type HttpServer = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface HttpServerOptions {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly bodyLimit: number;
  readonly version: string;
  readonly trustProxy: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Fastify with the house conventions: `x-request-id` on every response
 * (echoed when the client sent a sane one), one error shape, coded 404s, a
 * body limit, request metrics and the OpenAPI document built from the route
 * schemas, security headers (security-headers.ts) and cookie parsing.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const app = Fastify({
    loggerInstance: options.logger as FastifyBaseLogger,
    bodyLimit: options.bodyLimit,
    // One line per request is written by the onResponse hook below.
    logController: new LogController({ disableRequestLogging: true }),
    // Off unless a proxy in front sets X-Forwarded-For: otherwise any
    // client could pick its own IP and dodge per-IP flood limits.
    trustProxy: options.trustProxy,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Responses with anyOf (nullable objects) are serialized through an Ajv
    // of fast-json-stringify's own, which must know the format too.
    serializerOpts: { ajv: { formats: { [SAFE_TEXT_FORMAT]: { type: 'string', validate: isSafeText } } } },
    ajv: {
      customOptions: {
        removeAdditional: false,
        coerceTypes: 'array',
        useDefaults: true,
        allErrors: false,
        // The same check WebSocket frames and wire packets get from TypeBox.
        formats: { [SAFE_TEXT_FORMAT]: { type: 'string', validate: isSafeText } },
      },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorateRequest('principal', undefined);

  // While the server drains, a response that finishes on a keep-alive
  // connection closes it: Fastify closes only the connections idle when
  // close() began, so one busy then would otherwise hold the shutdown until
  // its keep-alive timeout (72 s).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });

  const duration = new Histogram({
    name: 'kaif_http_request_duration_seconds',
    help: 'HTTP requests by route, method and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [options.registry],
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    duration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    const level = reply.statusCode >= 500 ? 'error' : 'info';
    request.log[level](
      {
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        userId: request.principal?.userId,
      },
      'request',
    );
  });

  app.setErrorHandler((error: FastifyError | KaifError, request, reply) => {
    const kaif = toKaifError(error);
    if (kaif.status >= 500 && !(error instanceof KaifError)) {
      request.log.error({ err: error }, 'unhandled error');
    }
    if (kaif.retryAfter !== undefined) reply.header('retry-after', String(kaif.retryAfter));
    return reply.status(kaif.status).send({ error: kaif.toPayload() });
  });

  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send({ error: new KaifError('ROUTE_NOT_FOUND', `No endpoint ${request.method} ${request.url.split('?')[0]}`).toPayload() }),
  );

  await registerSecurityHeaders(app);
  // Parses the Cookie header; only the web client's refresh cookie is read.
  await app.register(cookie);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Kaif Lake API', version: options.version },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs', transformStaticCSP: allowInlineStyles });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return app;
}

function toKaifError(error: FastifyError | KaifError): KaifError {
  if (error instanceof KaifError) return error;
  if (error.validation && error.validation.length > 0) {
    const first = error.validation[0]!;
    const missing = (first.params as { missingProperty?: string } | undefined)?.missingProperty;
    const path = [error.validationContext, ...first.instancePath.split('/').filter(Boolean), ...(missing ? [missing] : [])]
      .filter(Boolean)
      .join('.');
    const field = path.replace(/^(body|querystring|params|headers)\.?/, '') || (error.validationContext ?? 'body');
    const unsafe = first.keyword === 'format' && (first.params as { format?: string }).format === SAFE_TEXT_FORMAT;
    const reason = unsafe ? UNSAFE_TEXT_REASON : (first.message ?? 'is invalid');
    return new KaifError('VALIDATION_FAILED', `${field} ${reason}`, { field });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new KaifError('PAYLOAD_TOO_LARGE');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new KaifError('UNSUPPORTED_MEDIA_TYPE');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new KaifError('VALIDATION_FAILED', 'body must be a JSON object', { field: 'body' });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new KaifError('VALIDATION_FAILED', 'body is not valid JSON', { field: 'body' });
  }
  if (error.statusCode === 400 || (error as { type?: string }).type === 'entity.parse.failed' || error instanceof SyntaxError) {
    return new KaifError('VALIDATION_FAILED', 'body is not valid JSON', { field: 'body' });
  }
  if (error.statusCode === 413) return new KaifError('PAYLOAD_TOO_LARGE');
  if (error.statusCode === 415) return new KaifError('UNSUPPORTED_MEDIA_TYPE');
  return new KaifError('INTERNAL');
}
