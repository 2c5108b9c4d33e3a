import { grantAdmin } from '../../packages/server/src/modules/identity/accounts/grant-admin.js';
import type { IdentityTables } from '../../packages/server/src/modules/identity/identity-tables.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import type { TestServer } from '../support/test-server.js';

export interface GraphqlError {
  readonly message: string;
  readonly extensions?: { readonly code?: string; readonly retryAfter?: number; readonly field?: string };
}

export interface GraphqlReply<T> {
  readonly status: number;
  readonly data: T;
  readonly errors: readonly GraphqlError[] | undefined;
}

/** POST /api/graphql as a client would. */
export async function gql<T = Record<string, unknown>>(
  server: { readonly url: string },
  token: string | undefined,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphqlReply<T>> {
  const response = await fetch(`${server.url}/api/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: GraphqlError[]; error?: GraphqlError & { code: string } };
  // A refusal before GraphQL ran (flood control) is the REST error body.
  const errors = body.errors ?? (body.error ? [{ message: body.error.message, extensions: { code: body.error.code } }] : undefined);
  return { status: response.status, data: body.data as T, errors };
}

/** The data of a query that must succeed; throws with the errors otherwise. */
export async function gqlOk<T = Record<string, unknown>>(server: { readonly url: string }, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const reply = await gql<T>(server, token, query, variables);
  if (reply.errors?.length) throw new Error(`GraphQL failed: ${JSON.stringify(reply.errors)}`);
  return reply.data;
}

export const codesOf = (reply: GraphqlReply<unknown>) => (reply.errors ?? []).map((error) => error.extensions?.code);

/** A fresh admin, signed in again so the token carries the role (the way `kaif admin grant` works). */
export async function newAdmin(server: Pick<TestServer, 'url' | 'adapters'>): Promise<RegisteredUser> {
  const admin = await registerUser(server);
  await grantAdmin(server.adapters.db.kysely<IdentityTables>(), admin.user.username);
  const response = await fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: admin.user.username, password: admin.password }),
  });
  const body = (await response.json()) as { accessToken: string; refreshToken: string };
  return { ...admin, accessToken: body.accessToken, refreshToken: body.refreshToken };
}

export const LISTING_FIELDS = `id kind title description category asset price stock status rejectionReason rating reviewCount
  attributes { key value } photos { id url thumbnailUrl } seller { id storeName }`;

export interface ListingView {
  readonly id: string;
  readonly title: string;
  readonly status: string;
  readonly stock: number;
  readonly price: string;
  readonly rating: number | null;
  readonly reviewCount: number;
  readonly rejectionReason: string | null;
  readonly photos: readonly { readonly id: string; readonly url: string; readonly thumbnailUrl: string }[];
  readonly attributes: readonly { readonly key: string; readonly value: string }[];
  readonly seller: { readonly id: string; readonly storeName: string };
}

export interface NewListing {
  readonly title: string;
  readonly description?: string;
  readonly category?: string;
  readonly price?: string;
  readonly stock?: number;
  readonly asset?: string;
  readonly attributes?: readonly { readonly key: string; readonly value: string }[];
  readonly photoIds?: readonly string[];
  readonly kind?: 'PRODUCT' | 'SERVICE';
}

/** Opens the seller's store (idempotent) and lists a product; it waits for moderation. */
export async function createListing(server: { readonly url: string }, token: string, listing: NewListing): Promise<ListingView> {
  await gqlOk(server, token, 'mutation { openStore(storeName: "Shop") { id } }');
  const data = await gqlOk<{ createListing: ListingView }>(server, token, `mutation ($input: ListingInput!) { createListing(input: $input) { ${LISTING_FIELDS} } }`, {
    input: {
      kind: listing.kind ?? 'PRODUCT',
      title: listing.title,
      description: listing.description ?? '',
      category: listing.category ?? 'misc',
      asset: listing.asset ?? 'ETH',
      price: listing.price ?? '1000',
      stock: listing.stock ?? 5,
      attributes: listing.attributes ?? [],
      photoIds: listing.photoIds ?? [],
    },
  });
  return data.createListing;
}

export async function approve(server: { readonly url: string }, adminToken: string, listingId: string): Promise<void> {
  await gqlOk(server, adminToken, 'mutation ($id: ID!) { moderateListing(id: $id, decision: APPROVE) { id } }', { id: listingId });
}
