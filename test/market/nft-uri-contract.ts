import { type Contract, ContractFactory, type Signer } from 'ethers';
import { createRequire } from 'node:module';
import { TEST_NFT_SOURCE } from './nft-contract.js';

const require = createRequire(import.meta.url);

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

let compiled: { abi: unknown[]; bytecode: string } | undefined;

function compile() {
  if (compiled) return compiled;
  if (!TEST_NFT_URIS_SOURCE.includes('setTokenURI')) throw new Error('the test contract’s tokenURI line changed: update nft-uri-contract.ts');
  const solc = require('solc') as { compile(input: string): string };
  const input = {
    language: 'Solidity',
    sources: { 'TestNftUris.sol': { content: TEST_NFT_URIS_SOURCE } },
    settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((error) => error.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((error) => error.formattedMessage).join('\n'));
  const contract = output.contracts['TestNftUris.sol']?.TestNftUris;
  if (!contract) throw new Error('TestNftUris not in the compiler output');
  compiled = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
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
