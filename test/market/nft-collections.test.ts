import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getAddress } from 'ethers';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../identity/identity-http.js';
import { settledMedia } from '../media/media-fixtures.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { type LocalChain, startAnvil } from '../support/anvil.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { evmEnv } from '../wallet/chain-fixtures.js';
import { approve, gql, gqlOk, newAdmin } from './market-client.js';
import { deployUriNft } from './nft-uri-contract.js';
import { SAGA_TIMINGS } from './saga-fixtures.js';

const picture = (color: string) => sharp({ create: { width: 96, height: 64, channels: 3, background: color } }).png().toBuffer();
const dataJson = (value: unknown) => `data:application/json;base64,${Buffer.from(JSON.stringify(value)).toString('base64')}`;

const TOKEN_FIELDS = 'id kind title description photos { id url } nft { chain contract tokenId name collectionName image { id url thumbnailUrl } }';

interface TokenListing {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly photos: readonly { readonly id: string; readonly url: string }[];
  readonly nft: { readonly chain: string; readonly contract: string; readonly tokenId: string; readonly name: string | null; readonly collectionName: string | null; readonly image: { readonly id: string; readonly url: string; readonly thumbnailUrl: string } | null };
}

/**
 * An NFT listing's image and name come from its token's metadata (a data:
 * URI on chain, or a local HTTP server allowed by
 * KAIF_MARKET_NFT_ALLOW_PRIVATE_HOSTS), stored and served by the server;
 * a token whose image cannot be read is listed without one; collection
 * pages list a contract's approved tokens with their images, paged.
 */
