import { identityModule } from './identity/identity-module.js';
import { mediaModule } from './media/media-module.js';
import { keysModule } from './keys/keys-module.js';
import { marketModule } from './market/market-module.js';
import { messagingModule } from './messaging/messaging-module.js';
import type { KaifModule } from './module.js';
import { pushModule } from './push/push-module.js';
import { realtimeModule } from './realtime/realtime-module.js';
import { walletModule } from './wallet/wallet-module.js';
import { wireModule } from './wire/wire-module.js';

/** Every module of the product, in any order (dependencies decide start order). */
export const MODULES: readonly KaifModule[] = [identityModule, keysModule, messagingModule, realtimeModule, wireModule, pushModule, mediaModule, walletModule, marketModule];
