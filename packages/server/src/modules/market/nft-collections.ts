import { KaifError } from '../../platform/http/kaif-error.js';
import type { ListingRow } from './listing-service.js';
import type { MarketDb } from './market-tables.js';

export interface CollectionPage {
  readonly chain: string;
  readonly contract: string;
  readonly name: string | null;
  readonly symbol: string | null;
  /** Approved NFT listings of the contract, by token id. */
  readonly listings: readonly ListingRow[];
  /** Pass as `after` for the next page; null on the last. */
  readonly nextCursor: string | null;
}

const CONTRACT = /^0x[0-9a-fA-F]{40}$/;
const CURSOR = /^(0|[1-9][0-9]{0,77}):([0-9a-f-]{36})$/;

/**
 * A collection page: one ERC-721 contract on one chain, its name and
 * symbol (read from the chain when one of its tokens was last listed;
 * null before that or when it has none) and its approved listings in token
 * id order, paged by an opaque keyset cursor (token id, listing id) over
 * the partial index `listings_nft_collection`, never an offset.
 */
export async function collectionPage(db: MarketDb, chain: string, contract: string, limit: number, after: string | null | undefined): Promise<CollectionPage> {
  if (!CONTRACT.test(contract)) throw new KaifError('VALIDATION_FAILED', 'contract is a 0x address', { field: 'contract' });
  const address = contract.toLowerCase();
  let from: RegExpExecArray | null = null;
  if (after) {
    from = CURSOR.exec(Buffer.from(after, 'base64url').toString('utf8'));
    if (!from) throw new KaifError('VALIDATION_FAILED', 'after is a cursor from a previous page', { field: 'after' });
  }
  let query = db
    .selectFrom('market.listings')
    .selectAll()
    .where('kind', '=', 'nft')
    .where('status', '=', 'approved')
    .where('nft_chain', '=', chain)
    .where('nft_contract', '=', address);
  if (from) {
    const [, tokenId, id] = from;
    query = query.where((eb) => eb.or([eb('nft_token_id', '>', tokenId!), eb.and([eb('nft_token_id', '=', tokenId!), eb('id', '>', id!)])]));
  }
  const [rows, collection] = await Promise.all([
    query.orderBy('nft_token_id').orderBy('id').limit(limit + 1).execute() as Promise<ListingRow[]>,
    db.selectFrom('market.nft_collections').select(['name', 'symbol']).where('chain', '=', chain).where('contract', '=', address).executeTakeFirst(),
  ]);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    chain,
    contract: address,
    name: collection?.name ?? null,
    symbol: collection?.symbol ?? null,
    listings: page,
    nextCursor: rows.length > limit && last ? Buffer.from(`${last.nft_token_id}:${last.id}`).toString('base64url') : null,
  };
}

/** A collection's name, for a listing's token. */
export async function collectionName(db: MarketDb, chain: string, contract: string): Promise<string | null> {
  const row = await db.selectFrom('market.nft_collections').select('name').where('chain', '=', chain).where('contract', '=', contract.toLowerCase()).executeTakeFirst();
  return row?.name ?? null;
}
