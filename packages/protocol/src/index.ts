export * from './api/identity.js';
export * from './api/messaging.js';
export * from './errors.js';
export * from './ids.js';
export * from './realtime/index.js';
export * from './text.js';
export * from './wire/index.js';
