import { useState } from 'react';
import { useMessenger } from '../../app/session-context.js';
import type { Media } from '../../state/types.js';
import { Lightbox } from './Lightbox.js';
import { useMediaUrl } from './use-media-url.js';

/** What a message carries: a photo (placeholder, then thumbnail, then full size on click), a video, a voice note or a file card. */
export function MediaAttachment({ media }: { readonly media: Media }) {
  switch (media.kind) {
    case 'image':
      return <Photo media={media} />;
    case 'video':
      return <Playable media={media} />;
    case 'audio':
      return <Playable media={media} />;
    default:
      return <FileCard media={media} />;
  }
}

function Photo({ media }: { readonly media: Media }) {
  const thumbnail = useMediaUrl(media.thumbnailUrl);
  const [open, setOpen] = useState(false);
  const ratio = media.width && media.height ? `${media.width} / ${media.height}` : undefined;
  return (
    <>
      <button type="button" className="media-photo" aria-label={`Open photo ${media.name}`} onClick={() => setOpen(true)} style={{ aspectRatio: ratio }}>
        {media.placeholder && <img className="media-placeholder" src={media.placeholder} alt="" aria-hidden="true" />}
        {thumbnail && <img className="media-thumbnail" src={thumbnail} alt={media.name} />}
      </button>
      {open && <Lightbox media={media} onClose={() => setOpen(false)} />}
    </>
  );
}

/**
 * Video and audio load nothing until asked to play; then they stream from a
 * short-lived link (Range requests), so a long video starts at once.
 */
function Playable({ media }: { readonly media: Media }) {
  const messenger = useMessenger();
  const [source, setSource] = useState<string | null>(null);
  const poster = useMediaUrl(media.thumbnailUrl);
  const length = media.durationMs === undefined ? '' : duration(media.durationMs);
  if (source) {
    return media.kind === 'video' ? (
      // biome-ignore lint/a11y/useMediaCaption: user uploads come without captions
      <video className="media-video" src={source} poster={poster ?? undefined} controls autoPlay />
    ) : (
      // biome-ignore lint/a11y/useMediaCaption: voice notes come without captions
      <audio className="media-audio" src={source} controls autoPlay />
    );
  }
  return (
    <button
      type="button"
      className={`media-play media-play-${media.kind}`}
      onClick={() => {
        messenger
          .mediaLink(media.id)
          .then(setSource)
          .catch(() => undefined);
      }}
      aria-label={`Play ${media.name}`}
    >
      {poster && <img src={poster} alt="" aria-hidden="true" />}
      {media.waveform && (
        <span className="waveform" aria-hidden="true">
          {media.waveform.map((level, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the bars never move; their place is their identity
            <span key={index} style={{ height: `${Math.max(2, (level / 31) * 24)}px` }} />
          ))}
        </span>
      )}
      <span className="media-play-label">▶ {media.kind === 'video' ? 'Video' : 'Voice'} {length}</span>
    </button>
  );
}

function FileCard({ media }: { readonly media: Media }) {
  const messenger = useMessenger();
  async function download() {
    const url = await messenger.mediaUrl(media.url);
    const link = document.createElement('a');
    link.href = url;
    link.download = media.name;
    link.click();
  }
  return (
    <div className="media-file">
      <span className="media-file-name">{media.name}</span>
      <span className="media-file-size">{bytes(media.size)}</span>
      <button type="button" className="media-file-download" onClick={() => void download()}>
        Download
      </button>
    </div>
  );
}

export function bytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(0)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}
