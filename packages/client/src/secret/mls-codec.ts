import {
  type CiphersuiteImpl,
  type ClientState,
  type Credential,
  type KeyPackage,
  type PrivateKeyPackage,
  type RatchetTree,
  type Welcome,
  decodeGroupState,
  decodeMlsMessage,
  encodeGroupState,
  encodeMlsMessage,
  getCiphersuiteFromName,
  getCiphersuiteImpl,
} from 'ts-mls';
import { base64ToBytes, bytesToBase64 } from 'ts-mls/util/byteArray.js';
import { defaultClientConfig } from 'ts-mls/clientConfig.js';
import { decodeRatchetTree, encodeRatchetTree } from 'ts-mls/ratchetTree.js';

/**
 * RFC 9420 §17.1's mandatory-to-implement suite: X25519, AES-128-GCM,
 * SHA-256, Ed25519 — WebCrypto covers it in Node 20 and in browsers, and
 * every MLS implementation speaks it.
 */
export const CIPHERSUITE = 'MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519';

let suite: Promise<CiphersuiteImpl> | undefined;
export const cipherSuite = (): Promise<CiphersuiteImpl> => {
  suite ??= getCiphersuiteImpl(getCiphersuiteFromName(CIPHERSUITE));
  return suite;
};

export const toBase64 = bytesToBase64;
export const fromBase64 = base64ToBytes;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });
export const encodeText = (text: string): Uint8Array => utf8.encode(text);
export const decodeText = (bytes: Uint8Array): string => fromUtf8.decode(bytes);

/** Who a leaf of the group is: the device's basic credential names its user and device (RFC 9420 §5.3). */
export interface DeviceName {
  readonly userId: string;
  readonly deviceId: string;
}

export const credentialOf = (name: DeviceName): Credential => ({
  credentialType: 'basic',
  identity: encodeText(JSON.stringify({ userId: name.userId, deviceId: name.deviceId })),
});

export function nameOf(credential: Credential): DeviceName | undefined {
  if (credential.credentialType !== 'basic') return undefined;
  try {
    const parsed = JSON.parse(decodeText(credential.identity)) as Partial<DeviceName>;
    return typeof parsed.userId === 'string' && typeof parsed.deviceId === 'string' ? { userId: parsed.userId, deviceId: parsed.deviceId } : undefined;
  } catch {
    return undefined;
  }
}

/** A member device of the group: its leaf index, name and signature key. */
export interface GroupDevice extends DeviceName {
  readonly leafIndex: number;
  readonly signaturePublicKey: Uint8Array;
}

export function devicesOf(state: ClientState): GroupDevice[] {
  const devices: GroupDevice[] = [];
  state.ratchetTree.forEach((node, nodeIndex) => {
    if (node?.nodeType !== 'leaf') return;
    const name = nameOf(node.leaf.credential);
    if (name) devices.push({ ...name, leafIndex: nodeIndex / 2, signaturePublicKey: node.leaf.signaturePublicKey });
  });
  return devices;
}

export const encodeKeyPackage = (keyPackage: KeyPackage): string =>
  toBase64(encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage }));

export function decodeKeyPackage(base64: string): KeyPackage {
  const decoded = decodeMlsMessage(fromBase64(base64), 0)?.[0];
  if (decoded?.wireformat !== 'mls_key_package') throw new Error('not a KeyPackage');
  return decoded.keyPackage;
}

export const encodePrivateKeyPackage = (keys: PrivateKeyPackage): string =>
  JSON.stringify({ init: toBase64(keys.initPrivateKey), hpke: toBase64(keys.hpkePrivateKey), sign: toBase64(keys.signaturePrivateKey) });

export function decodePrivateKeyPackage(json: string): PrivateKeyPackage {
  const parsed = JSON.parse(json) as { init: string; hpke: string; sign: string };
  return { initPrivateKey: fromBase64(parsed.init), hpkePrivateKey: fromBase64(parsed.hpke), signaturePrivateKey: fromBase64(parsed.sign) };
}

export const encodeState = (state: ClientState): string => toBase64(encodeGroupState(state));

export function decodeState(base64: string): ClientState {
  const decoded = decodeGroupState(fromBase64(base64), 0)?.[0];
  if (!decoded) throw new Error('unreadable group state');
  return { ...decoded, clientConfig: defaultClientConfig };
}

/**
 * What a joining device needs: the Welcome, and the ratchet tree it does
 * not carry (ts-mls's joinGroup takes the tree separately), in one blob.
 */
export const packWelcome = (welcome: Welcome, tree: RatchetTree): string =>
  toBase64(
    encodeText(
      JSON.stringify({
        welcome: toBase64(encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome })),
        tree: toBase64(encodeRatchetTree(tree)),
      }),
    ),
  );

export function unpackWelcome(packed: string): { readonly welcome: Welcome; readonly tree: RatchetTree } {
  const parsed = JSON.parse(decodeText(fromBase64(packed))) as { welcome: string; tree: string };
  const message = decodeMlsMessage(fromBase64(parsed.welcome), 0)?.[0];
  const tree = decodeRatchetTree(fromBase64(parsed.tree), 0)?.[0];
  if (message?.wireformat !== 'mls_welcome' || !tree) throw new Error('unreadable Welcome');
  return { welcome: message.welcome, tree };
}
