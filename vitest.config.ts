import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Guards against hangs, not speed checks: a test that starts the command several times takes
    // minutes when eight sessions share the machine's two cores.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Tests start and kill real memcached processes on fixed loopback ports; running files in
    // parallel on a 2-core machine makes timing-sensitive failover tests flaky.
    fileParallelism: false,
  },
});
