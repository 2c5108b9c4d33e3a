import { useRef, useState } from 'react';
import { type Route, navigate } from '../../app/router.js';
import { useMessenger } from '../../app/session-context.js';
import { LISTING, LISTING_ROW, type Listing, ORDER_ROW, type Order, formatAmount, parseAmount } from '../../state/market-api.js';
import { Field } from '../common/Field.js';
import { MarketNav } from './MarketNav.js';
import { MarketPhoto } from './MarketPhoto.js';
import { OrderList } from './OrderPage.js';
import { failureText, useMarketData, useMarketQuery } from './use-market.js';

const QUERY = `{ myStore { id storeName about rating reviewCount listings(limit: 100) { ${LISTING_ROW} } } sold: myOrders(role: SELLER, limit: 50) { ${ORDER_ROW} } }`;

interface StoreData {
  readonly myStore: { readonly storeName: string; readonly rating: number | null; readonly reviewCount: number; readonly listings: readonly Pick<Listing, 'id' | 'title' | 'price' | 'asset' | 'stock' | 'status' | 'rejectionReason'>[] } | null;
  readonly sold: readonly Order[];
}

/** The seller's dashboard: open a store, list something with photos, see each listing's moderation and the orders to ship. */
export function StorePage({ route }: { readonly route: Route }) {
  const run = useMarketQuery();
  const { data, error, reload } = useMarketData<StoreData>(QUERY, {}, 'store', 3000);
  const [storeName, setStoreName] = useState('');
  const [failure, setFailure] = useState<string | null>(null);
  const store = data?.myStore;

  return (
    <section className="page" aria-label="My store">
      <MarketNav route={route} title="My store" />
      <div className="page-body">
        {(error || failure) && (
          <p className="notice notice-error" role="alert">
            {error ?? failure}
          </p>
        )}
        {data && !store && (
          <form
            className="card market-form"
            onSubmit={(event) => {
              event.preventDefault();
              run('mutation ($n: String!) { openStore(storeName: $n) { id } }', { n: storeName })
                .then(reload)
                .catch((caught: unknown) => setFailure(failureText(caught)));
            }}
          >
            <h3>Open your store</h3>
            <Field label="Store name" value={storeName} onChange={(event) => setStoreName(event.target.value)} required />
            <button type="submit" className="button button-primary">
              Open store
            </button>
          </form>
        )}
        {store && (
          <>
            <section className="card">
              <h3>{store.storeName}</h3>
              <p className="muted">{store.rating === null ? 'No reviews yet' : `★ ${store.rating.toFixed(1)} from ${store.reviewCount} reviews`}</p>
            </section>
            <NewListingForm onCreated={reload} />
            <NftListingForm onCreated={reload} />
            <section className="card" aria-label="Your listings">
              <h3>Your listings</h3>
              {store.listings.length === 0 && <p className="muted">Nothing listed yet.</p>}
              <ul className="market-order-list">
                {store.listings.map((listing) => (
                  <li key={listing.id}>
                    <button type="button" className="link-button" onClick={() => navigate({ name: 'listing', listingId: listing.id })}>
                      {listing.title} · {formatAmount(listing.price, listing.asset)} · {listing.stock} in stock
                    </button>
                    <span className="market-status" data-status={listing.status}>
                      {listing.status === 'PENDING' ? 'Waiting for approval' : listing.status === 'APPROVED' ? 'On sale' : `Rejected: ${listing.rejectionReason ?? ''}`}
                    </span>
                  </li>
                ))}
              </ul>
            </section>
            <OrderList title="Orders to handle" orders={data.sold} />
          </>
        )}
      </div>
    </section>
  );
}

