import type { PacketReader, PacketReaderOptions, ReaderError, ReaderItem } from './packet-reader.js';
import { MAX_PACKET_BYTES } from './packets.js';
import { PendingBytes } from './pending-bytes.js';

const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** JSON insignificant whitespace (RFC 8259 §2). */
export function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

/**
 * Reads the JSON framing: top-level objects back to back, optionally
 * separated by whitespace (the original client writes `JSON.stringify(packet)`
 * with no newline; our server writes one JSON line per packet).
 *
 * A packet's end is found by scanning each byte once, tracking brace depth
 * outside strings; the state survives between pushes, so the cost is
 * O(total bytes) however the stream is split. UTF-8 continuation bytes are
 * never ASCII, so a character split across chunks cannot be mistaken for a
 * brace or quote, and a packet is decoded only once it is whole.
 */
export class JsonPacketReader implements PacketReader {
  private readonly maxPacketBytes: number;
  private readonly pending = new PendingBytes();
  private items: ReaderItem[] = [];
  private failed = false;
  /** Brace depth of the packet being read; 0 between packets. */
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(options: PacketReaderOptions = {}) {
    this.maxPacketBytes = options.maxPacketBytes ?? MAX_PACKET_BYTES;
  }

  push(chunk: Uint8Array): void {
    if (this.failed) return;
    let { depth, inString, escaped } = this;
    let packetStart = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (depth === 0) {
        if (isJsonWhitespace(byte)) continue;
        if (byte !== OPEN_BRACE) {
          this.fail({
            kind: 'error',
            code: 'MALFORMED_PACKET',
            message: `expected '{' to start a packet, got byte 0x${byte.toString(16).padStart(2, '0')}`,
            fatal: true,
          });
          return;
        }
        depth = 1;
        packetStart = i;
      } else if (inString) {
        if (escaped) escaped = false;
        else if (byte === BACKSLASH) escaped = true;
        else if (byte === QUOTE) inString = false;
      } else if (byte === QUOTE) {
        inString = true;
      } else if (byte === OPEN_BRACE) {
        depth++;
      } else if (byte === CLOSE_BRACE && --depth === 0) {
        if (this.pending.length + i + 1 - packetStart > this.maxPacketBytes) {
          this.failTooLarge();
          return;
        }
        this.items.push(decode(this.pending.takeWith(chunk.subarray(packetStart, i + 1))));
      }
    }
    if (depth > 0) {
      if (this.pending.length + chunk.length - packetStart > this.maxPacketBytes) {
        this.failTooLarge();
        return;
      }
      this.pending.append(chunk.subarray(packetStart));
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
  }

  drain(): ReaderItem[] {
    const items = this.items;
    this.items = [];
    return items;
  }

  private failTooLarge(): void {
    this.fail({
      kind: 'error',
      code: 'PACKET_TOO_LARGE',
      message: `packet exceeds ${this.maxPacketBytes} bytes`,
      fatal: true,
    });
  }

  private fail(error: ReaderError & { readonly fatal: true }): void {
    this.failed = true;
    this.pending.clear();
    this.items.push(error);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decode(packet: Uint8Array): ReaderItem {
  let text: string;
  try {
    text = utf8.decode(packet);
  } catch {
    return { kind: 'error', code: 'MALFORMED_PACKET', message: 'packet is not valid UTF-8', fatal: false };
  }
  try {
    return { kind: 'packet', value: JSON.parse(text) };
  } catch {
    // The parser's message quotes packet text, which may hold a token; it is not echoed.
    return { kind: 'error', code: 'MALFORMED_PACKET', message: 'packet is not valid JSON', fatal: false };
  }
}
