import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // vCPU workers and tmux sessions are real threads and processes: keep files apart.
    pool: 'forks',
  },
});
