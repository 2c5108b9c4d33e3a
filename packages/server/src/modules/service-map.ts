/**
 * Each module's public interface, by module name. Modules add their entry
 * from their own `api.ts` by declaration merging:
 *
 *   declare module '../service-map.js' { interface ServiceMap { identity: IdentityApi } }
 *
 * so a caller imports an interface, never a module's internals.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging
export interface ServiceMap {}
