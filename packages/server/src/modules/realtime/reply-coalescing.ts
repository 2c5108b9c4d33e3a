import type { Duplex } from 'node:stream';

/** Sockets corked during this turn of the event loop, uncorked together at its end. */
const corked = new Set<Duplex>();

/**
 * The replies to the frames of one received chunk leave in one write. `ws`
 * writes every frame with a syscall of its own; under a flood, answering
 * frame by frame cost the gateway a fifth of its time in `writev` (profiled
 * at ten times the sustainable send rate). Corking when a chunk arrives and
 * uncorking once this turn's reads are done merges them, and delays no
 * reply past the current turn of the event loop.
 *
 * One listener and one `setImmediate` per turn serve every socket: nothing
 * per connection but the listener's slot (see the realtime README, "Memory").
 */
export function coalesceReplies(socket: Duplex): void {
  socket.prependListener('data', corkUntilTurnEnds);
}

function corkUntilTurnEnds(this: Duplex): void {
  if (corked.has(this)) return;
  if (corked.size === 0) setImmediate(uncorkAll);
  corked.add(this);
  this.cork();
}

function uncorkAll(): void {
  for (const socket of corked) socket.uncork();
  corked.clear();
}
