import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { engineAvailable } from '../support/engines.js';
import { type EngineSet, type TestServer, startTestServer } from '../support/test-server.js';
import { settledMedia, upload } from '../media/media-fixtures.js';
import { LISTING_FIELDS, type ListingView, approve, codesOf, createListing, gql, gqlOk, newAdmin } from './market-client.js';

const ENGINE_SETS: readonly EngineSet[] = ['embedded', ...(engineAvailable('postgres') && engineAvailable('redis') ? (['real'] as const) : [])];

const photo = () => sharp({ create: { width: 64, height: 48, channels: 3, background: '#3366aa' } }).png().toBuffer();

describe.each(ENGINE_SETS)('marketplace listings and GraphQL on %s engines', (engines) => {
  let server: TestServer;
  let seller: RegisteredUser;
  let other: RegisteredUser;
  let buyer: RegisteredUser;
  let admin: RegisteredUser;

  beforeAll(async () => {
    server = await startTestServer({ engines, env: { KAIF_MARKET_GRAPHQL_MAX_DEPTH: '6', KAIF_MARKET_GRAPHQL_MAX_COMPLEXITY: '2000' } });
    [seller, other, buyer, admin] = await Promise.all([registerUser(server), registerUser(server), registerUser(server), newAdmin(server)]);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('publishes the schema by introspection and as SDL', async () => {
    const introspection = await gqlOk<{ __schema: { types: { name: string }[] } }>(server, buyer.accessToken, '{ __schema { types { name } } }');
    expect(introspection.__schema.types.map((type) => type.name)).toEqual(expect.arrayContaining(['Listing', 'Order', 'Review', 'SearchResult']));
    const sdl = await fetch(`${server.url}/api/graphql/schema.graphql`);
    expect(sdl.status).toBe(200);
    expect(await sdl.text()).toContain('placeOrder(listingId: ID!');
  });

  it('asks for a sign-in with the same code as REST', async () => {
    const reply = await gql(server, undefined, '{ myStore { id } }');
    expect(codesOf(reply)).toEqual(['UNAUTHORIZED']);
    const badToken = await gql(server, 'not-a-token', '{ myStore { id } }');
    expect(badToken.status).toBe(401);
  });

  it('lists a product with a photo that waits for approval, then shows it and its photo to everyone', async () => {
    const picture = await upload(server.url, seller.accessToken, await photo(), 'lamp.png');
    expect(picture.status).toBe(201);
    // Thumbnailed by the media worker first, so the photo's own answers below are about who may see it, not 202 (processing).
    // (A ready media carries no status.)
    expect((await settledMedia(server.url, seller.accessToken, picture.body.id as string)).status).toBeUndefined();
    const listing = await createListing(server, seller.accessToken, {
      title: 'Brass desk lamp',
      description: 'A warm light for late reading',
      category: 'Lighting',
      price: '25000000000000000',
      stock: 3,
      attributes: [{ key: 'Color', value: 'brass' }],
      photoIds: [picture.body.id as string],
    });
    expect(listing).toMatchObject({ status: 'PENDING', category: 'lighting', attributes: [{ key: 'color', value: 'brass' }] });

    // Waiting: the buyer sees neither the listing nor its photo.
    const hidden = await gqlOk<{ listing: ListingView | null }>(server, buyer.accessToken, `query ($id: ID!) { listing(id: $id) { id } }`, { id: listing.id });
    expect(hidden.listing).toBeNull();
    const photoUrl = `${server.url}${listing.photos[0]!.url}`;
    expect((await fetch(photoUrl, { headers: { authorization: `Bearer ${buyer.accessToken}` } })).status).toBe(404);
    // The moderator sees what they judge.
    expect((await fetch(photoUrl, { headers: { authorization: `Bearer ${admin.accessToken}` } })).status).toBe(200);

    // Moderation is admins' only.
    const refused = await gql(server, buyer.accessToken, 'mutation ($id: ID!) { moderateListing(id: $id, decision: APPROVE) { id } }', { id: listing.id });
    expect(codesOf(refused)).toEqual(['FORBIDDEN']);
    const queue = await gqlOk<{ moderationQueue: { id: string }[] }>(server, admin.accessToken, '{ moderationQueue { id } }');
    expect(queue.moderationQueue.map((item) => item.id)).toContain(listing.id);
    expect(codesOf(await gql(server, buyer.accessToken, '{ moderationQueue { id } }'))).toEqual(['FORBIDDEN']);
    await approve(server, admin.accessToken, listing.id);

    const shown = await gqlOk<{ listing: ListingView }>(server, buyer.accessToken, `query ($id: ID!) { listing(id: $id) { ${LISTING_FIELDS} } }`, { id: listing.id });
    expect(shown.listing).toMatchObject({ status: 'APPROVED', title: 'Brass desk lamp', price: '25000000000000000', stock: 3 });
    const image = await fetch(photoUrl, { headers: { authorization: `Bearer ${buyer.accessToken}` } });
    expect(image.status).toBe(200);
    expect(image.headers.get('content-type')).toMatch(/^image\//);
  });

  it('refuses photos the seller did not upload', async () => {
    const theirs = await upload(server.url, other.accessToken, await photo(), 'theirs.png');
    await gqlOk(server, seller.accessToken, 'mutation { openStore(storeName: "Shop") { id } }');
    const reply = await gql(server, seller.accessToken, 'mutation ($input: ListingInput!) { createListing(input: $input) { id } }', {
      input: { kind: 'PRODUCT', title: 'Stolen photo', description: '', category: 'misc', asset: 'ETH', price: '1', stock: 1, photoIds: [theirs.body.id] },
    });
    expect(codesOf(reply)).toEqual(['MEDIA_NOT_FOUND']);
  });

  it('needs a storefront to list, and lets only the seller edit a listing (an edit goes back to moderation)', async () => {
    const noStore = await registerUser(server);
    const reply = await gql(server, noStore.accessToken, 'mutation ($input: ListingInput!) { createListing(input: $input) { id } }', {
      input: { kind: 'SERVICE', title: 'Tuning', description: '', category: 'music', asset: 'ETH', price: '1', stock: 1 },
    });
    expect(codesOf(reply)).toEqual(['SELLER_REQUIRED']);

    const listing = await createListing(server, seller.accessToken, { title: 'Guitar strings', category: 'music' });
    await approve(server, admin.accessToken, listing.id);
    await gqlOk(server, other.accessToken, 'mutation { openStore(storeName: "Rival") { id } }');
    const edit = 'mutation ($id: ID!, $patch: ListingPatch!) { updateListing(id: $id, patch: $patch) { status title stock } }';
    const foreign = await gql(server, other.accessToken, edit, { id: listing.id, patch: { title: 'Mine now' } });
    expect(codesOf(foreign)).toEqual(['LISTING_NOT_FOUND']);

    const restock = await gqlOk<{ updateListing: ListingView }>(server, seller.accessToken, edit, { id: listing.id, patch: { stock: 9 } });
    expect(restock.updateListing).toMatchObject({ status: 'APPROVED', stock: 9 });
    const retitled = await gqlOk<{ updateListing: ListingView }>(server, seller.accessToken, edit, { id: listing.id, patch: { title: 'Nylon guitar strings' } });
    expect(retitled.updateListing).toMatchObject({ status: 'PENDING', title: 'Nylon guitar strings' });
  });

  it('rejects with a reason the seller sees, and takes reports into the moderation queue', async () => {
    const listing = await createListing(server, seller.accessToken, { title: 'Mystery box' });
    const noReason = await gql(server, admin.accessToken, 'mutation ($id: ID!) { moderateListing(id: $id, decision: REJECT) { id } }', { id: listing.id });
    expect(codesOf(noReason)).toEqual(['VALIDATION_FAILED']);
    await gqlOk(server, admin.accessToken, 'mutation ($id: ID!) { moderateListing(id: $id, decision: REJECT, reason: "Say what is inside") { id } }', { id: listing.id });
    const own = await gqlOk<{ listing: ListingView }>(server, seller.accessToken, 'query ($id: ID!) { listing(id: $id) { status rejectionReason } }', { id: listing.id });
    expect(own.listing).toEqual({ status: 'REJECTED', rejectionReason: 'Say what is inside' });

    const fine = await createListing(server, seller.accessToken, { title: 'Ceramic mug' });
    await approve(server, admin.accessToken, fine.id);
    await gqlOk(server, buyer.accessToken, 'mutation ($id: ID!) { reportListing(id: $id, reason: "Counterfeit") }', { id: fine.id });
    await gqlOk(server, buyer.accessToken, 'mutation ($id: ID!) { reportListing(id: $id, reason: "Counterfeit") }', { id: fine.id });
    const queue = await gqlOk<{ moderationQueue: { id: string; reportCount: number }[] }>(server, admin.accessToken, '{ moderationQueue(limit: 100) { id reportCount } }');
    expect(queue.moderationQueue.find((item) => item.id === fine.id)?.reportCount).toBe(1);
  });

  it('refuses a query too deep or too costly before running it', async () => {
    const deep = await gql(server, buyer.accessToken, '{ myStore { listings { seller { listings { seller { listings { id } } } } } } }');
    expect(deep.status).toBe(400);
    expect(codesOf(deep)).toEqual(['QUERY_TOO_COMPLEX']);
    // Depth 5, but 100 × 100 listings.
    const wide = await gql(server, buyer.accessToken, '{ search(input: {limit: 100}) { listings { seller { listings(limit: 100) { id title } } } } }');
    expect(wide.status).toBe(400);
    expect(codesOf(wide)).toEqual(['QUERY_TOO_COMPLEX']);
    // A limit passed in a variable counts as its value.
    const costly = 'query ($input: SearchInput!) { search(input: $input) { listings { seller { listings(limit: 100) { id title } } } } }';
    expect(codesOf(await gql(server, buyer.accessToken, costly, { input: { limit: 100 } }))).toEqual(['QUERY_TOO_COMPLEX']);
    expect((await gql(server, buyer.accessToken, costly, { input: { limit: 2 } })).errors).toBeUndefined();
    // Fragments do not hide depth.
    const fragments = await gql(
      server,
      buyer.accessToken,
      'query { myStore { ...S } } fragment S on Seller { listings { seller { listings { seller { listings { id } } } } } }',
    );
    expect(codesOf(fragments)).toEqual(['QUERY_TOO_COMPLEX']);
    const fine = await gql(server, buyer.accessToken, '{ search(input: {limit: 10}) { total listings { id seller { storeName } } } }');
    expect(fine.errors).toBeUndefined();
  });

  it('answers a malformed query with VALIDATION_FAILED', async () => {
    const reply = await gql(server, buyer.accessToken, '{ nope }');
    expect(reply.status).toBe(400);
    expect(codesOf(reply)).toEqual(['VALIDATION_FAILED']);
  });
});

describe('GraphQL and the flood budget', () => {
  let server: TestServer;
  afterAll(async () => {
    await server?.stop();
  });

  it('draws on the same per-user budget as REST, and answers FLOOD_WAIT with Retry-After once it is spent', async () => {
    server = await startTestServer({ env: { KAIF_RATE_LIMIT_PER_MINUTE: '5' } });
    const user = await registerUser(server);
    // One REST call and four GraphQL calls spend the five points.
    expect((await fetch(`${server.url}/api/v1/me`, { headers: { authorization: `Bearer ${user.accessToken}` } })).status).toBe(200);
    for (let call = 0; call < 4; call++) expect((await gql(server, user.accessToken, '{ myStore { id } }')).errors).toBeUndefined();
    const response = await fetch(`${server.url}/api/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${user.accessToken}` },
      body: JSON.stringify({ query: '{ myStore { id } }' }),
    });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await response.json()) as { errors: { extensions: { code: string; retryAfter: number } }[] };
    expect(body.errors[0]?.extensions).toMatchObject({ code: 'FLOOD_WAIT' });
    expect(body.errors[0]?.extensions.retryAfter).toBeGreaterThan(0);
  });
});
