import { Duplex } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { corkUntilTurnEnds } from './turn-corking.js';

/** A socket that records when it is corked and uncorked. */
function recordingSocket(): Duplex & { calls: string[] } {
  const socket = Object.assign(new Duplex({ read() {}, write: (_chunk, _encoding, done) => done() }), { calls: [] as string[] });
  socket.cork = () => void socket.calls.push('cork');
  socket.uncork = () => void socket.calls.push('uncork');
  return socket;
}

describe('corkUntilTurnEnds', () => {
  it('corks a socket once per turn however often it is written to, and uncorks every corked socket at the turn’s end', async () => {
    const [first, second] = [recordingSocket(), recordingSocket()];
    corkUntilTurnEnds(first);
    corkUntilTurnEnds(first);
    corkUntilTurnEnds(second);
    expect([first.calls, second.calls]).toEqual([['cork'], ['cork']]);
    await nextTurn();
    expect([first.calls, second.calls]).toEqual([
      ['cork', 'uncork'],
      ['cork', 'uncork'],
    ]);
    corkUntilTurnEnds(first);
    await nextTurn();
    expect(first.calls).toEqual(['cork', 'uncork', 'cork', 'uncork']);
    expect(second.calls).toEqual(['cork', 'uncork']);
  });
});
