import { useMediaUrl } from '../conversation/use-media-url.js';

/** A listing's photo, fetched with the token (media needs one); a plain tile until it arrives. */
export function MarketPhoto({ path, alt, className }: { readonly path: string | null; readonly alt: string; readonly className?: string }) {
  const url = useMediaUrl(path);
  return url ? <img className={className ?? 'market-photo'} src={url} alt={alt} /> : <div className={`${className ?? 'market-photo'} market-photo-empty`} role="img" aria-label={alt} />;
}
