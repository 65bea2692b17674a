import { defineConfig } from 'vitest/config';

// Two projects, run one after the other (sequence.groupOrder):
// - unit: pure code and in-process parts (test/unit, test/fuzz), files in parallel;
// - integration: the real pcscd + vpcd (one daemon, two vpcd slots, restarted by some files),
//   SQLite and PostgreSQL, child processes, Chromium (test/integration, test/e2e): one file at
//   a time.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
          fileParallelism: true,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
