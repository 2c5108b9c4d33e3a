import { createRequire } from 'node:module';
import { ContractFactory, type Contract, type Signer } from 'ethers';

const require = createRequire(import.meta.url);

/**
 * A minimal ERC-721 for the tests: ownerOf, approvals, transferFrom and
 * safeTransferFrom (with the receiver check), tokenURI, and a mint open to
 * its deployer. Compiled in the test by solc-js (wasm, no native compiler).
 */
export const TEST_NFT_SOURCE = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

interface IERC721Receiver {
  function onERC721Received(address operator, address from, uint256 tokenId, bytes calldata data) external returns (bytes4);
}

contract TestNft {
  string public name;
  string public symbol;
  address public minter;
  mapping(uint256 => address) private owners;
  mapping(address => uint256) private balances;
  mapping(uint256 => address) private approvals;
  mapping(address => mapping(address => bool)) private operators;

  event Transfer(address indexed from, address indexed to, uint256 indexed tokenId);
  event Approval(address indexed owner, address indexed approved, uint256 indexed tokenId);
  event ApprovalForAll(address indexed owner, address indexed operator, bool approved);

  constructor(string memory name_, string memory symbol_) { name = name_; symbol = symbol_; minter = msg.sender; }

  function supportsInterface(bytes4 id) external pure returns (bool) {
    return id == 0x01ffc9a7 || id == 0x80ac58cd || id == 0x5b5e139f;
  }
  function balanceOf(address owner) external view returns (uint256) { require(owner != address(0), "zero address"); return balances[owner]; }
  function ownerOf(uint256 tokenId) public view returns (address) { address owner = owners[tokenId]; require(owner != address(0), "no such token"); return owner; }
  function tokenURI(uint256 tokenId) external view returns (string memory) { ownerOf(tokenId); return string(abi.encodePacked("https://nft.example/", toString(tokenId), ".json")); }
  function approve(address to, uint256 tokenId) external {
    address owner = ownerOf(tokenId);
    require(msg.sender == owner || operators[owner][msg.sender], "not allowed");
    approvals[tokenId] = to; emit Approval(owner, to, tokenId);
  }
  function getApproved(uint256 tokenId) external view returns (address) { ownerOf(tokenId); return approvals[tokenId]; }
  function setApprovalForAll(address operator, bool approved) external { operators[msg.sender][operator] = approved; emit ApprovalForAll(msg.sender, operator, approved); }
  function isApprovedForAll(address owner, address operator) external view returns (bool) { return operators[owner][operator]; }
  function mint(address to, uint256 tokenId) external {
    require(msg.sender == minter, "only minter"); require(to != address(0), "zero address"); require(owners[tokenId] == address(0), "minted");
    owners[tokenId] = to; balances[to] += 1; emit Transfer(address(0), to, tokenId);
  }
  function transferFrom(address from, address to, uint256 tokenId) public {
    address owner = ownerOf(tokenId);
    require(owner == from, "not the owner");
    require(to != address(0), "zero address");
    require(msg.sender == owner || approvals[tokenId] == msg.sender || operators[owner][msg.sender], "not allowed");
    delete approvals[tokenId]; balances[from] -= 1; balances[to] += 1; owners[tokenId] = to;
    emit Transfer(from, to, tokenId);
  }
  function safeTransferFrom(address from, address to, uint256 tokenId) external { safeTransferFrom(from, to, tokenId, ""); }
  function safeTransferFrom(address from, address to, uint256 tokenId, bytes memory data) public {
    transferFrom(from, to, tokenId);
    if (to.code.length > 0) {
      require(IERC721Receiver(to).onERC721Received(msg.sender, from, tokenId, data) == IERC721Receiver.onERC721Received.selector, "not a receiver");
    }
  }
  function toString(uint256 value) private pure returns (string memory) {
    if (value == 0) return "0";
    uint256 digits; for (uint256 v = value; v != 0; v /= 10) digits++;
    bytes memory out = new bytes(digits);
    while (value != 0) { digits--; out[digits] = bytes1(uint8(48 + (value % 10))); value /= 10; }
    return string(out);
  }
}
`;

export interface Compiled {
  abi: unknown[];
  bytecode: string;
}

/** Compiles one contract with solc-js (wasm, no native compiler). */
export function compileSolidity(contractName: string, source: string): Compiled {
  const solc = require('solc') as { compile(input: string): string };
  const file = `${contractName}.sol`;
  const input = {
    language: 'Solidity',
    sources: { [file]: { content: source } },
    settings: { optimizer: { enabled: true, runs: 200 }, outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((error) => error.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((error) => error.formattedMessage).join('\n'));
  const contract = output.contracts[file]?.[contractName];
  if (!contract) throw new Error(`${contractName} not in the compiler output`);
  return { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
}

let compiled: Compiled | undefined;

/** Compiles the test contract (once per process). */
export function compileTestNft(): Compiled {
  compiled ??= compileSolidity('TestNft', TEST_NFT_SOURCE);
  return compiled;
}

/** Deploys a fresh TestNft from the signer (its minter). */
export async function deployTestNft(deployer: Signer, name = 'Kaif Cats', symbol = 'KCAT'): Promise<Contract> {
  const { abi, bytecode } = compileTestNft();
  const factory = new ContractFactory(abi as never, bytecode, deployer);
  const contract = await factory.deploy(name, symbol);
  await contract.waitForDeployment();
  return contract as Contract;
}
