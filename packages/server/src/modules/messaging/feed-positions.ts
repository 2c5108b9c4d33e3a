import type { Kysely } from 'kysely';
import { KaifError } from '../../platform/http/kaif-error.js';
import type { FeedPosition } from './api.js';
import { loadCursorBase, storeCursorBase } from './cursor-bases.js';
import { applyToBase, parseCursor } from './feed-cursor.js';
import { TrackedPosition } from './feed-position.js';
import type { MessagingTables } from './messaging-tables.js';

/** The database side of live positions: opening one from a cursor, storing its bases. */
export class FeedPositions {
  constructor(private readonly db: Kysely<MessagingTables>) {}

  /** The position `cursor` names; its base is read from the database unless `known` already holds it. */
  async open(userId: string, cursor: string, known?: FeedPosition): Promise<FeedPosition> {
    const parsed = parseCursor(cursor);
    if (parsed.kind === 'full') return new TrackedPosition(parsed.cursor, null);
    const held = known instanceof TrackedPosition && known.storedBase?.id === parsed.baseId ? known.storedBase : undefined;
    const base = held ?? (await loadCursorBase(this.db, userId, parsed.baseId));
    if (!base) throw new KaifError('CURSOR_INVALID');
    return new TrackedPosition(applyToBase(parsed, base.channels), base);
  }

  /** Stores the position's channel seqs as a new base and writes its cursor against it from now on. */
  async rebase(userId: string, position: FeedPosition): Promise<void> {
    if (!(position instanceof TrackedPosition)) throw new TypeError('not a position this module opened');
    try {
      position.rebase(await storeCursorBase(this.db, userId, position.channelSeqs(), position.storedBase));
    } catch (error) {
      position.rebaseFailed();
      throw error;
    }
  }
}
