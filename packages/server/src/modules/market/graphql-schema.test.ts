import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { printedMarketSchema } from './graphql-endpoint.js';

describe('the published marketplace schema', () => {
  it('is the same text in schema.graphql as the server serves', () => {
    // Regenerate after a schema change: npx tsx -e "import('./packages/server/src/modules/market/graphql-endpoint.ts').then((m) => process.stdout.write(m.printedMarketSchema()))" > packages/server/src/modules/market/schema.graphql
    expect(readFileSync(new URL('./schema.graphql', import.meta.url), 'utf8')).toBe(printedMarketSchema());
  });
});
