const utf8 = new TextEncoder();

/** One packet as one JSON line; readers of either the original or the line-based shape accept it. */
export function encodeJsonPacket(packet: object): Uint8Array {
  return utf8.encode(JSON.stringify(packet) + '\n');
}
