/**
 * The contract both TCP framings implement. A reader turns bytes, split at
 * arbitrary points, into whole decoded packets in arrival order. Problems are
 * items, never exceptions: a malformed packet costs only that packet, while a
 * fatal item means the byte stream can no longer be framed, so the transport
 * replies with the error and closes the connection.
 */
export interface PacketReader {
  /** Feeds the next bytes of the stream. Bytes still needed are copied, so the caller may reuse `chunk`. */
  push(chunk: Uint8Array): void;
  /** Returns the items completed since the last call. After a fatal item the reader ignores all input. */
  drain(): ReaderItem[];
}

export interface PacketReaderOptions {
  /** Largest packet, in encoded bytes, the reader buffers; defaults to MAX_PACKET_BYTES. */
  readonly maxPacketBytes?: number;
}

export type ReaderItem =
  /** A decoded but not yet validated packet; see parseClientPacket. */
  | { readonly kind: 'packet'; readonly value: unknown }
  | ReaderError;

export type ReaderError =
  /**
   * Not JSON / MessagePack. Inside a framed packet this costs only that
   * packet; a byte that cannot start a JSON packet leaves the stream
   * unframeable, so it is fatal.
   */
  | { readonly kind: 'error'; readonly code: 'MALFORMED_PACKET'; readonly message: string; readonly fatal: boolean }
  | { readonly kind: 'error'; readonly code: 'PACKET_TOO_LARGE'; readonly message: string; readonly fatal: true };
