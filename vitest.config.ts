import { defineConfig } from 'vitest/config';

// One run covers unit tests beside the code, integration tests under test/,
// the browser tests, and last, alone, the fault-injection suites: they kill
// engines and nodes and measure recovery, which a machine busy with every
// other test file would blur.
//
// Most files spend their time waiting on a server, a database or a timer,
// not computing, so three files run at once even on two cores (vitest's
// default there is one): the suite's wall time drops by about a fifth.
//
// Integration and browser tests load test/support/fast-password-hashing.ts:
// argon2id at its lowest cost for the hundreds of accounts they register.
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
          exclude: ['test/resilience/**'],
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
          include: ['test/resilience/**/*.test.ts'],
          sequence: { groupOrder: 1 },
          poolOptions: { forks: { singleFork: true } },
        },
      },
    ],
  },
});
