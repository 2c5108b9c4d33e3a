import { describe, expect, it } from 'vitest';
import { decodeClientFrame, peekSend } from './frame-decoder.js';

describe('decodeClientFrame', () => {
  it('accepts a valid message.send frame', () => {
    const text = JSON.stringify({ type: 'message.send', id: 'f1', chatId: 'c1', clientMsgId: 'm1', text: 'hi' });
    expect(decodeClientFrame(text)).toEqual({ ok: true, frame: JSON.parse(text) });
  });

  it('checks a secret.send frame against the secret-messages body: base64 ciphertext, a known kind', () => {
    const frame = { type: 'secret.send', id: 'f2', chatId: 'c1', clientMsgId: 'm1', kind: 'application', epoch: 3, ciphertext: 'AAAA' };
    expect(decodeClientFrame(JSON.stringify(frame))).toEqual({ ok: true, frame });
    expect(decodeClientFrame(JSON.stringify({ ...frame, ciphertext: 'not base64!' }))).toMatchObject({ ok: false, field: 'ciphertext', id: 'f2' });
    expect(decodeClientFrame(JSON.stringify({ ...frame, kind: 'gossip' }))).toMatchObject({ ok: false, field: 'kind', id: 'f2' });
  });

  it('refuses invalid JSON', () => {
    expect(decodeClientFrame('{nope')).toMatchObject({ ok: false, message: 'The frame is not valid JSON' });
  });

  it('names an unknown type and keeps the frame id for the error', () => {
    expect(decodeClientFrame('{"type":"launch","id":"x"}')).toMatchObject({ ok: false, field: 'type', id: 'x' });
  });

  it('names the offending field', () => {
    const result = decodeClientFrame(JSON.stringify({ type: 'read', chatId: 'c1', seq: -1 }));
    expect(result).toMatchObject({ ok: false, field: 'seq' });
  });

  it('names a missing field', () => {
    // text may be absent (a send with mediaIds needs none); clientMsgId may not.
    const result = decodeClientFrame(JSON.stringify({ type: 'message.send', id: 'f', chatId: 'c', text: 'hi' }));
    expect(result).toMatchObject({ ok: false, field: 'clientMsgId', id: 'f' });
  });

  it('says in words why text holding a NUL or a lone surrogate is refused', () => {
    for (const text of ['a\u0000b', 'a\ud800b']) {
      const result = decodeClientFrame(JSON.stringify({ type: 'message.send', id: 'f', chatId: 'c', clientMsgId: 'm', text }));
      expect(result).toEqual({ ok: false, field: 'text', id: 'f', message: 'text must not contain NUL or unpaired surrogate characters' });
    }
  });
});

describe('peekSend', () => {
  const chatId = '0b7c0b5e-8f1e-4a57-9a39-3d0c1d2e4f60';

  it('reads the type, chat and id of a send as clients write it, as the full parse would', () => {
    const plain = JSON.stringify({ type: 'message.send', id: 'f1', chatId, clientMsgId: 'm1', text: 'hi' });
    expect(peekSend(plain)).toEqual({ type: 'message.send', chatId, id: 'f1' });
    expect(peekSend(JSON.stringify({ type: 'secret.send', chatId, clientMsgId: 'm1' }))).toEqual({ type: 'secret.send', chatId, id: undefined });
    expect(peekSend(JSON.stringify({ type: 'message.send', id: 'x'.repeat(100), chatId }))?.id).toBe('x'.repeat(64));
  });

  it('leaves to the full parse what it cannot read for certain: escapes, another key order or spacing, other frames', () => {
    expect(peekSend(JSON.stringify({ type: 'message.send', id: 'f1', chatId, clientMsgId: 'm1', text: 'say "id":"x"' }))).toBeUndefined();
    expect(peekSend(JSON.stringify({ id: 'f1', type: 'message.send', chatId }))).toBeUndefined();
    expect(peekSend(`{"type":"message.send","chatId" : "${chatId}"}`)).toBeUndefined();
    expect(peekSend(JSON.stringify({ type: 'message.sending', chatId }))).toBeUndefined();
    expect(peekSend(JSON.stringify({ type: 'read', chatId, seq: 1 }))).toBeUndefined();
    expect(peekSend(JSON.stringify({ type: 'message.send', id: 'f1' }))).toBeUndefined();
  });
});
