import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests start and kill real memcached processes on fixed loopback ports; running files in
    // parallel on a 2-core machine makes timing-sensitive failover tests flaky.
    fileParallelism: false,
  },
});
