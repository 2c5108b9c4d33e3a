import type { KaifModule } from './module.js';

/** Every module of the product, in any order (dependencies decide start order). */
export const MODULES: readonly KaifModule[] = [];
