import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needKamailioDatabase } from '../helpers/kamailio-db.js';
import { needBinary } from '../helpers/services.js';
import { FaultRig } from './rig.js';
import { measure } from './scenario.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

/**
 * One of the two memcached servers misbehaves behind the fault proxy while a node keeps asking;
 * the other server and MySQL are fine. Every answer must stay MySQL's, every lookup must end by
 * its deadline, and the node must take the server back once it behaves.
 */
describe.skipIf(!ready)('faults of a memcached server', () => {
  let rig: FaultRig;
  const rows: string[] = [];
  beforeAll(async () => {
    rig = await FaultRig.start();
  });
  afterAll(async () => {
    await rig?.stop();
    console.log(`fault table rows:\n${rows.join('\n')}`);
  });
  const victim = (): string => rig.memcachedProxies[0]?.address ?? '';

  it('stalled (accepts, never answers): marked down, its keys answered elsewhere', async () => {
    const m = await measure(rig, { name: 'memcached stalled (1 of 2)', apply: (r) => (r.memcachedProxies[0]!.mode = 'stall') }, 'faults/memcached');
    rows.push(m.row);
    expect(m.markedDown).toContain(victim());
  });

  it('resetting every connection: marked down, its keys answered elsewhere', async () => {
    const m = await measure(rig, { name: 'memcached resets (1 of 2)', apply: (r) => (r.memcachedProxies[0]!.mode = 'reset') }, 'faults/memcached');
    rows.push(m.row);
    expect(m.markedDown).toContain(victim());
  });

  it('slow (50 ms each way, under its 250 ms timeout): answers stay right', async () => {
    const m = await measure(
      rig,
      {
        name: 'memcached slow, 50 ms each way (1 of 2)',
        apply: (r) => {
          r.memcachedProxies[0]!.delayMs = 50;
          r.memcachedProxies[0]!.mode = 'slow';
        },
      },
      'faults/memcached',
    );
    rows.push(m.row);
    expect(m.during.worstMs).toBeGreaterThanOrEqual(100);
  });

  it('blackholed (every byte dropped): marked down, its connections replaced afterwards', async () => {
    const m = await measure(rig, { name: 'memcached blackholed (1 of 2)', apply: (r) => (r.memcachedProxies[0]!.mode = 'blackhole') }, 'faults/memcached');
    rows.push(m.row);
    expect(m.markedDown).toContain(victim());
  });
});
