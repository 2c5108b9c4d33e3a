import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { KaifError } from '../../platform/http/kaif-error.js';

/** Which delivery a notification was: the message and the device it went to. */
export interface DeliveryRef {
  readonly chatId: string;
  readonly seq: number;
  readonly subscriptionId: string;
}

/**
 * The receipt a notification carries so its service worker can report it
 * opened (`POST /api/v1/push/opened`) without an access token, which a
 * service worker does not hold. It is the delivery's reference with an
 * HMAC-SHA256 under a key derived (HKDF) from the VAPID private key, so
 * only the server mints them and one receipt marks only its own delivery.
 */
export class DeliveryReceipts {
  private readonly key: Buffer;

  constructor(vapidPrivateKey: string) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(vapidPrivateKey, 'base64url'), Buffer.alloc(0), 'kaif push receipt', 32));
  }

  issue(ref: DeliveryRef): string {
    const body = `${ref.chatId}.${ref.seq}.${ref.subscriptionId}`;
    return `${body}.${this.mac(body)}`;
  }

  /** Throws PUSH_RECEIPT_INVALID for anything the server did not issue. */
  verify(receipt: string): DeliveryRef {
    const parts = receipt.split('.');
    if (parts.length !== 4) throw new KaifError('PUSH_RECEIPT_INVALID');
    const [chatId, seqText, subscriptionId, mac] = parts as [string, string, string, string];
    const body = `${chatId}.${seqText}.${subscriptionId}`;
    const expected = Buffer.from(this.mac(body));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new KaifError('PUSH_RECEIPT_INVALID');
    return { chatId, seq: Number(seqText), subscriptionId };
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
