const EMPTY = new Uint8Array(0);

/**
 * The start of a packet whose end has not arrived yet. Bytes are copied on
 * append because the caller may reuse a pushed chunk. One buffer grown by
 * doubling keeps the copying amortized O(total bytes) and the memory within
 * twice the packet, even when a peer drips the packet one byte at a time.
 */
export class PendingBytes {
  private buffer = EMPTY;
  private size = 0;

  get length(): number {
    return this.size;
  }

  append(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    const needed = this.size + bytes.length;
    if (needed > this.buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.buffer.length * 2, 256));
      grown.set(this.buffer.subarray(0, this.size));
      this.buffer = grown;
    }
    this.buffer.set(bytes, this.size);
    this.size = needed;
  }

  /**
   * Returns the pending bytes followed by `tail` and empties the buffer; the
   * result is `tail` itself when nothing is pending, and is never reused.
   */
  takeWith(tail: Uint8Array): Uint8Array {
    if (this.size === 0) return tail;
    this.append(tail);
    const whole = this.buffer.subarray(0, this.size);
    this.clear();
    return whole;
  }

  clear(): void {
    this.buffer = EMPTY;
    this.size = 0;
  }
}
