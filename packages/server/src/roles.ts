/**
 * Which listeners a process opens. Module logic runs wherever it is called;
 * a role only decides what this process serves. Every process serves
 * /health, /ready and /metrics on the HTTP port (and on KAIF_OPS_PORT).
 */
export const ROLES = {
  api: 'HTTP API under /api/v1, OpenAPI docs at /api/docs and the web client at /',
  realtime: 'WebSocket gateway at /ws: live delivery, sync from a cursor, typing and presence',
  wire: 'CosmicProto over TCP (TCP_PORT) and UDP (UDP_PORT)',
  worker: 'Background work: the outbox relay to the bus, push notifications, cleanup jobs',
} as const;

export type RoleName = keyof typeof ROLES;

export const ALL_ROLES = Object.keys(ROLES) as RoleName[];

export type RolesResult = { readonly ok: true; readonly roles: ReadonlySet<RoleName> } | { readonly ok: false; readonly error: string };

/** Parses `--role a,b`; `all` (the default) means every role. */
export function parseRoles(value: string | undefined): RolesResult {
  const names = (value ?? 'all')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  if (names.length === 0 || names.includes('all')) return { ok: true, roles: new Set(ALL_ROLES) };
  const unknown = names.filter((name) => !Object.hasOwn(ROLES, name));
  if (unknown.length > 0) {
    return { ok: false, error: `unknown role ${unknown.join(', ')}; known roles: all, ${ALL_ROLES.join(', ')}` };
  }
  return { ok: true, roles: new Set(names as RoleName[]) };
}
