/**
 * Typing timings, shared by the server and its clients. A client sends
 * `typing` at most once per throttle window while its user types, and the
 * server announces at most once per user and chat per window whatever the
 * transports and devices. Watchers hide the indicator after the expiry unless
 * it is renewed; twice the window, so a renewal that arrives a little late
 * does not make it flicker.
 */
export const TYPING_THROTTLE_MS = 3000;
export const TYPING_EXPIRES_MS = 2 * TYPING_THROTTLE_MS;
