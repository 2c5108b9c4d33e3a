import { Packr, Unpackr } from 'msgpackr';
import type { PacketReader, PacketReaderOptions, ReaderItem } from './packet-reader.js';
import { MAX_PACKET_BYTES } from './packets.js';
import { PendingBytes } from './pending-bytes.js';

const LENGTH_BYTES = 4;

// Records and undefined are msgpackr extensions; without them every frame is
// plain MessagePack that other libraries read and write.
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true });

/** One frame: a 4-byte big-endian unsigned body length, then the MessagePack body. */
export function encodeMsgpackFrame(packet: object): Uint8Array {
  const body = packr.pack(packet);
  const frame = new Uint8Array(LENGTH_BYTES + body.length);
  new DataView(frame.buffer).setUint32(0, body.length);
  frame.set(body, LENGTH_BYTES);
  return frame;
}

type FrameState =
  | { readonly reading: 'length'; readonly received: number }
  | { readonly reading: 'body'; readonly length: number };

/**
 * Reads the MessagePack framing. A length above the limit is fatal before any
 * body byte is buffered; a body that does not decode costs only its frame,
 * since the length prefix still says where the next frame starts.
 */
export class MsgpackFrameReader implements PacketReader {
  private readonly maxPacketBytes: number;
  private readonly lengthPrefix = new Uint8Array(LENGTH_BYTES);
  private readonly pending = new PendingBytes();
  private state: FrameState = { reading: 'length', received: 0 };
  private items: ReaderItem[] = [];
  private failed = false;

  constructor(options: PacketReaderOptions = {}) {
    this.maxPacketBytes = options.maxPacketBytes ?? MAX_PACKET_BYTES;
  }

  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.length && !this.failed) {
      const state = this.state;
      if (state.reading === 'length') {
        const take = Math.min(LENGTH_BYTES - state.received, chunk.length - offset);
        this.lengthPrefix.set(chunk.subarray(offset, offset + take), state.received);
        offset += take;
        this.onLengthBytes(state.received + take);
      } else {
        const take = Math.min(state.length - this.pending.length, chunk.length - offset);
        const bytes = chunk.subarray(offset, offset + take);
        offset += take;
        if (this.pending.length + take < state.length) {
          this.pending.append(bytes);
        } else {
          this.items.push(decode(this.pending.takeWith(bytes)));
          this.state = { reading: 'length', received: 0 };
        }
      }
    }
  }

  drain(): ReaderItem[] {
    const items = this.items;
    this.items = [];
    return items;
  }

  private onLengthBytes(received: number): void {
    if (received < LENGTH_BYTES) {
      this.state = { reading: 'length', received };
      return;
    }
    const length = new DataView(this.lengthPrefix.buffer).getUint32(0);
    if (length > this.maxPacketBytes) {
      this.failed = true;
      this.items.push({
        kind: 'error',
        code: 'PACKET_TOO_LARGE',
        message: `frame of ${length} bytes exceeds ${this.maxPacketBytes} bytes`,
        fatal: true,
      });
    } else if (length === 0) {
      this.items.push(malformed('frame has an empty body'));
      this.state = { reading: 'length', received: 0 };
    } else {
      this.state = { reading: 'body', length };
    }
  }
}

function decode(body: Uint8Array): ReaderItem {
  try {
    return { kind: 'packet', value: unpackr.unpack(body) };
  } catch {
    return malformed('frame body is not valid MessagePack');
  }
}

function malformed(message: string): ReaderItem {
  return { kind: 'error', code: 'MALFORMED_PACKET', message, fatal: false };
}
