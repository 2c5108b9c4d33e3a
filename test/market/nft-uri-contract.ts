import { type Contract, ContractFactory, type Signer } from 'ethers';
import { type Compiled, TEST_NFT_SOURCE, compileSolidity } from './nft-contract.js';

/**
 * The test ERC-721 (nft-contract.ts) with a tokenURI per token that its
 * minter sets (`setTokenURI`): a data: URI, a local server's URL, an
 * ipfs:// address. Compiled by solc-js in the test.
 */
export const TEST_NFT_URIS_SOURCE = TEST_NFT_SOURCE.replace('contract TestNft {', 'contract TestNftUris {').replace(
  /function tokenURI\(uint256 tokenId\)[^\n]*\n/,
  `mapping(uint256 => string) private uris;
  function tokenURI(uint256 tokenId) external view returns (string memory) { ownerOf(tokenId); return uris[tokenId]; }
  function setTokenURI(uint256 tokenId, string calldata uri) external { require(msg.sender == minter, "only minter"); uris[tokenId] = uri; }
`,
);

let compiled: Compiled | undefined;

function compile(): Compiled {
  if (compiled) return compiled;
  if (!TEST_NFT_URIS_SOURCE.includes('setTokenURI')) throw new Error('the test contract’s tokenURI line changed: update nft-uri-contract.ts');
  compiled = compileSolidity('TestNftUris', TEST_NFT_URIS_SOURCE);
  return compiled;
}

/** Deploys a fresh TestNftUris; `mint(to, id, uri)` mints a token with its URI. */
export async function deployUriNft(deployer: Signer, name = 'Kaif Lanterns', symbol = 'KLNT') {
  const { abi, bytecode } = compile();
  const contract = (await (await new ContractFactory(abi as never, bytecode, deployer).deploy(name, symbol)).waitForDeployment()) as Contract;
  return {
    contract,
    address: await contract.getAddress(),
    async mint(to: string, tokenId: bigint, uri: string) {
      await (await contract.getFunction('mint')(to, tokenId)).wait();
      await (await contract.getFunction('setTokenURI')(tokenId, uri)).wait();
    },
  };
}
