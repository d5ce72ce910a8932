import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // CI reads a plain "N passed, N failed" line; the summary reporter prints it last.
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Both cores: most suites wait on child processes (the CLI, QEMU, chromium), so two files
    // at a time halve the wall time; no test depends on timing.
    maxWorkers: 2,
  },
});