describe('NFT metadata, images and collection pages (anvil)', () => {
  let chain: LocalChain;
  let server: TestServer;
  let metadata: Server;
  let origin: string;
  let admin: RegisteredUser;
  let seller: RegisteredUser;
  let viewer: RegisteredUser;
  let nft: Awaited<ReturnType<typeof deployUriNft>>;
  let sellerAddress: string;
  const listed: TokenListing[] = [];

  beforeAll(async () => {
    const served = await picture('#c08030');
    metadata = createServer((request, response) => {
      if (request.url === '/lanterns/2.json') return response.end(JSON.stringify({ name: 'Lantern #2', description: 'Served over HTTP', image: `${origin}/lanterns/2.png` }));
      if (request.url === '/lanterns/2.png') return response.writeHead(200, { 'content-type': 'image/png' }).end(served);
      if (request.url === '/lanterns/3.json') return response.end(JSON.stringify({ name: 'Lantern #3', image: `${origin}/lanterns/missing.png` }));
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => metadata.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(metadata.address() as AddressInfo).port}`;
    chain = await startAnvil();
    server = await startTestServer({ env: { ...SAGA_TIMINGS, ...evmEnv(chain, 1), KAIF_MARKET_NFT_ALLOW_PRIVATE_HOSTS: 'true' } });
    [admin, seller, viewer] = await Promise.all([newAdmin(server), registerUser(server), registerUser(server)]);
    nft = await deployUriNft(chain.funder);
    await gqlOk(server, seller.accessToken, 'mutation { openStore(storeName: "Lantern works") { id } }');
    const reply = await call<{ address: string }>(server, 'GET', '/api/v1/wallet/deposit-address?asset=ETH', { token: seller.accessToken });
    sellerAddress = getAddress(reply.body.address);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await chain?.stop();
    metadata?.closeAllConnections();
    await new Promise<void>((resolve) => (metadata ? metadata.close(() => resolve()) : resolve()));
  });

  const listNft = async (tokenId: bigint, description = '') =>
    (
      await gqlOk<{ listNft: TokenListing }>(server, seller.accessToken, `mutation ($i: NftListingInput!) { listNft(input: $i) { ${TOKEN_FIELDS} } }`, {
        i: { chain: 'ETH', contract: nft.address, tokenId: tokenId.toString(), title: `Lantern token ${tokenId}`, description, category: 'nft', asset: 'ETH', price: `${tokenId}000` },
      })
    ).listNft;

  it('takes the name, description and image of a token whose metadata is a data: URI, and serves the image once approved', async () => {
    const image = await picture('#305080');
    await nft.mint(sellerAddress, 1n, dataJson({ name: 'Lantern #1', description: 'Lit on chain', image: `data:image/png;base64,${image.toString('base64')}` }));
    const listing = await listNft(1n);
    listed.push(listing);
    expect(listing.nft).toMatchObject({ chain: 'ETH', contract: nft.address.toLowerCase(), tokenId: '1', name: 'Lantern #1', collectionName: 'Kaif Lanterns' });
    expect(listing.description).toBe('Lit on chain');
    expect(listing.nft.image).not.toBeNull();
    expect(listing.photos.map((photo) => photo.id)).toEqual([listing.nft.image!.id]);

    // The seller's stored media: cleaned and thumbnailed by the worker like an upload.
    const view = await settledMedia(server.url, seller.accessToken, listing.nft.image!.id);
    expect(view.status).toBeUndefined();
    expect(view).toMatchObject({ kind: 'image', width: 96, height: 64 });
    // Not approved yet: another user cannot read it; once approved, they can, from this server.
    const read = () => fetch(`${server.url}${listing.nft.image!.url}`, { headers: { authorization: `Bearer ${viewer.accessToken}` } });
    expect((await read()).status).toBe(404);
    await approve(server, admin.accessToken, listing.id);
    const served = await read();
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toMatch(/^image\//);
    const thumbnail = await fetch(`${server.url}${listing.nft.image!.thumbnailUrl}`, { headers: { authorization: `Bearer ${viewer.accessToken}` } });
    expect(thumbnail.status).toBe(200);
  });

  it('fetches metadata and image from an HTTP server the development setting allows; the seller’s own description wins', async () => {
    await nft.mint(sellerAddress, 2n, `${origin}/lanterns/2.json`);
    const listing = await listNft(2n, 'My favourite');
    listed.push(listing);
    expect(listing.nft.name).toBe('Lantern #2');
    expect(listing.description).toBe('My favourite');
    const view = await settledMedia(server.url, seller.accessToken, listing.nft.image!.id);
    expect(view).toMatchObject({ kind: 'image', width: 96, height: 64 });
    await approve(server, admin.accessToken, listing.id);
  });

  it('lists a token whose image cannot be read without an image', async () => {
    await nft.mint(sellerAddress, 3n, `${origin}/lanterns/3.json`);
    const listing = await listNft(3n);
    listed.push(listing);
    expect(listing.nft).toMatchObject({ name: 'Lantern #3', image: null });
    expect(listing.photos).toEqual([]);
    await approve(server, admin.accessToken, listing.id);
    // A token whose metadata is not there at all: listed with neither.
    await nft.mint(sellerAddress, 4n, `${origin}/lanterns/4.json`);
    const bare = await listNft(4n);
    expect(bare.nft).toMatchObject({ name: null, image: null });
  });

  it('shows a collection page of the approved tokens with their images, paged by token id', async () => {
    const query = `query ($c: String!, $a: String) { nftCollection(chain: "ETH", contract: $c, limit: 2, after: $a) { chain contract name symbol nextCursor listings { ${TOKEN_FIELDS} price } } }`;
    type Page = { nftCollection: { name: string; symbol: string; nextCursor: string | null; listings: (TokenListing & { price: string })[] } };
    const first = await gqlOk<Page>(server, viewer.accessToken, query, { c: nft.address });
    expect(first.nftCollection).toMatchObject({ name: 'Kaif Lanterns', symbol: 'KLNT' });
    expect(first.nftCollection.listings.map((listing) => [listing.nft.tokenId, listing.nft.name, listing.price])).toEqual([
      ['1', 'Lantern #1', '1000'],
      ['2', 'Lantern #2', '2000'],
    ]);
    expect(first.nftCollection.listings.map((listing) => listing.nft.image?.id)).toEqual([listed[0]!.nft.image!.id, listed[1]!.nft.image!.id]);
    expect(first.nftCollection.nextCursor).not.toBeNull();
    // Token 4 waits for approval: not on the page.
    const second = await gqlOk<Page>(server, viewer.accessToken, query, { c: nft.address, a: first.nftCollection.nextCursor });
    expect(second.nftCollection.listings.map((listing) => listing.nft.tokenId)).toEqual(['3']);
    expect(second.nftCollection.nextCursor).toBeNull();
    const bad = await gql(server, viewer.accessToken, 'query { nftCollection(chain: "ETH", contract: "nope") { name } }');
    expect(bad.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
  });
});
