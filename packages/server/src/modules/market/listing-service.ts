import { randomUUID } from 'node:crypto';
import type { MediaId, UserId } from '@kaif/protocol';
import { sql } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { MediaApi } from '../media/api.js';
import type { ListingKind, ListingsTable, MarketDb, SellersTable } from './market-tables.js';
import type { NftCustody } from './nft-custody.js';
import type { NftDetailsGatherer } from './nft-details.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A price: a positive whole number of smallest units (escrow holds nothing for free). */
const AMOUNT = /^[1-9][0-9]{0,77}$/;
const MAX_PHOTOS = 10;
const MAX_ATTRIBUTES = 20;

export interface Viewer {
  readonly userId: UserId;
  readonly admin: boolean;
}

export interface NftListingInput {
  readonly chain: string;
  readonly contract: string;
  readonly tokenId: string;
  readonly title: string;
  readonly description: string;
  readonly category: string;
  readonly asset: string;
  readonly price: string;
  readonly attributes?: readonly { key: string; value: string }[];
  readonly photoIds?: readonly string[];
}

export interface ListingInput {
  readonly kind: ListingKind;
  readonly title: string;
  readonly description: string;
  readonly category: string;
  readonly asset: string;
  readonly price: string;
  readonly stock: number;
  readonly attributes?: readonly { readonly key: string; readonly value: string }[];
  readonly photoIds?: readonly string[];
}

export type ListingPatch = Partial<ListingInput>;

export type ListingRow = ListingsTable & { readonly created_at: Date; readonly updated_at: Date; readonly report_count: number; readonly rating_sum: number; readonly rating_count: number };
export type SellerRow = SellersTable & { readonly rating_sum: number; readonly rating_count: number; readonly created_at: Date };

/**
 * Listings, storefronts and moderation. A new listing, and one whose
 * content (text, price, photos, attributes) changed, waits for an admin's
 * approval; only approved listings are seen by others (and searched).
 * Photos must be the seller's own uploads; once a listing shows them,
 * whoever can see the listing can read them (the media holder below).
 */
export class ListingService {
  constructor(
    private readonly db: MarketDb,
    private readonly media: MediaApi,
    private readonly assetEnabled: (asset: string) => boolean,
  ) {}

  async openStore(userId: UserId, storeName: string, about: string): Promise<SellerRow> {
    const name = text(storeName, 'storeName', 1, 80);
    const bio = text(about, 'about', 0, 2000);
    const row = await this.db
      .insertInto('market.sellers')
      .values({ user_id: userId, store_name: name, about: bio })
      .onConflict((conflict) => conflict.column('user_id').doUpdateSet({ store_name: name, about: bio }))
      .returningAll()
      .executeTakeFirstOrThrow();
    return row as SellerRow;
  }

  async seller(userId: string): Promise<SellerRow | undefined> {
    return (await this.db.selectFrom('market.sellers').selectAll().where('user_id', '=', userId).executeTakeFirst()) as SellerRow | undefined;
  }

