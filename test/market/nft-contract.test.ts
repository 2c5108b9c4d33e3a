import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalChain, startAnvil } from '../support/anvil.js';
import { deployTestNft } from './nft-contract.js';

describe('the ERC-721 test contract (solc-js, anvil)', () => {
  let chain: LocalChain;
  beforeAll(async () => {
    chain = await startAnvil();
  });
  afterAll(async () => {
    await chain?.stop();
  });

  it('compiles, deploys, mints and transfers', async () => {
    const nft = await deployTestNft(chain.funder);
    const holder = '0x000000000000000000000000000000000000dEaD';
    await (await nft.getFunction('mint')(chain.funder.address, 7n)).wait();
    expect(await nft.getFunction('ownerOf')(7n)).toBe(chain.funder.address);
    expect(await nft.getFunction('tokenURI')(7n)).toBe('https://nft.example/7.json');
    await (await nft.getFunction('safeTransferFrom(address,address,uint256)')(chain.funder.address, holder, 7n)).wait();
    expect(await nft.getFunction('ownerOf')(7n)).toBe(holder);
    await expect(nft.getFunction('safeTransferFrom(address,address,uint256)')(chain.funder.address, holder, 7n)).rejects.toThrow(/not the owner/);
  });
});
