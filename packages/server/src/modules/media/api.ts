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
}

declare module '../service-map.js' {
  interface ServiceMap {
    media: MediaApi;
  }
}
