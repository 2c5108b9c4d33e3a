import type { Duplex } from 'node:stream';

/**
 * The replies to the frames of one received chunk leave in one write. `ws`
 * writes every frame with a syscall of its own; under a flood, answering
 * frame by frame cost the gateway a fifth of its time in `writev` (profiled
 * at ten times the sustainable send rate). Corking when a chunk arrives and
 * uncorking once this turn's reads are done merges them, and delays no
 * reply past the current turn of the event loop.
 */
export function coalesceReplies(socket: Duplex): void {
  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  socket.prependListener('data', () => {
    if (corked) return;
    corked = true;
    socket.cork();
    setImmediate(uncork);
  });
}
