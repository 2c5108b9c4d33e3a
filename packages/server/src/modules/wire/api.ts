/** The wire module's public interface: where this process serves CosmicProto. */
export interface WireApi {
  /** The bound TCP and UDP ports; null when this process does not run the `wire` role or has stopped. */
  ports(): { readonly tcp: number | null; readonly udp: number | null };
}

declare module '../service-map.js' {
  interface ServiceMap {
    wire: WireApi;
  }
}
