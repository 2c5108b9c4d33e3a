import { useState } from 'react';
import { type Route, navigate } from '../../app/router.js';
import { useSession } from '../../app/session-context.js';
import { ORDER, ORDER_ROW, type Order, type OrderState, formatAmount } from '../../state/market-api.js';
import { useStore } from '../../state/store.js';
import { MarketNav } from './MarketNav.js';
import { MarketPhoto } from './MarketPhoto.js';
import { failureText, useLiveMarketData, useMarketQuery } from './use-market.js';

/** The milestones a buyer follows, and the states that have reached each. */
const MILESTONES: readonly { readonly label: string; readonly reached: readonly OrderState[] }[] = [
  { label: 'Ordered', reached: ['REQUESTED', 'STOCK_RESERVED', 'PAID', 'SHIPPED', 'RELEASING', 'COMPLETED'] },
  { label: 'Paid into escrow', reached: ['PAID', 'SHIPPED', 'RELEASING', 'COMPLETED'] },
  { label: 'Shipped', reached: ['SHIPPED', 'RELEASING', 'COMPLETED'] },
  { label: 'Received, seller paid', reached: ['COMPLETED'] },
];

/** An NFT order's milestones: no shipping; the token's transfer on chain instead. */
const NFT_MILESTONES: readonly { readonly label: string; readonly reached: readonly OrderState[] }[] = [
  { label: 'Ordered', reached: ['REQUESTED', 'STOCK_RESERVED', 'PAID', 'TRANSFERRING', 'RELEASING', 'COMPLETED'] },
  { label: 'Paid into escrow', reached: ['PAID', 'TRANSFERRING', 'RELEASING', 'COMPLETED'] },
  { label: 'Transferring on chain', reached: ['TRANSFERRING', 'RELEASING', 'COMPLETED'] },
  { label: 'Token received, seller paid', reached: ['COMPLETED'] },
];

const STATE_WORDS: Readonly<Record<OrderState, string>> = {
  REQUESTED: 'Reserving stock…',
  STOCK_RESERVED: 'Paying into escrow…',
  PAID: 'Paid into escrow: waiting for the seller to ship',
  TRANSFERRING: 'Transferring the token on chain…',
  SHIPPED: 'Shipped: confirm once it arrives',
  RELEASING: 'Paying the seller…',
  COMPENSATING: 'Refunding…',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CANCELLED: 'Cancelled and refunded',
};

/** What a page listening to orders hears: only that something changed; it re-reads what it shows. */
const ORDER_UPDATED = 'subscription ($id: ID!) { orderUpdated(orderId: $id) { orderId state } }';
const MY_ORDER_UPDATES = 'subscription { myOrderUpdates { orderId state } }';

