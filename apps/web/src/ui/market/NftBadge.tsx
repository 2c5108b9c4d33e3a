import { navigate } from '../../app/router.js';
import type { NftToken } from '../../state/market-api.js';

/** `0x1234…abcd`: a contract address short enough for a badge (the whole one is its title). */
export const shortAddress = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;

/**
 * The badge on an NFT listing: chain, contract and token id. With
 * `linked`, it opens the token's collection page (a span otherwise, for
 * use inside a card that is itself a button).
 */
export function NftBadge({ nft, linked = false }: { readonly nft: Pick<NftToken, 'chain' | 'contract' | 'tokenId'>; readonly linked?: boolean }) {
  const label = `NFT on ${nft.chain}, contract ${nft.contract}, token ${nft.tokenId}`;
  const content = (
    <>
      <span className="nft-badge-kind">NFT</span>
      <span>{nft.chain}</span>
      <code title={nft.contract}>{shortAddress(nft.contract)}</code>
      <span>#{nft.tokenId}</span>
    </>
  );
  return linked ? (
    <button type="button" className="nft-badge" aria-label={`${label}: open the collection`} onClick={() => navigate({ name: 'collection', chain: nft.chain, contract: nft.contract })}>
      {content}
    </button>
  ) : (
    <span className="nft-badge" role="img" aria-label={label}>
      {content}
    </span>
  );
}
