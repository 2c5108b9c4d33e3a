import { getAddress, parseEther } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChainKeys } from '../../packages/server/src/modules/wallet/chains/chain-keys.js';
import type { ChainTables } from '../../packages/server/src/modules/wallet/chains/chain-tables.js';
import { EvmChain } from '../../packages/server/src/modules/wallet/chains/evm-chain.js';
import { EvmNftCustody } from '../../packages/server/src/modules/wallet/chains/evm-nft.js';
import { call } from '../identity/identity-http.js';
import { registerUser } from '../support/accounts.js';
import { type LocalChain, startAnvil } from '../support/anvil.js';
import { type TestServer, startTestServer } from '../support/test-server.js';
import { evmEnv } from '../wallet/chain-fixtures.js';
import { deployTestNft } from './nft-contract.js';

/** A user of the server with their custodial EVM deposit address and its derivation index. */
async function custodialUser(server: TestServer) {
  const user = await registerUser(server);
  const reply = await call<{ address: string }>(server, 'GET', '/api/v1/wallet/deposit-address?asset=ETH', { token: user.accessToken });
  expect(reply.status).toBe(200);
  const row = await server.adapters.db
    .kysely<ChainTables>()
    .selectFrom('wallet.deposit_addresses')
    .select('derivation_index')
    .where('family', '=', 'evm')
    .where('user_id', '=', user.user.id)
    .executeTakeFirstOrThrow();
  return { ...user, address: getAddress(reply.body.address), index: row.derivation_index };
}

describe('ERC-721 tokens on custodial addresses (wallet/chains evm-nft, anvil)', () => {
  let chain: LocalChain;
  let server: TestServer;
  let custody: EvmNftCustody;
  let evm: EvmChain;

  beforeAll(async () => {
    chain = await startAnvil();
    server = await startTestServer({ roles: ['api'], env: evmEnv(chain, 1) });
    const keys = await ChainKeys.load(server.adapters.db.kysely<ChainTables>(), server.adapters.secrets, 'evm');
    evm = new EvmChain('ETH', chain.chainId, chain.url, server.adapters.policyFor('chain:eth'));
    custody = new EvmNftCustody(evm, keys);
  });
  afterAll(async () => {
    evm?.destroy();
    await server?.stop();
    await chain?.stop();
  });

  it("reads a token minted to a user's deposit address and transfers it with the address's own key", async () => {
    const seller = await custodialUser(server);
    const buyer = await custodialUser(server);
    const nft = await deployTestNft(chain.funder);
    const contract = await nft.getAddress();
    await (await nft.getFunction('mint')(seller.address, 1n)).wait();

    expect(await custody.ownerOf(contract, 1n)).toBe(seller.address);
    expect(await custody.ownerOf(contract, 99n)).toBeUndefined();
    expect(await custody.tokenUri(contract, 1n)).toBe('https://nft.example/1.json');

    // The custodial address pays its own gas.
    await chain.send(seller.address, parseEther('0.01'));
    const signed = await custody.signTransfer({ derivationIndex: seller.index, contract, to: buyer.address, tokenId: 1n });
    expect(signed.hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await custody.outcome(signed.hash)).toBeUndefined();
    expect((await custody.broadcast(signed.raw)).kind).toBe('sent');
    // The same bytes again (a resend after a crash) send nothing twice.
    expect(['alreadyKnown', 'nonceUsed']).toContain((await custody.broadcast(signed.raw)).kind);
    await chain.mine(1);
    expect((await custody.outcome(signed.hash))?.state).toBe('transferred');
    expect(await custody.ownerOf(contract, 1n)).toBe(buyer.address);
  });

  it('a transfer of a token that left the address reverts on chain, and the receipt says so', async () => {
    const seller = await custodialUser(server);
    const buyer = await custodialUser(server);
    const nft = await deployTestNft(chain.funder);
    const contract = await nft.getAddress();
    await (await nft.getFunction('mint')(seller.address, 5n)).wait();
    await chain.send(seller.address, parseEther('0.01'));

    // The token leaves the address first (as if moved by another transfer).
    const elsewhere = '0x000000000000000000000000000000000000dEaD';
    const moveAway = await custody.signTransfer({ derivationIndex: seller.index, contract, to: elsewhere, tokenId: 5n });
    await custody.broadcast(moveAway.raw);
    await chain.mine(1);
    expect(await custody.ownerOf(contract, 5n)).toBe(getAddress(elsewhere));

    // A transfer signed now is still signed and sent (fixed gas, no estimate), and reverts in its block.
    const signed = await custody.signTransfer({ derivationIndex: seller.index, contract, to: buyer.address, tokenId: 5n });
    expect(signed.nonce).toBe(moveAway.nonce + 1);
    expect((await custody.broadcast(signed.raw)).kind).toBe('sent');
    await chain.mine(1);
    const outcome = await custody.outcome(signed.hash);
    expect(outcome?.state).toBe('reverted');
    expect(outcome?.gasCost).toBeGreaterThan(0n);
    expect(await custody.ownerOf(contract, 5n)).toBe(getAddress(elsewhere));
  });
});