/** An order's progress, live (a GraphQL subscription), with the actions its buyer or seller may take now, and the review. */
export function OrderPage({ route, orderId }: { readonly route: Route; readonly orderId: string }) {
  const session = useSession();
  const state = useStore(session.state, (value) => value);
  const run = useMarketQuery();
  const { data, error, reload } = useLiveMarketData<{ order: Order | null }>(`query ($id: ID!) { order(id: $id) { ${ORDER} } }`, { id: orderId }, orderId, ORDER_UPDATED);
  const [failure, setFailure] = useState<string | null>(null);
  const [rating, setRating] = useState(5);
  const [text, setText] = useState('');
  const [reply, setReply] = useState('');
  const order = data?.order;
  const nft = order?.listing?.kind === 'NFT';
  const me = state.status === 'signed-in' ? state.me.id : '';
  const act = async (mutation: string, variables: Record<string, unknown>) => {
    setFailure(null);
    try {
      await run(mutation, variables);
      reload();
    } catch (caught) {
      setFailure(failureText(caught));
    }
  };

  return (
    <section className="page" aria-label="Order">
      <MarketNav route={route} title="Order" />
      <div className="page-body">
        {(error || (data && !order)) && (
          <p className="notice notice-error" role="alert">
            {error ?? 'No such order.'}
          </p>
        )}
        {order && (
          <>
            <section className="card market-order">
              <div className="market-order-head">
                <MarketPhoto path={order.listing?.photos[0]?.thumbnailUrl ?? null} alt="" />
                <div>
                  <h3>
                    <button type="button" className="link-button" onClick={() => order.listing && navigate({ name: 'listing', listingId: order.listing.id })}>
                      {order.listing?.title ?? 'Listing'}
                    </button>
                  </h3>
                  <p>
                    {order.quantity} × · {formatAmount(order.amount, order.asset)}
                  </p>
                  <p className="market-order-state" data-state={order.state} role="status">
                    {nft && order.state === 'PAID' ? 'Paid into escrow: sending the token…' : STATE_WORDS[order.state]}
                    {order.reason ? ` (${order.reason})` : ''}
                  </p>
                </div>
              </div>
              <ol className="market-progress" aria-label="Progress">
                {(nft ? NFT_MILESTONES : MILESTONES).map((milestone) => (
                  <li key={milestone.label} data-reached={milestone.reached.includes(order.state)}>
                    {milestone.label}
                  </li>
                ))}
              </ol>
              {order.nftTxHash && (
                <p className="nft-transfer" data-testid="nft-transfer">
                  Transfer transaction: <code>{order.nftTxHash}</code>
                </p>
              )}
              {!nft && order.deadlineAt && (order.state === 'PAID' || order.state === 'SHIPPED') && (
                <p className="muted">
                  {order.state === 'PAID' ? 'The buyer is refunded unless it ships by ' : 'The seller is paid automatically on '}
                  {new Date(order.deadlineAt).toLocaleString()}
                </p>
              )}
              <div className="market-actions">
                {!nft && order.sellerId === me && order.state === 'PAID' && (
                  <button type="button" className="button button-primary" onClick={() => void act('mutation ($id: ID!) { shipOrder(id: $id) { id } }', { id: order.id })}>
                    Mark as shipped
                  </button>
                )}
                {order.buyerId === me && order.state === 'SHIPPED' && (
                  <button type="button" className="button button-primary" onClick={() => void act('mutation ($id: ID!) { confirmReceipt(id: $id) { id } }', { id: order.id })}>
                    Confirm receipt
                  </button>
                )}
                {!nft && order.state === 'PAID' && (
                  <button type="button" className="button button-danger" onClick={() => void act('mutation ($id: ID!) { cancelOrder(id: $id) { id } }', { id: order.id })}>
                    Cancel order
                  </button>
                )}
              </div>
              {failure && (
                <p className="notice notice-error" role="alert">
                  {failure}
                </p>
              )}
            </section>
            {order.state === 'COMPLETED' && (
              <section className="card" aria-label="Review">
                <h3>Review</h3>
                {order.review ? (
                  <>
                    <p className="market-stars">{'★'.repeat(order.review.rating)}</p>
                    <p>{order.review.text}</p>
                    {order.review.reply && <p className="market-reply">Seller: {order.review.reply}</p>}
                    {order.sellerId === me && !order.review.reply && (
                      <form
                        className="market-form"
                        onSubmit={(event) => {
                          event.preventDefault();
                          void act('mutation ($o: ID!, $t: String!) { replyToReview(orderId: $o, text: $t) { orderId } }', { o: order.id, t: reply });
                        }}
                      >
                        <textarea aria-label="Reply" value={reply} onChange={(event) => setReply(event.target.value)} />
                        <button type="submit" className="button">
                          Reply
                        </button>
                      </form>
                    )}
                  </>
                ) : order.buyerId === me ? (
                  <form
                    className="market-form"
                    onSubmit={(event) => {
                      event.preventDefault();
                      void act('mutation ($o: ID!, $r: Int!, $t: String!) { reviewOrder(orderId: $o, rating: $r, text: $t) { orderId } }', { o: order.id, r: rating, t: text });
                    }}
                  >
                    <label>
                      Rating
                      <select aria-label="Rating" value={rating} onChange={(event) => setRating(Number(event.target.value))}>
                        {[5, 4, 3, 2, 1].map((value) => (
                          <option key={value} value={value}>
                            {'★'.repeat(value)}
                          </option>
                        ))}
                      </select>
                    </label>
                    <textarea aria-label="Your review" value={text} onChange={(event) => setText(event.target.value)} />
                    <button type="submit" className="button button-primary">
                      Post review
                    </button>
                  </form>
                ) : (
                  <p className="muted">The buyer has not reviewed this order yet.</p>
                )}
              </section>
            )}
          </>
        )}
      </div>
    </section>
  );
}

/** The caller's orders as a buyer and as a seller. */
export function OrdersPage({ route }: { readonly route: Route }) {
  const query = `{ bought: myOrders(role: BUYER, limit: 50) { ${ORDER_ROW} } sold: myOrders(role: SELLER, limit: 50) { ${ORDER_ROW} } }`;
  const { data, error } = useLiveMarketData<{ bought: Order[]; sold: Order[] }>(query, {}, 'orders', MY_ORDER_UPDATES);
  return (
    <section className="page" aria-label="My orders">
      <MarketNav route={route} title="My orders" />
      <div className="page-body">
        {error && (
          <p className="notice notice-error" role="alert">
            {error}
          </p>
        )}
        <OrderList title="Bought" orders={data?.bought ?? []} />
        <OrderList title="Sold" orders={data?.sold ?? []} />
      </div>
    </section>
  );
}

export function OrderList({ title, orders }: { readonly title: string; readonly orders: readonly Pick<Order, 'id' | 'quantity' | 'amount' | 'asset' | 'state' | 'listing'>[] }) {
  return (
    <section className="card" aria-label={title}>
      <h3>{title}</h3>
      {orders.length === 0 && <p className="muted">None yet.</p>}
      <ul className="market-order-list">
        {orders.map((order) => (
          <li key={order.id}>
            <button type="button" className="link-button" onClick={() => navigate({ name: 'order', orderId: order.id })}>
              {order.listing?.title ?? 'Listing'} · {order.quantity} × · {formatAmount(order.amount, order.asset)}
            </button>
            <span className="market-order-state" data-state={order.state}>
              {STATE_WORDS[order.state]}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
