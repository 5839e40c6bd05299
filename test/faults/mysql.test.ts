import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needKamailioDatabase } from '../helpers/kamailio-db.js';
import { needBinary } from '../helpers/services.js';
import { FaultRig } from './rig.js';
import { measure } from './scenario.js';

const ready = needBinary('memcached') && (await needKamailioDatabase());

/**
 * MySQL misbehaves behind the fault proxy while a node keeps asking, with half the answers
 * cached: cached answers must keep coming, misses must fail with a typed error by their deadline
 * (or be answered, where MySQL is only slow), and nothing may be answered wrong.
 */
describe.skipIf(!ready)('faults of MySQL', () => {
  let rig: FaultRig;
  const rows: string[] = [];
  beforeAll(async () => {
    rig = await FaultRig.start();
  });
  afterAll(async () => {
    await rig?.stop();
    console.log(`fault table rows:\n${rows.join('\n')}`);
  });

  it('stalled (accepts, never answers): misses fail by their deadline, hits keep coming', async () => {
    const m = await measure(rig, { name: 'MySQL stalled', apply: (r) => (r.mysqlProxy.mode = 'stall') }, 'faults/mysql');
    rows.push(m.row);
    expect(m.during.failed).toBeGreaterThan(0);
    expect(m.during.failed).toBeLessThan(m.during.attempted);
  });

  it('resetting every connection: misses fail at once with a typed error', async () => {
    const m = await measure(rig, { name: 'MySQL resets', apply: (r) => (r.mysqlProxy.mode = 'reset') }, 'faults/mysql');
    rows.push(m.row);
    expect(m.during.failed).toBeGreaterThan(0);
    expect(m.during.failed).toBeLessThan(m.during.attempted);
  });

  it('slow (150 ms each way: 300 ms a query, under the 500 ms deadline): answers stay right, lookups end by the deadline', async () => {
    const m = await measure(
      rig,
      {
        name: 'MySQL slow, 150 ms each way',
        apply: (r) => {
          r.mysqlProxy.delayMs = 150;
          r.mysqlProxy.mode = 'slow';
        },
      },
      'faults/mysql',
    );
    rows.push(m.row);
    expect(m.during.worstMs).toBeGreaterThanOrEqual(300);
  });

  it('blackholed (every byte dropped): misses fail by their deadline; new connections replace the broken ones', async () => {
    const m = await measure(rig, { name: 'MySQL blackholed', apply: (r) => (r.mysqlProxy.mode = 'blackhole') }, 'faults/mysql');
    rows.push(m.row);
    expect(m.during.failed).toBeGreaterThan(0);
    expect(m.during.failed).toBeLessThan(m.during.attempted);
  });
});
