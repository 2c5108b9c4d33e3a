const HUES = [210, 265, 330, 20, 145, 185, 45];

/** Initials on a colour derived from the id, so a person keeps their colour everywhere. */
export function Avatar({ id, name, size = 40, online }: { readonly id: string; readonly name: string; readonly size?: number; readonly online?: boolean }) {
  const hue = HUES[hashOf(id) % HUES.length];
  const initials = name
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((word) => word[0]?.toUpperCase())
    .join('');
  return (
    <span className="avatar" style={{ width: size, height: size, fontSize: size * 0.4, ['--avatar-hue' as string]: hue }} aria-hidden="true">
      {initials || '?'}
      {online && <span className="avatar-online" title="online" />}
    </span>
  );
}

function hashOf(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (hash * 31 + text.charCodeAt(i)) >>> 0;
  return hash;
}