  async create(userId: UserId, input: ListingInput): Promise<ListingRow> {
    if (!(await this.seller(userId))) throw new KaifError('SELLER_REQUIRED');
    const values = await this.validate(userId, input);
    const row = await this.db
      .insertInto('market.listings')
      .values({
        id: randomUUID(),
        seller_id: userId,
        ...values,
        attributes: JSON.stringify(values.attributes) as never,
        status: 'pending',
        nft_chain: null,
        nft_contract: null,
        nft_token_id: null,
        nft_closed_at: null,
        nft_name: null,
        nft_image_id: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return row as ListingRow;
  }

  /**
   * An ERC-721 token the seller's custodial wallet holds, read from the
   * chain now (`ownerOf` equals the seller's custodial address): one unit,
   * moderated like any listing. Not the holder: VALIDATION_FAILED on
   * `tokenId`. The chain's asset must be an EVM asset with an endpoint.
   * The token's name and image come from its metadata (`details`); the
   * image is the first photo, and a token without a readable one is listed
   * without it.
   */
  async createNft(userId: UserId, input: NftListingInput, custody: NftCustody, details: NftDetailsGatherer): Promise<ListingRow> {
    if (!(await this.seller(userId))) throw new KaifError('SELLER_REQUIRED');
    if (!/^0x[0-9a-fA-F]{40}$/.test(input.contract)) throw invalid('contract', 'contract is a 0x address');
    if (!/^(0|[1-9][0-9]{0,77})$/.test(input.tokenId)) throw invalid('tokenId', 'tokenId is a whole number as a decimal string');
    const values = await this.validate(userId, { ...input, kind: 'product', stock: 1, photoIds: input.photoIds ?? [] });
    const identity = { nft_chain: input.chain, nft_contract: input.contract.toLowerCase(), nft_token_id: input.tokenId };
    if (await this.activeNftListing(identity)) throw new KaifError('LISTING_DUPLICATE');
    const [owner, address] = await Promise.all([custody.ownerOf(input.chain, input.contract, BigInt(input.tokenId)), custody.addressOf(userId)]);
    if (owner === undefined || owner.toLowerCase() !== address.toLowerCase()) throw invalid('tokenId', 'the token is not in your wallet');
    const token = await details.gather(userId, custody, input.chain, input.contract, BigInt(input.tokenId));
    const photoIds = token.imageId ? [token.imageId, ...values.photo_ids].slice(0, MAX_PHOTOS) : values.photo_ids;
    const row = await this.db
      .insertInto('market.listings')
      .values({
        id: randomUUID(),
        seller_id: userId,
        ...values,
        kind: 'nft',
        description: values.description || (token.description ?? ''),
        photo_ids: photoIds,
        attributes: JSON.stringify(values.attributes) as never,
        status: 'pending',
        ...identity,
        nft_closed_at: null,
        nft_name: token.name,
        nft_image_id: token.imageId,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch((error: unknown) => {
        // Another listNft for the same token committed between the check and the insert: the index refuses the second.
        throw duplicateListing(error) ?? error;
      });
    return row as ListingRow;
  }

  /** The token's listing that is pending or approved and not closed (sold, or the token left the wallet), if any. */
  private async activeNftListing(token: { nft_chain: string; nft_contract: string; nft_token_id: string }): Promise<ListingRow | undefined> {
    return (await this.db
      .selectFrom('market.listings')
      .selectAll()
      .where('kind', '=', 'nft')
      .where('nft_chain', '=', token.nft_chain)
      .where('nft_contract', '=', token.nft_contract)
      .where('nft_token_id', '=', token.nft_token_id)
      .where('status', 'in', ['pending', 'approved'])
      .where('nft_closed_at', 'is', null)
      .executeTakeFirst()) as ListingRow | undefined;
  }

  /** Only the listing's seller; a change to anything but the stock sends it back to moderation. */
  async update(userId: UserId, listingId: string, patch: ListingPatch): Promise<ListingRow> {
    const current = await this.row(listingId);
    if (!current || current.seller_id !== userId) throw new KaifError('LISTING_NOT_FOUND');
    const merged: ListingInput = {
      kind: patch.kind ?? current.kind,
      title: patch.title ?? current.title,
      description: patch.description ?? current.description,
      category: patch.category ?? current.category,
      asset: patch.asset ?? current.asset,
      price: patch.price ?? current.price,
      stock: patch.stock ?? current.stock,
      attributes: patch.attributes ?? Object.entries(current.attributes).map(([key, value]) => ({ key, value })),
      photoIds: patch.photoIds ?? current.photo_ids,
    };
    const values = await this.validate(userId, merged, patch.photoIds === undefined);
    const contentChanged = Object.keys(patch).some((key) => key !== 'stock');
    const row = await this.db
      .updateTable('market.listings')
      .set({
        ...values,
        attributes: JSON.stringify(values.attributes) as never,
        updated_at: new Date(),
        ...(contentChanged ? { status: 'pending' as const, rejection_reason: null } : {}),
      })
      .where('id', '=', listingId)
      .where('seller_id', '=', userId)
      .returningAll()
      .executeTakeFirstOrThrow();
    return row as ListingRow;
  }

  /** A listing the viewer may see: approved ones to everyone signed in; others to their seller and admins. */
  async visible(viewer: Viewer, listingId: string): Promise<ListingRow> {
    const row = await this.row(listingId);
    if (!row || !mayView(viewer, row)) throw new KaifError('LISTING_NOT_FOUND');
    return row;
  }

  async row(listingId: string): Promise<ListingRow | undefined> {
    if (!UUID.test(listingId)) return undefined;
    return (await this.db.selectFrom('market.listings').selectAll().where('id', '=', listingId).executeTakeFirst()) as ListingRow | undefined;
  }

  async rows(ids: readonly string[]): Promise<ListingRow[]> {
    const valid = ids.filter((id) => UUID.test(id));
    if (valid.length === 0) return [];
    return (await this.db.selectFrom('market.listings').selectAll().where('id', 'in', valid).execute()) as ListingRow[];
  }

  /** A seller's storefront: approved listings, and to the seller themself every listing, newest first. */
  async storefront(viewer: Viewer, sellerId: string, limit: number): Promise<ListingRow[]> {
    let query = this.db.selectFrom('market.listings').selectAll().where('seller_id', '=', sellerId);
    if (viewer.userId !== sellerId && !viewer.admin) query = query.where('status', '=', 'approved');
    return (await query.orderBy('created_at', 'desc').limit(limit).execute()) as ListingRow[];
  }

  /** Admins only: listings waiting for approval, and approved ones users reported, oldest first. */
  async moderationQueue(viewer: Viewer, limit: number): Promise<ListingRow[]> {
    if (!viewer.admin) throw new KaifError('FORBIDDEN');
    return (await this.db
      .selectFrom('market.listings')
      .selectAll()
      .where((eb) => eb.or([eb('status', '=', 'pending'), eb.and([eb('status', '=', 'approved'), eb('report_count', '>', 0)])]))
      .orderBy('updated_at', 'asc')
      .limit(limit)
      .execute()) as ListingRow[];
  }

  /** Admins only: approve, or reject with a reason the seller sees. Approving clears the reports. */
  async moderate(viewer: Viewer, listingId: string, decision: 'approve' | 'reject', reason: string | undefined): Promise<ListingRow> {
    if (!viewer.admin) throw new KaifError('FORBIDDEN');
    const why = decision === 'reject' ? text(reason ?? '', 'reason', 1, 500) : null;
    const row = await this.db
      .updateTable('market.listings')
      .set({ status: decision === 'approve' ? 'approved' : 'rejected', rejection_reason: why, report_count: 0, updated_at: new Date() })
      .where('id', '=', UUID.test(listingId) ? listingId : randomUUID())
      .returningAll()
      .executeTakeFirst()
      .catch((error: unknown) => {
        // Approving a rejected NFT listing whose token has another active listing.
        throw duplicateListing(error) ?? error;
      });
    if (!row) throw new KaifError('LISTING_NOT_FOUND');
    if (decision === 'approve') await this.db.deleteFrom('market.reports').where('listing_id', '=', listingId).execute();
    return row as ListingRow;
  }

  /** Any user who can see a listing reports it once; reported listings go to the moderation queue. */
  async report(viewer: Viewer, listingId: string, reason: string): Promise<void> {
    const listing = await this.visible(viewer, listingId);
    const why = text(reason, 'reason', 1, 500);
    await this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('market.reports')
        .values({ listing_id: listing.id, reporter_id: viewer.userId, reason: why })
        .onConflict((conflict) => conflict.columns(['listing_id', 'reporter_id']).doNothing())
        .returning('listing_id')
        .executeTakeFirst();
      if (inserted) await trx.updateTable('market.listings').set({ report_count: sql`report_count + 1` }).where('id', '=', listing.id).execute();
    });
  }

  /** For the media module: whether a listing the user may see shows this photo (admins see every listing, to moderate it). */
  async photoVisible(userId: UserId, mediaId: MediaId, admin: boolean): Promise<boolean> {
    let query = this.db.selectFrom('market.listings').select('id').where('photo_ids', '@>', sql<string[]>`array[${mediaId}]::text[]`);
    if (!admin) query = query.where((eb) => eb.or([eb('status', '=', 'approved'), eb('seller_id', '=', userId)]));
    const row = await query
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** For the media cleanup: which of these media some listing shows. */
  async photosInUse(mediaIds: readonly MediaId[]): Promise<ReadonlySet<MediaId>> {
    if (mediaIds.length === 0) return new Set();
    const rows = await sql<{ id: MediaId }>`
      select k.id from unnest(${[...mediaIds]}::text[]) as k(id)
      where exists (select 1 from market.listings l where l.photo_ids @> array[k.id])`.execute(this.db);
    return new Set(rows.rows.map((row) => row.id));
  }

  private async validate(userId: UserId, input: ListingInput, photosUnchanged = false) {
    if (input.kind !== 'product' && input.kind !== 'service') throw invalid('kind', 'kind is product or service');
    if (!this.assetEnabled(input.asset)) throw invalid('asset', 'asset must be an enabled wallet asset');
    if (!AMOUNT.test(input.price)) throw invalid('price', 'price is a positive whole number of the asset’s smallest unit, as a decimal string');
    if (!Number.isInteger(input.stock) || input.stock < 0 || input.stock > 1_000_000_000) throw invalid('stock', 'stock is a whole number from 0');
    const attributes: Record<string, string> = {};
    for (const { key, value } of input.attributes ?? []) attributes[text(key, 'attributes', 1, 40).toLowerCase()] = text(value, 'attributes', 1, 100);
    if (Object.keys(attributes).length > MAX_ATTRIBUTES) throw invalid('attributes', `at most ${MAX_ATTRIBUTES} attributes`);
    const photoIds = [...new Set(input.photoIds ?? [])];
    if (photoIds.length > MAX_PHOTOS) throw invalid('photoIds', `at most ${MAX_PHOTOS} photos`);
    if (!photosUnchanged) {
      const media = await this.media.uploadedBy(userId, photoIds as MediaId[]);
      if (media.some((item) => item.kind !== 'image')) throw invalid('photoIds', 'photos must be images');
    }
    return {
      kind: input.kind,
      title: text(input.title, 'title', 1, 140),
      description: text(input.description, 'description', 0, 10_000),
      category: text(input.category, 'category', 1, 60).toLowerCase(),
      asset: input.asset,
      price: input.price,
      stock: input.stock,
      attributes,
      photo_ids: photoIds,
    };
  }
}

export const mayView = (viewer: Viewer, row: Pick<ListingsTable, 'status' | 'seller_id'>): boolean =>
  row.status === 'approved' || row.seller_id === viewer.userId || viewer.admin;

function text(value: string, field: string, min: number, max: number): string {
  const trimmed = value.normalize('NFC').trim();
  if ([...trimmed].length < min || [...trimmed].length > max) throw invalid(field, `${field} must be ${min} to ${max} characters`);
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(trimmed)) throw invalid(field, `${field} holds control characters`);
  return trimmed;
}

/** The partial unique index `listings_nft_active` (market-tables.ts) refused a second active listing of one token. */
function duplicateListing(error: unknown): KaifError | undefined {
  const { code, constraint, message } = (error ?? {}) as { code?: string; constraint?: string; message?: string };
  return code === '23505' && `${constraint ?? ''} ${message ?? ''}`.includes('listings_nft_active') ? new KaifError('LISTING_DUPLICATE') : undefined;
}

const invalid = (field: string, message: string) => new KaifError('VALIDATION_FAILED', message, { field });
