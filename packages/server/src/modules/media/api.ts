import type { MediaId, MediaView, UserId } from '@kaif/protocol';

export type { MediaId, MediaKind, MediaView } from '@kaif/protocol';

/** The media module's public interface. */
export interface MediaApi {
  /**
   * The media, in the order given, that `userId` may attach to a message:
   * their own uploads, or media they can already see in a chat they are in
   * (a forward). Throws MEDIA_NOT_FOUND for any other id.
   */
  attachable(userId: UserId, mediaIds: readonly MediaId[]): Promise<readonly MediaView[]>;
  /**
   * Adds a place besides chats where media is shown (a marketplace
   * listing's photos): who else may read a media, and which media it still
   * shows, so the cleanup keeps them. Set once at start by the module that
   * shows them; media never reads that module's tables.
   */
  useHolder(holder: MediaHolder): void;
  /**
   * Stores image bytes another module fetched for `ownerId` (an NFT's
   * image) exactly as an upload of theirs: checked by its bytes, charged to
   * their quota, cleaned and thumbnailed by the worker. MEDIA_REJECTED when
   * the bytes are not an image.
   */
  storeImage(ownerId: UserId, bytes: Uint8Array, name: string): Promise<MediaView>;
  /** The media, in the order given, if `userId` uploaded every one of them; MEDIA_NOT_FOUND otherwise. */
  uploadedBy(userId: UserId, mediaIds: readonly MediaId[]): Promise<readonly MediaView[]>;
}

/** Another module that shows media outside chats. */
export interface MediaHolder {
  /**
   * Whether `userId` may see this media there (e.g. the listing it is a
   * photo of is visible to them). `admin`: the reader is a global admin
   * reading with their own token (never through a signed link).
   */
  canSee(userId: UserId, mediaId: MediaId, admin: boolean): Promise<boolean>;
  /** Of these media, those it still shows: what the cleanup must keep. */
  inUse(mediaIds: readonly MediaId[]): Promise<ReadonlySet<MediaId>>;
}

declare module '../service-map.js' {
  interface ServiceMap {
    media: MediaApi;
  }
}
