import type { UserId } from '@kaif/protocol';
import type { Logger } from '../../platform/logging/logger.js';
import type { MediaApi } from '../media/api.js';
import type { MarketDb } from './market-tables.js';
import type { NftCustody } from './nft-custody.js';
import type { NftMetadataReader } from './nft-metadata.js';

/** What an NFT listing shows of its token beyond chain, contract and id. */
export interface NftDetails {
  /** The token's name in its metadata. */
  readonly name: string | null;
  /** Its description in its metadata (the listing's description when the seller gave none). */
  readonly description: string | null;
  /** Its image, stored as the seller's media (the listing's first photo). */
  readonly imageId: string | null;
}

const NONE: NftDetails = { name: null, description: null, imageId: null };

/**
 * Gathers an NFT's details when it is listed: `tokenURI`, `name()` and
 * `symbol()` from the chain (through the chain's policy), the metadata and
 * its image from wherever the URI points (NftMetadataReader: SSRF-guarded,
 * time- and size-capped), the image stored through the media module as an
 * upload of the seller's (checked by its bytes, cleaned and thumbnailed by
 * the worker; the market's media holder serves it to whoever sees the
 * listing, from our own origin). The collection's name and symbol are kept
 * per contract. Nothing here fails a listing: a token whose metadata or
 * image cannot be read is listed without them, and the reason is logged.
 */
export class NftDetailsGatherer {
  constructor(
    private readonly db: MarketDb,
    private readonly media: MediaApi,
    private readonly reader: NftMetadataReader,
    private readonly logger: Logger,
  ) {}

  async gather(sellerId: UserId, custody: NftCustody, chain: string, contract: string, tokenId: bigint): Promise<NftDetails> {
    const [uri, collection] = await Promise.all([
      custody.tokenUri(chain, contract, tokenId).catch((error: Error) => this.skip('tokenURI', contract, tokenId, error.message)),
      custody.collection(chain, contract).catch((error: Error) => this.skip('name and symbol', contract, tokenId, error.message)),
    ]);
    if (collection) {
      const values = { chain, contract: contract.toLowerCase(), name: collection.name?.slice(0, 140) ?? null, symbol: collection.symbol?.slice(0, 40) ?? null };
      await this.db
        .insertInto('market.nft_collections')
        .values(values)
        .onConflict((conflict) => conflict.columns(['chain', 'contract']).doUpdateSet({ name: values.name, symbol: values.symbol, updated_at: new Date() }))
        .execute();
    }
    if (uri === undefined) return NONE;
    const metadata = await this.reader.read(uri);
    let imageId: string | null = null;
    if (metadata.image) {
      try {
        imageId = (await this.media.storeImage(sellerId, metadata.image, `nft-${tokenId}`)).id;
      } catch (error) {
        this.skip('image', contract, tokenId, (error as Error).message);
      }
    }
    if (metadata.problem) this.skip('metadata', contract, tokenId, metadata.problem);
    return { name: metadata.name ?? null, description: metadata.description ?? null, imageId };
  }

  private skip(what: string, contract: string, tokenId: bigint, why: string): undefined {
    this.logger.warn({ contract, tokenId: tokenId.toString(), why }, `NFT ${what} not read; listed without it`);
    return undefined;
  }
}
