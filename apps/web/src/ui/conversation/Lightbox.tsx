import { useEffect } from 'react';
import type { Media } from '../../state/types.js';
import { Icon } from '../common/Icon.js';
import { useMediaUrl } from './use-media-url.js';

/** A photo full size over the page; Escape, the close button or a click outside closes it. */
export function Lightbox({ media, onClose }: { readonly media: Media; readonly onClose: () => void }) {
  const full = useMediaUrl(media.url);
  const preview = useMediaUrl(media.thumbnailUrl);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => event.key === 'Escape' && onClose();
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, [onClose]);
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: Escape closes it from anywhere (the listener above); the click is the mouse's way out
    <div className="lightbox" role="dialog" aria-modal="true" aria-label={media.name} onClick={onClose}>
      <button type="button" className="icon-button lightbox-close" aria-label="Close" onClick={onClose}>
        <Icon name="close" />
      </button>
      <img
        className="lightbox-image"
        src={full ?? preview ?? media.placeholder}
        alt={media.name}
        data-full={full ? 'true' : 'false'}
        width={media.width}
        height={media.height}
      />
    </div>
  );
}
