import type { MessageView as Message, ServerFrame } from '@kaif/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULES } from '../../packages/server/src/modules/index.js';
import type { WalletApi } from '../../packages/server/src/modules/wallet/api.js';
import { createWalletModule } from '../../packages/server/src/modules/wallet/wallet-module.js';
import type { WalletTables } from '../../packages/server/src/modules/wallet/wallet-tables.js';
import { ENGINE_SETS, call, newAdmin } from '../identity/identity-http.js';
import { syncedSocket, waitFor } from '../realtime/realtime-fixtures.js';
import { type RegisteredUser, registerUser } from '../support/accounts.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { ETH, depositFor } from './wallet-fixtures.js';

interface TransferBody {
  transfer: { id: string; fromUserId: string; toUserId: string; asset: string; amount: string; chatId: string | null; messageId: string | null };
}

async function waitForAsync(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

for (const engines of ENGINE_SETS) {
  describe(`wallet transfers (${engines})`, () => {
    let server: TestServer;
    let wallet: WalletApi;
    let alice: RegisteredUser;
    let bob: RegisteredUser;
    let carol: RegisteredUser;
    let chatId: string;

    const balanceOf = async (user: RegisteredUser, asset = 'ETH') => {
      const reply = await call<{ balances: { asset: string; amount: string }[] }>(server, 'GET', '/api/v1/wallet', { token: user.accessToken });
      return BigInt(reply.body.balances.find((balance) => balance.asset === asset)?.amount ?? 'x');
    };
    const send = (from: RegisteredUser, body: Record<string, unknown>) =>
      call<TransferBody & { error?: { code: string } }>(server, 'POST', '/api/v1/wallet/transfers', { token: from.accessToken, body });

    beforeAll(async () => {
      server = await startTestServer({
        engines,
        modules: MODULES.map((module) => (module.name === 'wallet' ? createWalletModule({ sweepEveryMs: 200 }) : module)),
      });
      wallet = server.service('wallet');
      [alice, bob, carol] = await Promise.all([registerUser(server), registerUser(server), registerUser(server)]);
      const chat = await call<{ id: string }>(server, 'POST', '/api/v1/chats', { token: alice.accessToken, body: { type: 'direct', memberIds: [bob.user.id] } });
      chatId = chat.body.id;
      await depositFor(wallet, alice.user.id, 'ETH', 3n * ETH);
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
    });

    it('moves money between users at once; the same key again is the same transfer; short of funds is 409', async () => {
      const first = await send(alice, { toUserId: bob.user.id, asset: 'ETH', amount: (ETH / 4n).toString(), idempotencyKey: 'pay-bob-1' });
      expect(first.status).toBe(201);
      expect(first.body.transfer).toMatchObject({ fromUserId: alice.user.id, toUserId: bob.user.id, asset: 'ETH', amount: (ETH / 4n).toString(), chatId: null });
      const again = await send(alice, { toUserId: bob.user.id, asset: 'ETH', amount: (ETH / 4n).toString(), idempotencyKey: 'pay-bob-1' });
      expect(again.status).toBe(201);
      expect(again.body.transfer.id).toBe(first.body.transfer.id);
      expect(await balanceOf(bob)).toBe(ETH / 4n);
      expect(await balanceOf(alice)).toBe(3n * ETH - ETH / 4n);

      const broke = await send(bob, { toUserId: alice.user.id, asset: 'ETH', amount: ETH.toString(), idempotencyKey: 'too-much' });
      expect(broke.status).toBe(409);
      expect(broke.body.error?.code).toBe('INSUFFICIENT_FUNDS');
      expect(await balanceOf(bob)).toBe(ETH / 4n);

      expect((await send(alice, { toUserId: alice.user.id, asset: 'ETH', amount: '1', idempotencyKey: 'self' })).body.error?.code).toBe('TRANSFER_TO_SELF');
      expect((await send(alice, { toUserId: bob.user.id, asset: 'ETH', amount: '0', idempotencyKey: 'zero' })).body.error?.code).toBe('AMOUNT_INVALID');
      expect((await send(alice, { toUserId: bob.user.id, asset: 'ETH', amount: '0.5', idempotencyKey: 'float' })).status).toBe(400);
      expect((await send(alice, { toUserId: bob.user.id, asset: 'BNB', amount: '1', idempotencyKey: 'off' })).body.error?.code).toBe('ASSET_NOT_ENABLED');
      // Keys are the sender's own: bob may use alice's key for his own transfer.
      const bobs = await send(bob, { toUserId: alice.user.id, asset: 'ETH', amount: '5', idempotencyKey: 'pay-bob-1' });
      expect(bobs.status).toBe(201);
      expect(bobs.body.transfer.id).not.toBe(first.body.transfer.id);
    });

    it('concurrent retries of one key move the money once', async () => {
      const before = await balanceOf(alice);
      const replies = await Promise.all(
        Array.from({ length: 8 }, () => send(alice, { toUserId: carol.user.id, asset: 'ETH', amount: '1000', idempotencyKey: 'storm-1' })),
      );
      expect(new Set(replies.map((reply) => reply.status))).toEqual(new Set([201]));
      expect(new Set(replies.map((reply) => reply.body.transfer.id)).size).toBe(1);
      expect(await balanceOf(alice)).toBe(before - 1000n);
      expect(await balanceOf(carol)).toBe(1000n);
    });

    it('in a chat: a transfer message both sides see live and on catch-up, and the receiver’s balance moves live', async () => {
      const bobSocket = await syncedSocket(server.url, bob.accessToken);
      const aliceSocket = await syncedSocket(server.url, alice.accessToken);
      const oldCursor = bobSocket.cursor;
      const bobBefore = await balanceOf(bob);
      const half = (ETH / 2n).toString();
      const sent = await send(alice, { toUserId: bob.user.id, asset: 'ETH', amount: half, idempotencyKey: 'chat-pay-1', chatId });
      expect(sent.status).toBe(201);
      expect(sent.body.transfer.chatId).toBe(chatId);
      expect(sent.body.transfer.messageId).toEqual(expect.any(String));
      const expected = { id: sent.body.transfer.id, fromUserId: alice.user.id, toUserId: bob.user.id, asset: 'ETH', amount: half };

      for (const socket of [bobSocket, aliceSocket]) {
        const live = await socket.next('message.new');
        expect(live.chatId).toBe(chatId);
        expect(live.data).toMatchObject({ id: sent.body.transfer.messageId, senderId: alice.user.id, text: null, transfer: expected });
      }
      const balanceFrame = await bobSocket.next('wallet.balance');
      expect(balanceFrame).toMatchObject({ asset: 'ETH', amount: (bobBefore + ETH / 2n).toString(), kind: 'transfer' });

      // The same key again: the same transfer, and still one message in the chat.
      const again = await send(alice, { toUserId: bob.user.id, asset: 'ETH', amount: half, idempotencyKey: 'chat-pay-1', chatId });
      expect(again.body.transfer).toEqual(sent.body.transfer);

      const catchUp = await syncedSocket(server.url, bob.accessToken, oldCursor);
      const replayed = catchUp.frames.filter((frame): frame is Extract<ServerFrame, { type: 'message.new' }> => frame.type === 'message.new');
      expect(replayed.map((frame) => frame.data.transfer)).toEqual([expected]);

      const history = await call<Message[] | { messages: Message[] }>(server, 'GET', `/api/v1/chats/${chatId}/messages`, { token: bob.accessToken });
      const messages = Array.isArray(history.body) ? history.body : history.body.messages;
      expect(messages.filter((message) => message.transfer)).toEqual([expect.objectContaining({ id: sent.body.transfer.messageId, transfer: expected })]);
      for (const socket of [bobSocket, aliceSocket, catchUp]) socket.socket.close();
    });

    it('a chat transfer whose message a crash left unposted gets it from the worker’s sweep, once', async () => {
      // The state a kill between the ledger commit and the chat append leaves: the move and a transfer row without a message.
      const { transaction } = await wallet.post({
        idempotencyKey: `transfer:${alice.user.id}:crashed-1`,
        kind: 'transfer',
        actor: { kind: 'user', id: alice.user.id },
        postings: [
          { account: { user: alice.user.id }, asset: 'ETH', amount: -3n },
          { account: { user: bob.user.id }, asset: 'ETH', amount: 3n },
        ],
      });
      const transferId = '11111111-2222-4333-8444-555555555555';
      await server.adapters.db
        .kysely<WalletTables>()
        .insertInto('wallet.transfers')
        .values({
          id: transferId,
          transaction_id: transaction.id,
          from_user_id: alice.user.id,
          to_user_id: bob.user.id,
          asset: 'ETH',
          amount: '3',
          chat_id: chatId,
          message_id: null,
          message_seq: null,
          message_error: null,
          created_at: new Date(Date.now() - 60_000),
        })
        .execute();
      const shown = async () => {
        const history = await call<{ messages: Message[] }>(server, 'GET', `/api/v1/chats/${chatId}/messages?limit=100`, { token: bob.accessToken });
        return history.body.messages.filter((message) => message.transfer?.id === transferId);
      };
      await waitForAsync(async () => (await shown()).length > 0, 10_000);
      expect(await shown()).toEqual([expect.objectContaining({ senderId: alice.user.id, transfer: expect.objectContaining({ amount: '3' }) })]);
      const transfer = await call<TransferBody['transfer']>(server, 'GET', `/api/v1/wallet/transfers/${transferId}`, { token: alice.accessToken });
      expect(transfer.body.messageId).toBe((await shown())[0]!.id);
      // Later sweeps leave it alone: still one message.
      await new Promise((resolve) => setTimeout(resolve, 600));
      expect(await shown()).toHaveLength(1);
    });

    it('refuses a chat transfer to someone outside the chat, moving nothing', async () => {
      const before = await balanceOf(alice);
      const reply = await send(alice, { toUserId: carol.user.id, asset: 'ETH', amount: '1', idempotencyKey: 'outsider', chatId });
      expect(reply.status).toBe(404);
      expect(reply.body.error?.code).toBe('MEMBER_NOT_FOUND');
      expect(await balanceOf(alice)).toBe(before);
      const stranger = await send(carol, { toUserId: alice.user.id, asset: 'ETH', amount: '1', idempotencyKey: 'stranger', chatId });
      expect(stranger.body.error?.code).toBe('CHAT_NOT_FOUND');
    });

    it('a transfer message cannot be edited', async () => {
      const sent = await send(alice, { toUserId: bob.user.id, asset: 'ETH', amount: '7', idempotencyKey: 'no-edit', chatId });
      const edit = await call(server, 'PATCH', `/api/v1/chats/${chatId}/messages/${sent.body.transfer.messageId}`, {
        token: alice.accessToken,
        body: { text: 'actually 7000' },
      });
      expect(edit.body.error.code).toBe('CHAT_TYPE_MISMATCH');
    });

    it('lists the caller’s transfers and ledger history, newest first, and nobody else’s', async () => {
      const page = await call<{ transfers: TransferBody['transfer'][] }>(server, 'GET', '/api/v1/wallet/transfers?limit=2', { token: bob.accessToken });
      expect(page.status).toBe(200);
      expect(page.body.transfers).toHaveLength(2);
      expect(page.body.transfers[0]).toMatchObject({ amount: '7', fromUserId: alice.user.id });
      const next = await call<{ transfers: TransferBody['transfer'][] }>(server, 'GET', `/api/v1/wallet/transfers?limit=50&before=${page.body.transfers[1]!.id}`, {
        token: bob.accessToken,
      });
      const all = [...page.body.transfers, ...next.body.transfers];
      expect(all.map((transfer) => transfer.amount)).toEqual(['7', (ETH / 2n).toString(), '5', (ETH / 4n).toString(), '3']);
      const foreign = await call(server, 'GET', `/api/v1/wallet/transfers/${all[0]!.id}`, { token: carol.accessToken });
      expect(foreign.body.error.code).toBe('TRANSFER_NOT_FOUND');
      const ledger = await call<{ entries: { kind: string; amount: string }[] }>(server, 'GET', '/api/v1/wallet/history?asset=ETH', { token: alice.accessToken });
      expect(ledger.body.entries.at(-1)).toMatchObject({ kind: 'deposit', amount: (3n * ETH).toString() });
      expect(ledger.body.entries[0]).toMatchObject({ kind: 'transfer', amount: '-7' });
    });

    it('audits every action with its session, refusals included, for admins only', async () => {
      const adminToken = await newAdmin(server);
      const forbidden = await call(server, 'GET', '/api/v1/admin/wallet/audit', { token: bob.accessToken });
      expect(forbidden.status).toBe(403);
      const audit = await call<{ entries: { action: string; outcome: string; actorId: string; sessionId: string | null; details: Record<string, unknown> }[] }>(
        server,
        'GET',
        `/api/v1/admin/wallet/audit?userId=${bob.user.id}`,
        { token: adminToken },
      );
      expect(audit.status).toBe(200);
      const refused = audit.body.entries.find((entry) => entry.outcome === 'refused');
      expect(refused).toMatchObject({ action: 'transfer', actorId: bob.user.id, details: expect.objectContaining({ code: 'INSUFFICIENT_FUNDS' }) });
      expect(refused?.sessionId).toEqual(expect.any(String));
      expect(audit.body.entries.filter((entry) => entry.action === 'transfer' && entry.outcome === 'ok').length).toBeGreaterThanOrEqual(1);
    });

    it('after everything, the ledger holds together', async () => {
      await waitFor(() => true);
      const check = await wallet.reconcile();
      expect(check).toMatchObject({ ok: true, balanceMismatches: [], unbalancedTransactions: [], negativeAccounts: [] });
    });
  });
}