function NewListingForm({ onCreated }: { readonly onCreated: () => void }) {
  const run = useMarketQuery();
  const messenger = useMessenger();
  const files = useRef<HTMLInputElement>(null);
  const [form, setForm] = useState({ title: '', description: '', category: '', price: '', stock: '1', attributes: '', kind: 'PRODUCT' });
  const [photos, setPhotos] = useState<{ id: string; thumbnailUrl: string }[]>([]);
  const [uploading, setUploading] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const set = (name: keyof typeof form) => (event: { target: { value: string } }) => setForm((current) => ({ ...current, [name]: event.target.value }));

  const upload = async (chosen: FileList | null) => {
    if (!chosen) return;
    setUploading(true);
    try {
      for (const file of [...chosen]) {
        const media = await messenger.upload(file, () => undefined, new AbortController().signal);
        setPhotos((current) => [...current, { id: media.id, thumbnailUrl: `/api/v1/media/${media.id}/thumbnail` }]);
      }
    } catch (caught) {
      setFailure((caught as Error).message);
    } finally {
      setUploading(false);
    }
  };
  const submit = async () => {
    setFailure(null);
    const price = parseAmount(form.price, 'ETH');
    if (!price) return setFailure('Enter a price in ETH, e.g. 0.05');
    const attributes = form.attributes
      .split('\n')
      .map((line) => line.split('='))
      .filter((parts) => parts.length === 2 && parts[0]!.trim() && parts[1]!.trim())
      .map(([key, value]) => ({ key: key!.trim(), value: value!.trim() }));
    try {
      const answer = await run<{ createListing: Listing }>(`mutation ($input: ListingInput!) { createListing(input: $input) { ${LISTING} } }`, {
        input: { kind: form.kind, title: form.title, description: form.description, category: form.category, asset: 'ETH', price, stock: Number(form.stock), attributes, photoIds: photos.map((photo) => photo.id) },
      });
      setCreated(answer.createListing.title);
      setForm({ title: '', description: '', category: '', price: '', stock: '1', attributes: '', kind: 'PRODUCT' });
      setPhotos([]);
      onCreated();
    } catch (caught) {
      setFailure(failureText(caught));
    }
  };

  return (
    <form
      className="card market-form"
      aria-label="New listing"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <h3>New listing</h3>
      <label>
        Kind
        <select aria-label="Kind" value={form.kind} onChange={set('kind')}>
          <option value="PRODUCT">Product</option>
          <option value="SERVICE">Service</option>
        </select>
      </label>
      <Field label="Title" value={form.title} onChange={set('title')} required />
      <label>
        Description
        <textarea aria-label="Description" value={form.description} onChange={set('description')} />
      </label>
      <Field label="Category" value={form.category} onChange={set('category')} required />
      <Field label="Price (ETH)" inputMode="decimal" value={form.price} onChange={set('price')} required />
      <Field label="Stock" type="number" min={0} value={form.stock} onChange={set('stock')} required />
      <label>
        Attributes (one key=value a line)
        <textarea aria-label="Attributes" value={form.attributes} onChange={set('attributes')} />
      </label>
      <div className="market-photo-picker">
        {photos.map((photo) => (
          <MarketPhoto key={photo.id} path={photo.thumbnailUrl} alt="Uploaded photo" />
        ))}
        <button type="button" className="button" disabled={uploading} onClick={() => files.current?.click()}>
          {uploading ? 'Uploading…' : 'Add photos'}
        </button>
        <input ref={files} type="file" accept="image/*" multiple hidden aria-label="Photos" onChange={(event) => void upload(event.target.files)} />
      </div>
      <button type="submit" className="button button-primary" disabled={uploading}>
        Submit for approval
      </button>
      {created && <p className="notice">“{created}” waits for a moderator’s approval.</p>}
      {failure && (
        <p className="notice notice-error" role="alert">
          {failure}
        </p>
      )}
    </form>
  );
}

/**
 * List an ERC-721 token the seller's custodial wallet holds (their deposit
 * address on that chain): the server reads its owner from the chain, and
 * its name and image from its metadata.
 */
