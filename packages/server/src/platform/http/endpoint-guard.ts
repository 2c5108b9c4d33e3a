import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/** How the guard resolves a host name: every address, as `dns.lookup(host, {all: true})` gives them. */
export type ResolveAll = (hostname: string) => Promise<readonly LookupAddress[]>;

/** The `lookup` a socket calls to connect (net.connect / tls.connect); undici passes it through. */
export type SocketLookup = (
  hostname: string,
  options: { readonly all?: boolean; readonly family?: number | string },
  callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void,
) => void;

const resolveWithDns: ResolveAll = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

/** The error a refused URL throws, with the reason in words (each user of the guard has its own code). */
export type Refusal = (why: string) => Error;

/**
 * Server-side request forgery rules for URLs a client chose and the server
 * will fetch (push endpoints, NFT metadata and images). By default
 * only `https` URLs on public hosts pass. An address is public when
 * ipaddr.js puts it in the `unicast` range: loopback, private (RFC 1918,
 * ULA), link-local (which holds the cloud metadata address 169.254.169.254),
 * carrier-grade NAT, unspecified, multicast, reserved and translation ranges
 * are all refused; an IPv4-mapped IPv6 address is judged as its IPv4 address.
 *
 * A host name is judged by every address it resolves to (one private
 * address refuses it), and the connection is pinned to an address the
 * guard checked: `socketLookup` is the lookup the HTTP client's sockets use,
 * so a DNS answer that changes between the check and the connection (DNS
 * rebinding) is checked again, not trusted. Redirects are never followed
 * (the sender treats a 3xx as a failed delivery).
 *
 * `allowPrivate` (KAIF_PUSH_ALLOW_PRIVATE_HOSTS,
 * KAIF_MARKET_NFT_ALLOW_PRIVATE_HOSTS: development and tests) lifts the
 * address rules and allows `http`. `allowOrigins` (KAIF_PUSH_ALLOW_ORIGINS)
 * is the narrow form: only those exact origins
 * (`http://127.0.0.1:8090`, a local push service) pass whatever their scheme
 * and address, every other endpoint stays under the rules; at connection
 * time their host names are exempt from the address check (the socket's
 * lookup sees no port).
 */
export class EndpointGuard {
  private readonly allowedOrigins: ReadonlySet<string>;
  private readonly allowedHosts: ReadonlySet<string>;

  constructor(
    private readonly allowPrivate: boolean,
    private readonly resolveAll: ResolveAll = resolveWithDns,
    allowOrigins: readonly string[] = [],
    private readonly refused: Refusal = (why) => new Error(`This address is not allowed: ${why}`),
  ) {
    const origins = allowOrigins.map((origin) => new URL(origin));
    this.allowedOrigins = new Set(origins.map((url) => url.origin));
    this.allowedHosts = new Set(origins.map((url) => bareHost(url.hostname)));
  }

  /** Checks the URL and, for a host name, every address it resolves to now. Throws the refusal. */
  async check(endpoint: string): Promise<URL> {
    const url = this.checkUrl(endpoint);
    const host = bareHost(url.hostname);
    if (isIP(host) === 0 && !this.allowedOrigins.has(url.origin)) await this.addressesOf(host);
    return url;
  }

  /** The checks that need no DNS: scheme, credentials, and an IP literal's range. Throws the refusal. */
  checkUrl(endpoint: string): URL {
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw this.refused('not a URL');
    }
    if (this.allowedOrigins.has(url.origin) && url.username === '' && url.password === '') return url;
    if (url.protocol !== 'https:' && !(this.allowPrivate && url.protocol === 'http:')) throw this.refused('it must use https');
    if (url.username !== '' || url.password !== '') throw this.refused('it must not carry credentials');
    const host = bareHost(url.hostname);
    if (isIP(host) !== 0) this.checkAddress(host);
    return url;
  }

  /** The lookup for the HTTP client's sockets: resolves, checks every address, connects only to a checked one. */
  readonly socketLookup: SocketLookup = (hostname, options, callback) => {
    this.addressesOf(hostname, this.allowedHosts.has(hostname)).then(
      (addresses) => {
        const wanted = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
        const usable = wanted === 0 ? addresses : addresses.filter((address) => address.family === wanted);
        if (usable.length === 0) return callback(this.refused(`${hostname} has no usable address`), '', 0);
        if (options.all) return callback(null, [...usable]);
        return callback(null, usable[0]!.address, usable[0]!.family);
      },
      (error: Error) => callback(error, '', 0),
    );
  };

  private async addressesOf(hostname: string, exempt = false): Promise<readonly LookupAddress[]> {
    let addresses: readonly LookupAddress[];
    try {
      addresses = await this.resolveAll(hostname);
    } catch {
      throw this.refused(`${hostname} does not resolve`);
    }
    if (addresses.length === 0) throw this.refused(`${hostname} does not resolve`);
    if (!exempt) for (const address of addresses) this.checkAddress(address.address, hostname);
    return addresses;
  }

  private checkAddress(address: string, hostname = address): void {
    if (this.allowPrivate) return;
    const range = ipaddr.process(address).range();
    if (range !== 'unicast') throw this.refused(`${hostname} is not a public address (${range})`);
  }
}

/** `[::1]` → `::1`: URL keeps the brackets of an IPv6 literal. */
function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}
