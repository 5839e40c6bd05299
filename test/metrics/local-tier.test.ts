import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LocalTier } from '../../src/cache/local/local-tier.js';
import { registerLocalTierMetrics } from '../../src/metrics/local-tier.js';

describe('local tier metrics', () => {
  it('reports a tier’s hits, misses, evictions, bypasses by reason, entries, bytes and feed lag', async () => {
    const clock = { t: 0 };
    const tier = new LocalTier<boolean>({ maxEntries: 2, maxBytes: 1 << 20, boundMs: 1000, now: () => clock.t });
    tier.useGeneration(1n);
    tier.prove(0);
    for (const user of ['a', 'b', 'c']) tier.set(user, `p:grp:${user}`, 1n, true, 1, tier.ticket());
    tier.get('c');
    tier.get('a');
    clock.t = 2000;
    tier.explain = () => 'stalled';
    tier.get('c');
    let on = true;
    const registry = new Registry();
    registerLocalTierMetrics({ localStats: () => (on ? { ...tier.counters, entries: tier.size, bytes: tier.bytes, feedLagMs: 2000 } : undefined) }, registry, 'authring_');
    const text = await registry.metrics();
    expect(text).toContain('authring_local_hits_total 1');
    expect(text).toContain('authring_local_misses_total 1');
    expect(text).toContain('authring_local_evictions_total 1');
    expect(text).toContain('authring_local_bypasses_total{reason="stalled"} 1');
    expect(text).toContain('authring_local_bypasses_total{reason="no-heartbeat"} 0');
    expect(text).toContain('authring_local_entries 2');
    expect(text).toMatch(/authring_local_bytes \d+/);
    expect(text).toContain('authring_local_feed_lag_seconds 2');
    on = false;
    expect(await registry.metrics()).not.toContain('authring_local_entries 2');
  });
});