function NftListingForm({ onCreated }: { readonly onCreated: () => void }) {
  const run = useMarketQuery();
  const empty = { chain: 'ETH', contract: '', tokenId: '', title: '', description: '', price: '' };
  const [form, setForm] = useState(empty);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [created, setCreated] = useState<string | null>(null);
  const set = (name: keyof typeof form) => (event: { target: { value: string } }) => setForm((current) => ({ ...current, [name]: event.target.value }));
  const submit = async () => {
    setFailure(null);
    setCreated(null);
    const price = parseAmount(form.price, 'ETH');
    if (!price) return setFailure('Enter a price in ETH, e.g. 0.05');
    setBusy(true);
    try {
      const answer = await run<{ listNft: Listing }>(`mutation ($input: NftListingInput!) { listNft(input: $input) { ${LISTING} } }`, {
        input: { chain: form.chain, contract: form.contract.trim(), tokenId: form.tokenId.trim(), title: form.title, description: form.description, category: 'nft', asset: 'ETH', price },
      });
      setCreated(answer.listNft.nft?.image ? `“${answer.listNft.title}” waits for a moderator’s approval.` : `“${answer.listNft.title}” waits for a moderator’s approval (listed without an image: the token’s image could not be read).`);
      setForm(empty);
      onCreated();
    } catch (caught) {
      setFailure(failureText(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form
      className="card market-form"
      aria-label="List an NFT"
      onSubmit={(event) => {
        event.preventDefault();
        void submit();
      }}
    >
      <h3>List an NFT</h3>
      <p className="muted">An ERC-721 token held by your wallet’s deposit address on that chain. Its image comes from the token’s metadata.</p>
      <label>
        Chain
        <select aria-label="Chain" value={form.chain} onChange={set('chain')}>
          <option value="ETH">Ethereum (ETH)</option>
          <option value="BNB">BNB Chain (BNB)</option>
        </select>
      </label>
      <Field label="Contract address" value={form.contract} onChange={set('contract')} placeholder="0x…" required />
      <Field label="Token ID" inputMode="numeric" value={form.tokenId} onChange={set('tokenId')} required />
      <Field label="Title" value={form.title} onChange={set('title')} required />
      <label>
        Description
        <textarea aria-label="Description" value={form.description} onChange={set('description')} placeholder="The token’s own description when empty" />
      </label>
      <Field label="Price (ETH)" inputMode="decimal" value={form.price} onChange={set('price')} required />
      <button type="submit" className="button button-primary" disabled={busy}>
        {busy ? 'Reading the token…' : 'List NFT for approval'}
      </button>
      {created && <p className="notice">{created}</p>}
      {failure && (
        <p className="notice notice-error" role="alert">
          {failure}
        </p>
      )}
    </form>
  );
}

/** Admins only: approve or reject (with a reason) listings waiting for approval or reported. */
export function ModerationPage({ route }: { readonly route: Route }) {
  const run = useMarketQuery();
  const { data, error, reload } = useMarketData<{ moderationQueue: (Pick<Listing, 'id' | 'title' | 'description' | 'category' | 'price' | 'asset' | 'photos'> & { reportCount: number | null; seller: { storeName: string } })[] }>(
    `{ moderationQueue(limit: 30) { id title description category price asset reportCount seller { storeName } photos { id url thumbnailUrl } } }`,
    {},
    'moderation',
    5000,
  );
  const [failure, setFailure] = useState<string | null>(null);
  const decide = (id: string, decision: 'APPROVE' | 'REJECT') => {
    const reason = decision === 'REJECT' ? prompt('Why is it rejected? The seller sees this.') : null;
    if (decision === 'REJECT' && !reason) return;
    run('mutation ($id: ID!, $d: ModerationDecision!, $r: String) { moderateListing(id: $id, decision: $d, reason: $r) { id } }', { id, d: decision, r: reason })
      .then(reload)
      .catch((caught: unknown) => setFailure(failureText(caught)));
  };
  return (
    <section className="page" aria-label="Moderation">
      <MarketNav route={route} title="Moderation" />
      <div className="page-body">
        {(error || failure) && (
          <p className="notice notice-error" role="alert">
            {error ?? failure}
          </p>
        )}
        {data?.moderationQueue.length === 0 && <p className="muted">Nothing waits for moderation.</p>}
        {data?.moderationQueue.map((listing) => (
          <section key={listing.id} className="card market-moderation" aria-label={listing.title}>
            <h3>{listing.title}</h3>
            <p className="muted">
              {listing.category} · {formatAmount(listing.price, listing.asset)} · by {listing.seller.storeName}
              {listing.reportCount ? ` · reported ${listing.reportCount}×` : ''}
            </p>
            <p>{listing.description}</p>
            <div className="market-photo-picker">
              {listing.photos.map((photo) => (
                <MarketPhoto key={photo.id} path={photo.thumbnailUrl} alt={`Photo of ${listing.title}`} />
              ))}
            </div>
            <div className="market-actions">
              <button type="button" className="button button-primary" onClick={() => decide(listing.id, 'APPROVE')}>
                Approve
              </button>
              <button type="button" className="button button-danger" onClick={() => decide(listing.id, 'REJECT')}>
                Reject
              </button>
            </div>
          </section>
        ))}
      </div>
    </section>
  );
}
