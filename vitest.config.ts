import { defineConfig } from 'vitest/config';

// One run covers unit tests beside the code and integration tests under test/.
// The e2e project (real Chromium) is included in the default run as well; it
// skips itself only when KAIF_SKIP_E2E=1.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/*/src/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['apps/web/test/**/*.test.ts'],
        },
      },
    ],
  },
});
