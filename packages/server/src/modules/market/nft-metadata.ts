import { Agent, fetch as fetchData, request } from 'undici';
import type { EndpointGuard } from '../../platform/http/endpoint-guard.js';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { DependencyPolicy } from '../../platform/resilience/dependency-policy.js';

/** ERC-721 metadata JSON is small; more than this is not metadata. */
export const MAX_METADATA_BYTES = 256 * 1024;
/** An NFT image larger than this is not fetched (the media module holds photos to 20 MiB; a listing needs far less). */
export const MAX_NFT_IMAGE_BYTES = 10 * 1024 * 1024;
const MAX_TEXT = { name: 140, description: 10_000 } as const;

/** What a listing takes from a token's metadata: each part undefined when missing or unreadable. */
export interface NftMetadata {
  readonly name?: string;
  readonly description?: string;
  /** The image's bytes, not yet checked as an image (the media module does that). */
  readonly image?: Uint8Array;
  /** Why the metadata or its image could not be read, in words, for the log; undefined when all went well. */
  readonly problem?: string;
}

export interface NftMetadataOptions {
  /** `https://ipfs.io/ipfs/`: `ipfs://<cid>/<path>` is fetched as the gateway + `<cid>/<path>`. */
  readonly ipfsGateway: string;
  /** Each fetch's own deadline (headers and body), under the policy's. */
  readonly timeoutMs: number;
}

/** An answer that says the file is not usable (not found, redirected, too large): not an outage, so neither retried nor counted toward the breaker. */
const unreadable = (why: string) => new KaifError('VALIDATION_FAILED', why);

/**
 * Reads an ERC-721 token's metadata (EIP-721 metadata JSON: `name`,
 * `description`, `image`) and its image from a `tokenURI`. Schemes:
 * `data:` (JSON, or the image, inline: base64 or percent-encoded),
 * `ipfs://` through the configured HTTP gateway, and `https://` (`http://`
 * only where the guard allows private hosts). Every fetch over the network
 * goes through the SSRF guard (public addresses only; the socket connects
 * only to an address the guard checked, so DNS rebinding is checked too),
 * is never redirected (a 3xx is a failure), runs under the
 * `market-nft-metadata` resilience policy (timeout, breaker, bulkhead), and
 * stops reading past its size cap. Nothing here throws: whatever fails
 * leaves that part out and says why in `problem`.
 */
export class NftMetadataReader {
  private readonly agent: Agent;

  constructor(
    private readonly guard: EndpointGuard,
    private readonly policy: DependencyPolicy,
    private readonly options: NftMetadataOptions,
  ) {
    this.agent = new Agent({ connect: { lookup: guard.socketLookup, timeout: options.timeoutMs }, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, connections: 8 });
  }

  async read(tokenUri: string | undefined): Promise<NftMetadata> {
    if (!tokenUri) return { problem: 'the token has no tokenURI' };
    let json: unknown;
    try {
      const bytes = await this.fetch(tokenUri, MAX_METADATA_BYTES);
      json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (error) {
      return { problem: `metadata: ${reason(error)}` };
    }
    if (typeof json !== 'object' || json === null) return { problem: 'metadata: not a JSON object' };
    const record = json as Record<string, unknown>;
    const name = clean(record.name, MAX_TEXT.name);
    const description = clean(record.description, MAX_TEXT.description);
    const text = { ...(name ? { name } : {}), ...(description ? { description } : {}) };
    if (typeof record.image !== 'string' || record.image.trim() === '') return { ...text, problem: 'metadata has no image' };
    try {
      return { ...text, image: await this.fetch(record.image.trim(), MAX_NFT_IMAGE_BYTES) };
    } catch (error) {
      return { ...text, problem: `image: ${reason(error)}` };
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /** The bytes at a metadata or image URI, at most `maxBytes`. */
  private async fetch(uri: string, maxBytes: number): Promise<Uint8Array> {
    if (/^data:/i.test(uri)) {
      // A data: URI is read locally (undici's fetch decodes it): no network, only the size cap.
      if (uri.length > maxBytes * 1.4 + 256) throw unreadable('too large');
      const response = await fetchData(uri);
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (bytes.length > maxBytes) throw unreadable('too large');
      return bytes;
    }
    const url = await this.guard.check(this.httpUrl(uri));
    return this.policy.execute(async (signal) => {
      const response = await request(url, { dispatcher: this.agent, signal, headers: { accept: 'application/json, image/*;q=0.9, */*;q=0.5' } });
      if (response.statusCode !== 200) {
        await response.body.dump();
        // A 5xx is the host failing: retried, and it counts toward the breaker.
        if (response.statusCode >= 500) throw new Error(`answered ${response.statusCode}`);
        throw unreadable(`answered ${response.statusCode}`);
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        await response.body.dump();
        throw unreadable('too large');
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        size += (chunk as Buffer).length;
        if (size > maxBytes) {
          response.body.destroy();
          throw unreadable('too large');
        }
        chunks.push(chunk as Buffer);
      }
      return new Uint8Array(Buffer.concat(chunks));
    }, { idempotent: true });
  }

  /** `ipfs://<cid>/<path>` (or `ipfs://ipfs/<cid>/…`) through the gateway; any other scheme is the guard's to judge. */
  private httpUrl(uri: string): string {
    const ipfs = /^ipfs:\/\/(?:ipfs\/)?(.+)$/i.exec(uri);
    if (!ipfs) return uri;
    const path = ipfs[1]!;
    if (!/^[A-Za-z0-9]+(\/[A-Za-z0-9._~%!$&'()*+,;=:@-]*)*$/.test(path)) throw unreadable('not an IPFS path');
    return `${this.options.ipfsGateway}${path}`;
  }
}

/** Text from the metadata: trimmed, without control characters, at most `max` characters; undefined when none is left. */
function clean(value: unknown, max: number): string | undefined {
  if (typeof value !== 'string') return undefined;
  const text = [...value.normalize('NFC').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').trim()].slice(0, max).join('');
  return text === '' ? undefined : text;
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 200);
