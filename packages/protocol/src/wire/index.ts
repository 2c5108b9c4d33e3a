export { createPacketReader, detectFraming, type Framing, type PacketConnection } from './framing.js';
export { JsonPacketReader } from './json-packet-reader.js';
export { encodeJsonPacket } from './json-packet-writer.js';
export { encodeMsgpackFrame, MsgpackFrameReader } from './msgpack-framing.js';
export type { PacketReader, PacketReaderOptions, ReaderError, ReaderItem } from './packet-reader.js';
export {
  type ClientPacket,
  ClientPacketSchemas,
  type ClientPacketType,
  MAX_PACKET_BYTES,
  ServerPacket,
  type WireErrorCode,
  WireMessage,
} from './packets.js';
export { type PacketRejection, type ParsedClientPacket, parseClientPacket } from './parse-client-packet.js';
