import { defineConfig } from 'vitest/config';

// `npm test` runs the unit tests beside the code, the integration tests
// under test/ and the browser tests; `npm run test:resilience` runs the
// fault-injection suites, alone: they kill engines and nodes (kill -9 in the
// middle of batches, sagas and withdrawals) and measure recovery and
// overload, which a machine busy with every other test file would blur.
// Apart, `npm test` stays near ten minutes on a 2-core machine; CI runs both.
//
// Most files spend their time waiting on a server, a database or a timer,
// not computing, so three files run at once even on two cores (vitest's
// default there is one): the suite's wall time drops by about a fifth.
//
// Integration and browser tests load test/support/fast-password-hashing.ts:
// argon2id at its lowest cost for the hundreds of accounts they register.
/** The marketplace's kill -9 tests live beside its other tests but are fault injection. */
const KILL9_SAGAS = ['test/market/order-saga-kill9*.test.ts'];

export default defineConfig({
  // graphql ships CommonJS (index.js) and ESM (index.mjs) copies without an
  // exports map: Node loads the CommonJS one for everyone (mercurius
  // included), vite would pick the ESM one for our sources, and two copies
  // of graphql refuse each other's schema objects.
  resolve: { alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }] },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 3,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/resilience/**', ...KILL9_SAGAS],
          setupFiles: ['test/support/fast-password-hashing.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['apps/web/test/**/*.test.ts'],
          setupFiles: ['test/support/fast-password-hashing.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'resilience',
          include: ['test/resilience/**/*.test.ts', ...KILL9_SAGAS],
          sequence: { groupOrder: 1 },
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
