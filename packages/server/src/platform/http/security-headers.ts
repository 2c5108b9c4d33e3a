import helmet from '@fastify/helmet';
import type { HttpServer } from './http-server.js';

/**
 * The Content-Security-Policy of everything the server sends, the web client
 * first: scripts, styles and connections only from this origin (`'self'`
 * also covers ws:/wss: to it, CSP Level 3), images also as data: URLs (the
 * 2FA QR code, media placeholders) and blob: URLs (media the client fetched
 * with its token), video and audio from blob: URLs too, no inline script, no plugins, and no framing (clickjacking).
 * The Vite build is one module script and one stylesheet, so it runs
 * unchanged under this policy.
 */
const CONTENT_SECURITY_POLICY = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'"],
    scriptSrcAttr: ["'none'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    mediaSrc: ["'self'", 'blob:'],
    fontSrc: ["'self'"],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  },
};

/**
 * Security headers on every response (helmet): the CSP above, `nosniff`,
 * `X-Frame-Options: DENY` for browsers without frame-ancestors, and
 * `Referrer-Policy: no-referrer`, so chat URLs never leak to other sites.
 * `upgrade-insecure-requests` is left out: a server on plain http (a LAN,
 * localhost) would send its own assets to an https port it does not open.
 * HSTS does not cover subdomains, which a self-hosted server does not own.
 */
export async function registerSecurityHeaders(app: HttpServer): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false },
  });
}

/**
 * The API explorer (/api/docs, Swagger UI) sets inline styles; it holds no
 * session and shows only the public OpenAPI document, so its pages alone
 * allow them.
 */
export function allowInlineStyles(policy: string): string {
  return policy.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");
}
