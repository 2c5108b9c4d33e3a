import { CIPHERSUITE, encodeText } from './mls-codec.js';

/** Iterations of the hash, as Signal's numeric fingerprint (5,200 of SHA-512): slows a search for a colliding key. */
const ITERATIONS = 5200;

/**
 * A member's safety number: 30 digits in six groups, derived from the
 * signature keys of every device of theirs in the group (sorted, so every
 * member computes the same digits). Two people compare it out of band —
 * read aloud, or as an image of the digits; if the server slipped in a key
 * of its own, the digits differ. It changes whenever the member's devices
 * or their keys change.
 */
export async function safetyNumber(userId: string, signatureKeys: readonly Uint8Array[]): Promise<string> {
  const keys = [...signatureKeys].sort(compareBytes);
  let digest: Uint8Array = concat([encodeText(`kaif-safety-number:${CIPHERSUITE}:${userId}`), ...keys]);
  for (let round = 0; round < ITERATIONS; round++) {
    digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-512', concat([digest, ...keys])));
  }
  const groups: string[] = [];
  for (let chunk = 0; chunk < 6; chunk++) {
    let value = 0;
    for (let byte = 0; byte < 5; byte++) value = value * 256 + digest[chunk * 5 + byte]!;
    groups.push(String(value % 100_000).padStart(5, '0'));
  }
  return groups.join(' ');
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let index = 0; index < Math.min(a.length, b.length); index++) if (a[index] !== b[index]) return a[index]! - b[index]!;
  return a.length - b.length;
}

function concat(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
