import {
  type Framing,
  JsonPacketReader,
  MsgpackFrameReader,
  type ServerPacket,
  detectFraming,
  encodeJsonPacket,
  encodeMsgpackFrame,
} from '@kaif/protocol';

export type DecodedDatagram =
  | { readonly ok: true; readonly framing: Framing; readonly value: unknown }
  | { readonly ok: false; readonly framing: Framing; readonly message: string };

const LENGTH_BYTES = 4;

/**
 * One datagram is one packet: a JSON object (as the original Python client
 * sends), or a MessagePack map without the TCP length prefix, told apart by
 * the first byte as on TCP. Decoding reuses the TCP readers, so both
 * transports accept exactly the same packets.
 */
export function decodeDatagram(datagram: Uint8Array): DecodedDatagram {
  const framing = detectFraming(datagram[0] ?? 0);
  const options = { maxPacketBytes: datagram.length };
  const reader = framing === 'json' ? new JsonPacketReader(options) : new MsgpackFrameReader(options);
  if (framing === 'msgpack') {
    const prefix = new Uint8Array(LENGTH_BYTES);
    new DataView(prefix.buffer).setUint32(0, datagram.length);
    reader.push(prefix);
  }
  reader.push(datagram);
  const items = reader.drain();
  const [item] = items;
  if (items.length !== 1 || item?.kind !== 'packet') {
    return { ok: false, framing, message: item?.kind === 'error' ? item.message : 'a datagram must hold exactly one whole packet' };
  }
  return { ok: true, framing, value: item.value };
}

/** A reply in the framing of the datagram it answers. */
export function encodeDatagram(packet: ServerPacket, framing: Framing): Uint8Array {
  return framing === 'json' ? encodeJsonPacket(packet) : encodeMsgpackFrame(packet).subarray(LENGTH_BYTES);
}
